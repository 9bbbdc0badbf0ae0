// The listener's TLS: which client identity a certificate carries, what the server context
// accepts and refuses at start-up, and a real handshake through http::Server that hands the
// verified client certificate's name to the handler. Certificates are made in memory with
// OpenSSL (EC P-256), so the tests need no openssl command.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "http/server.h"
#include "http/tls.h"

namespace cordon::http {
namespace {

namespace ssl = boost::asio::ssl;
namespace bhttp = boost::beast::http;
using Tcp = boost::asio::ip::tcp;

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertificatePtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr newKey() {
  return {EVP_EC_gen("P-256"), &EVP_PKEY_free};
}

/// A certificate for `key` whose subject has one CN entry per element of `common_names`, signed
/// by `issuer` / `issuer_key` (self-signed when `issuer` is null); a CA when `ca`.
CertificatePtr newCertificate(const std::vector<std::string>& common_names, EVP_PKEY* key,
                              X509* issuer, EVP_PKEY* issuer_key, bool ca) {
  CertificatePtr certificate(X509_new(), &X509_free);
  X509* cert = certificate.get();
  X509_set_version(cert, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  for (const std::string& name : common_names) {
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(name.data()),
                               static_cast<int>(name.size()), -1, 0);
  }
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : subject);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* constraints = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                                                    ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(cert, constraints, -1);
  X509_EXTENSION_free(constraints);
  X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return certificate;
}

/// A directory of PEM files, removed at the end.
class PemDir {
public:
  PemDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cordon-tls-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~PemDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  PemDir(const PemDir&) = delete;
  PemDir& operator=(const PemDir&) = delete;

  std::string path(const std::string& name) const { return (path_ / name).string(); }

  std::string write(const std::string& name, const std::vector<X509*>& certificates) const {
    std::string file = path(name);
    BIO* bio = BIO_new_file(file.c_str(), "w");
    for (X509* certificate : certificates) {
      PEM_write_bio_X509(bio, certificate);
    }
    BIO_free(bio);
    return file;
  }

  /// The key, encrypted with `passphrase` when it is not empty.
  std::string write(const std::string& name, EVP_PKEY* key,
                    const std::string& passphrase = "") const {
    std::string file = path(name);
    BIO* bio = BIO_new_file(file.c_str(), "w");
    if (passphrase.empty()) {
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PrivateKey(bio, key, EVP_aes_256_cbc(),
                               reinterpret_cast<const unsigned char*>(passphrase.data()),
                               static_cast<int>(passphrase.size()), nullptr, nullptr);
    }
    BIO_free(bio);
    return file;
  }

private:
  std::filesystem::path path_;
};

/// A CA, a server certificate and a client certificate (CN=svc.acme.internal) it signed, and a
/// client certificate with the same CN from another CA, written to a PemDir.
struct TestPki {
  PemDir dir;
  KeyPtr ca_key = newKey();
  CertificatePtr ca = newCertificate({"test CA"}, ca_key.get(), nullptr, nullptr, true);
  KeyPtr server_key = newKey();
  CertificatePtr server =
      newCertificate({"localhost"}, server_key.get(), ca.get(), ca_key.get(), false);
  KeyPtr client_key = newKey();
  CertificatePtr client =
      newCertificate({"svc.acme.internal"}, client_key.get(), ca.get(), ca_key.get(), false);
  KeyPtr other_ca_key = newKey();
  CertificatePtr other_ca =
      newCertificate({"other CA"}, other_ca_key.get(), nullptr, nullptr, true);
  CertificatePtr other_client = newCertificate({"svc.acme.internal"}, client_key.get(),
                                               other_ca.get(), other_ca_key.get(), false);

  std::string ca_file = dir.write("ca.crt", {ca.get()});
  std::string server_file = dir.write("server.crt", {server.get()});
  std::string server_key_file = dir.write("server.key", server_key.get());
  std::string client_file = dir.write("client.crt", {client.get()});
  std::string client_key_file = dir.write("client.key", client_key.get());
  std::string other_client_file = dir.write("other-client.crt", {other_client.get()});
};

TEST(SubjectCommonName, OneCommonNameIsTheIdentity) {
  const KeyPtr key = newKey();
  EXPECT_EQ(subjectCommonName(
                newCertificate({"svc.acme.internal"}, key.get(), nullptr, nullptr, false).get()),
            "svc.acme.internal");
  EXPECT_EQ(
      subjectCommonName(newCertificate({"Zürich Büro"}, key.get(), nullptr, nullptr, false).get()),
      "Zürich Büro");
}

TEST(SubjectCommonName, NoneSeveralOrEmbeddedNulAreNoIdentity) {
  const KeyPtr key = newKey();
  EXPECT_EQ(subjectCommonName(nullptr), "");
  EXPECT_EQ(subjectCommonName(newCertificate({}, key.get(), nullptr, nullptr, false).get()), "");
  EXPECT_EQ(
      subjectCommonName(
          newCertificate({"a.example", "b.example"}, key.get(), nullptr, nullptr, false).get()),
      "");
  const std::string with_nul("admin\0.evil.example", 19);
  const CertificatePtr forged = newCertificate({with_nul}, key.get(), nullptr, nullptr, false);
  ASSERT_EQ(X509_NAME_entry_count(X509_get_subject_name(forged.get())), 1);
  EXPECT_EQ(subjectCommonName(forged.get()), "");
}

TEST(ServerTlsContext, TlsTwelveAtLeastAndVerifyModesByClientAuth) {
  const TestPki pki;
  TlsOptions options{pki.server_file, pki.server_key_file, "", false};
  auto plain = makeServerTlsContext(options);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(plain->native_handle()), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options(plain->native_handle()) & SSL_OP_NO_RENEGOTIATION, 0U);
  EXPECT_EQ(SSL_CTX_get_verify_mode(plain->native_handle()), SSL_VERIFY_NONE);

  options.client_ca = pki.ca_file;
  auto optional = makeServerTlsContext(options);
  EXPECT_EQ(SSL_CTX_get_verify_mode(optional->native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE);

  options.client_cert_required = true;
  auto required = makeServerTlsContext(options);
  EXPECT_EQ(SSL_CTX_get_verify_mode(required->native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

/// The message makeServerTlsContext throws, or nullopt when it does not throw.
std::optional<std::string> refusal(const TlsOptions& options) {
  try {
    makeServerTlsContext(options);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return std::nullopt;
}

TEST(ServerTlsContext, UnusableFilesAreRefusedNamingTheFile) {
  const TestPki pki;
  const KeyPtr stranger = newKey();
  const std::string stranger_file = pki.dir.write("stranger.key", stranger.get());
  const std::string encrypted = pki.dir.write("encrypted.key", pki.server_key.get(), "secret");
  const std::string missing = pki.dir.path("missing.crt");
  struct Case {
    TlsOptions options;
    std::string option; ///< the config key the message starts with
    std::string file;   ///< the file it must name
  };
  const std::vector<Case> cases{
      {{missing, pki.server_key_file, "", false}, "tls.cert", missing},
      {{pki.dir.path(""), pki.server_key_file, "", false}, "tls.cert", pki.dir.path("")},
      {{pki.server_key_file, pki.server_key_file, "", false}, "tls.cert", pki.server_key_file},
      {{pki.server_file, missing, "", false}, "tls.key", missing},
      {{pki.server_file, stranger_file, "", false}, "tls.key", stranger_file},
      {{pki.server_file, encrypted, "", false}, "tls.key", encrypted},
      {{pki.server_file, pki.server_file, "", false}, "tls.key", pki.server_file},
      {{pki.server_file, pki.server_key_file, missing, false}, "tls.client_ca", missing},
      {{pki.server_file, pki.server_key_file, pki.client_key_file, true},
       "tls.client_ca",
       pki.client_key_file},
  };
  for (const Case& c : cases) {
    const auto message = refusal(c.options);
    ASSERT_TRUE(message.has_value()) << c.file;
    EXPECT_EQ(message->rfind(c.option + ": ", 0), 0U) << *message;
    EXPECT_NE(message->find(c.file), std::string::npos) << *message;
    EXPECT_EQ(message->find("BEGIN"), std::string::npos) << *message; // never file contents
  }
}

/// One GET / over TLS to `port` presenting `certificate` / `key` (none when empty); the answer's
/// body, or nullopt when the handshake or the exchange failed.
std::optional<std::string> fetchOverTls(std::uint16_t port, const std::string& ca_file,
                                        const std::string& certificate, const std::string& key) {
  boost::asio::io_context context;
  ssl::context tls(ssl::context::tls_client);
  tls.load_verify_file(ca_file);
  tls.set_verify_mode(ssl::verify_peer);
  if (!certificate.empty()) {
    tls.use_certificate_chain_file(certificate);
    tls.use_private_key_file(key, ssl::context::pem);
  }
  ssl::stream<Tcp::socket> stream(context, tls);
  boost::system::error_code ec;
  stream.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) {
    return std::nullopt;
  }
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, "/", 11};
  request.set(bhttp::field::host, "localhost");
  request.keep_alive(false);
  bhttp::write(stream, request, ec);
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response, ec);
  if (ec) {
    return std::nullopt; // with TLS 1.3 a refused client certificate shows here
  }
  return response.body();
}

TEST(TlsServer, HandlersSeeTheVerifiedClientCommonName) {
  const TestPki pki;
  ServerOptions options;
  options.tls = {pki.server_file, pki.server_key_file, pki.ca_file, false};
  Server server(
      options,
      [](unsigned /*worker*/, Request& /*request*/,
         ResponseWriter& writer) -> boost::asio::awaitable<void> {
        co_await writer.write(jsonResponse(200, "[" + std::string(writer.peerCommonName()) + "]"));
      },
      [](Errc code, std::string_view detail) {
        return jsonResponse(httpStatus(code), std::string(detail));
      });
  server.start();
  EXPECT_EQ(fetchOverTls(server.port(), pki.ca_file, pki.client_file, pki.client_key_file),
            "[svc.acme.internal]");
  EXPECT_EQ(fetchOverTls(server.port(), pki.ca_file, "", ""), "[]");
  EXPECT_EQ(fetchOverTls(server.port(), pki.ca_file, pki.other_client_file, pki.client_key_file),
            std::nullopt);
  server.shutdown(std::chrono::milliseconds{0});
}

} // namespace
} // namespace cordon::http
