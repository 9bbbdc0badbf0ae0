#include "http/tls.h"

#include <array>
#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <boost/system/error_code.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <unistd.h>

namespace cordon::http {
namespace {

namespace ssl = boost::asio::ssl;

/// TLS 1.2 suites with forward secrecy and authenticated encryption only (TLS 1.3 has nothing
/// else); the order is the server's preference.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/// Sessions are resumable only within the context that made them; OpenSSL refuses to resume a
/// session with a verified client certificate unless the context is named.
constexpr std::array<unsigned char, 6> kSessionContext{'c', 'o', 'r', 'd', 'o', 'n'};

/// Fails with the operating system's reason when `path` cannot be read as a file: OpenSSL's own
/// messages for a missing file or a directory ("system lib", "unsupported") say nothing useful.
void requireReadable(std::string_view option, const std::string& path) {
  std::error_code reason;
  if (std::filesystem::is_directory(path, reason)) {
    reason = std::make_error_code(std::errc::is_a_directory);
  } else if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd < 0) {
    reason = std::error_code(errno, std::generic_category());
  } else {
    ::close(fd);
    return;
  }
  throw std::runtime_error(fmt::format("{}: cannot read {}: {}", option, path, reason.message()));
}

void check(const boost::system::error_code& ec, std::string_view option, std::string_view what,
           const std::string& path) {
  if (ec) {
    throw std::runtime_error(
        fmt::format("{}: cannot load {} from {}: {}", option, what, path, ec.message()));
  }
}

} // namespace

std::shared_ptr<ssl::context> makeServerTlsContext(const TlsOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_session_id_context(native, kSessionContext.data(), kSessionContext.size()) != 1) {
    throw std::runtime_error("tls: OpenSSL refused the listener's protocol settings");
  }
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // OpenSSL's default asks for a passphrase on the terminal: a daemon must fail instead.
  context->set_password_callback(
      [](std::size_t /*max_length*/, ssl::context::password_purpose /*purpose*/) {
        return std::string();
      });

  boost::system::error_code ec;
  requireReadable("tls.cert", options.cert_file);
  context->use_certificate_chain_file(options.cert_file, ec);
  check(ec, "tls.cert", "a PEM certificate chain", options.cert_file);
  requireReadable("tls.key", options.key_file);
  context->use_private_key_file(options.key_file, ssl::context::pem, ec);
  check(ec, "tls.key", "an unencrypted PEM private key matching tls.cert", options.key_file);
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error(fmt::format("tls.key: {} does not match the certificate in {}",
                                         options.key_file, options.cert_file));
  }

  if (!options.client_ca.empty()) {
    requireReadable("tls.client_ca", options.client_ca);
    context->load_verify_file(options.client_ca, ec);
    check(ec, "tls.client_ca", "PEM CA certificates", options.client_ca);
    // Tells clients which CAs to pick a certificate from.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca.c_str());
    if (names == nullptr) {
      throw std::runtime_error(
          fmt::format("tls.client_ca: no CA certificate in {}", options.client_ca));
    }
    SSL_CTX_set_client_CA_list(native, names); // takes ownership
    auto mode = ssl::verify_peer | ssl::verify_client_once;
    if (options.client_cert_required) {
      mode |= ssl::verify_fail_if_no_peer_cert;
    }
    context->set_verify_mode(mode);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  return context;
}

std::string subjectCommonName(const X509* certificate) {
  if (certificate == nullptr) {
    return {};
  }
  const X509_NAME* subject = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
    return {};
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0 || utf8 == nullptr) {
    return {};
  }
  std::string name(utf8, utf8 + length);
  OPENSSL_free(utf8);
  if (name.find('\0') != std::string::npos) {
    return {};
  }
  return name;
}

std::string verifiedPeerCommonName(const SSL* ssl) {
  const X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) {
    return {};
  }
  return subjectCommonName(peer);
}

} // namespace cordon::http
