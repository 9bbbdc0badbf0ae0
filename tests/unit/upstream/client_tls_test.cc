// The upstream client's TLS: certificates are verified against the system store or the backend's
// ca_file, the host name must match, and SNI names the host. A loopback TLS server with throwaway
// certificates made by the openssl command stands in for a cloud provider.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "http/deadline.h"
#include "upstream/client.h"

namespace cordon::upstream {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace bhttp = boost::beast::http;
using Tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kAnswer = R"({"ok":true})";

struct CertificatePair {
  std::string cert;
  std::string key;
};

/// A self-signed certificate for `name` (a DNS name), or nullopt when openssl is unavailable.
std::optional<CertificatePair> makeCertificate(const std::filesystem::path& dir,
                                               const std::string& name) {
  CertificatePair pair{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + name +
      " -addext subjectAltName=DNS:" + name + " -keyout " + pair.key + " -out " + pair.cert +
      " >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) { // NOLINT(concurrency-mt-unsafe): test set-up
    return std::nullopt;
  }
  return pair;
}

/// Serves one fixed JSON answer per TLS connection; remembers the SNI name it was sent.
class TlsServer {
public:
  explicit TlsServer(const CertificatePair& certificate)
      : tls_(ssl::context::tls_server),
        acceptor_(context_, {asio::ip::make_address("127.0.0.1"), 0}) {
    tls_.use_certificate_chain_file(certificate.cert);
    tls_.use_private_key_file(certificate.key, ssl::context::pem);
    asio::co_spawn(context_, serve(), asio::detached);
    thread_ = std::thread([this] { context_.run(); });
  }
  ~TlsServer() {
    context_.stop();
    thread_.join();
  }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string serverName() const {
    const std::lock_guard lock(mutex_);
    return server_name_;
  }

private:
  asio::awaitable<void> serve() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
      if (ec) {
        co_return;
      }
      ssl::stream<Tcp::socket> stream(std::move(socket), tls_);
      auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::server, kUseTuple);
      if (handshake_ec) {
        continue; // the client refused our certificate: exactly what some tests expect
      }
      if (const char* name =
              SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
        const std::lock_guard lock(mutex_);
        server_name_ = name;
      }
      boost::beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> request;
      auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, request, kUseTuple);
      if (read_ec) {
        continue;
      }
      bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
      response.set(bhttp::field::content_type, "application/json");
      response.body() = std::string(kAnswer);
      response.keep_alive(false);
      response.prepare_payload();
      co_await bhttp::async_write(stream, response, kUseTuple);
      co_await stream.async_shutdown(kUseTuple);
    }
  }

  asio::io_context context_;
  ssl::context tls_;
  Tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string server_name_;
};

config::Backend tlsBackend(std::uint16_t port, std::string ca_file) {
  config::Backend backend;
  backend.name = "cloud";
  backend.url = "https://localhost:" + std::to_string(port) + "/v1";
  backend.endpoint = {true, "localhost", port, "/v1"};
  backend.ca_file = std::move(ca_file);
  backend.timeouts.connect = std::chrono::seconds{5};
  backend.timeouts.first_byte = std::chrono::seconds{5};
  backend.timeouts.idle = std::chrono::seconds{5};
  return backend;
}

/// Sends one request and returns the body or the error.
Result<std::string> fetch(const config::Backend& backend) {
  asio::io_context context;
  http::DeadlineWheel deadlines(context.get_executor());
  Client client(context.get_executor(), deadlines);
  std::optional<Result<std::string>> outcome;
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        RequestSpec spec;
        spec.path = "/chat/completions";
        spec.body = "{}";
        auto response = co_await client.send(backend, std::move(spec));
        if (!response) {
          outcome = response.error();
          co_return;
        }
        outcome = co_await (*response)->readAll(1024);
      },
      asio::detached);
  context.run();
  return *outcome;
}

class ClientTls : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cordon-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    localhost_ = makeCertificate(dir_, "localhost");
    other_ = makeCertificate(dir_, "other.example");
    if (!localhost_ || !other_) {
      GTEST_SKIP() << "the openssl command is not available";
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::optional<CertificatePair> localhost_;
  std::optional<CertificatePair> other_;
};

TEST_F(ClientTls, TrustedCertificateWithMatchingNameIsAcceptedAndSniIsSent) {
  TlsServer server(*localhost_);
  const auto body = fetch(tlsBackend(server.port(), localhost_->cert));
  ASSERT_TRUE(body.has_value()) << body.error().detail;
  EXPECT_EQ(*body, kAnswer);
  EXPECT_EQ(server.serverName(), "localhost");
}

TEST_F(ClientTls, UnknownIssuerIsRefused) {
  TlsServer server(*localhost_);
  const auto body = fetch(tlsBackend(server.port(), ""));
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code, Errc::UpstreamFailed);
  EXPECT_NE(body.error().detail.find("TLS handshake"), std::string::npos) << body.error().detail;
}

TEST_F(ClientTls, CertificateForAnotherHostIsRefused) {
  TlsServer server(*other_);
  const auto body = fetch(tlsBackend(server.port(), other_->cert));
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code, Errc::UpstreamFailed);
}

TEST_F(ClientTls, UnreadableCaFileFailsClosed) {
  const auto body = fetch(tlsBackend(1, (dir_ / "missing.pem").string()));
  ASSERT_FALSE(body.has_value());
  EXPECT_NE(body.error().detail.find("ca_file"), std::string::npos) << body.error().detail;
}

} // namespace
} // namespace cordon::upstream
