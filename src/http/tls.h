// Listener TLS: the OpenSSL server context built once at start-up from the PEM files of
// ServerOptions::tls, and the client identity a verified certificate carries.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/server.h"

namespace cordon::http {

/// The listener's TLS context: TLS 1.2 or later, no renegotiation (a connection's client
/// certificate never changes), the certificate chain and its private key, which must match. With
/// a client CA, clients are asked for a certificate and one they send must verify against it
/// (`verify_peer`); with client_cert_required a handshake without one fails
/// (`fail_if_no_peer_cert`). An encrypted key is refused, never prompted for. Throws
/// std::runtime_error naming the option, the file and OpenSSL's reason, never file contents
/// (start-up code).
std::shared_ptr<boost::asio::ssl::context> makeServerTlsContext(const TlsOptions& options);

/// The subject common name of `certificate` (UTF-8), or empty when it is null or its subject has
/// no common name, more than one (which one names the client would be a guess), or one holding
/// a NUL byte (it could pass for a shorter name).
std::string subjectCommonName(const X509* certificate);

/// The subject common name (as subjectCommonName) of the certificate the peer of `ssl`
/// presented, when the handshake verified it; empty when the peer sent none or it did not
/// verify.
std::string verifiedPeerCommonName(const SSL* ssl);

} // namespace cordon::http
