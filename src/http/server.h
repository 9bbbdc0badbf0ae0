// The HTTP/1.1 listener: N worker threads, each with its own io_context and its own SO_REUSEPORT
// acceptor, so a connection lives on one worker for its whole life and the request path takes no
// locks. Handlers are C++20 coroutines. Optionally HTTPS, with client certificates
// (src/http/tls.h). This is network code: Beast and Asio stay behind src/http, src/upstream,
// src/gateway and src/simulate.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "cordon/common/result.h"

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace cordon::http {

class DeadlineWheel;

namespace beast = boost::beast;
namespace asio = boost::asio;

using Request = beast::http::request<beast::http::string_body>;
using Response = beast::http::response<beast::http::string_body>;
using ResponseHeader = beast::http::response_header<>;

/// Where a handler writes its answer: either one whole response, or a streamed one (head, then
/// chunks, then finish). Every call returns false once the client is gone; the handler should
/// then stop work and return.
class ResponseWriter {
public:
  virtual ~ResponseWriter() = default;

  /// Sends a complete response (Content-Length set from the body).
  virtual asio::awaitable<bool> write(Response response) = 0;

  /// Starts a chunked response; the head is sent at once so the client sees headers early.
  virtual asio::awaitable<bool> writeHead(ResponseHeader head) = 0;
  /// Sends one chunk of a response started with writeHead (an empty chunk is skipped).
  virtual asio::awaitable<bool> writeChunk(std::string_view data) = 0;
  /// Sends the last chunk.
  virtual asio::awaitable<bool> finish() = 0;

  /// Drops the connection at once with a TCP reset (used to simulate faults).
  virtual void abort() = 0;

  /// True once anything of the response was sent (the point after which no fallback is possible).
  virtual bool started() const noexcept = 0;

  /// The subject common name of the client certificate this request's connection presented and
  /// the listener verified against ServerOptions::tls.client_ca; empty on plain HTTP, without a
  /// client CA, when the client sent no certificate, or when its subject has no single common
  /// name. The certificate cannot change on a connection (renegotiation is off), so every request
  /// on it sees the same value. Valid as long as the writer.
  virtual std::string_view peerCommonName() const noexcept { return {}; }
};

/// Handles one request on worker `worker`. Runs on that worker's io_context. Must not throw; an
/// escaping exception is answered with 500 and logged (without request data).
using Handler =
    std::function<asio::awaitable<void>(unsigned worker, Request& request, ResponseWriter& writer)>;

/// Builds the response for a request the server refuses before any handler runs (body too large,
/// malformed HTTP): the front door's own error JSON with httpStatus(code).
using ErrorResponder = std::function<Response(Errc code, std::string_view detail)>;

/// Listener TLS. The files are read once, when the Server is built; a listener's TLS does not
/// change while it runs.
struct TlsOptions {
  std::string cert_file; ///< PEM certificate chain, leaf first; empty = plain HTTP.
  std::string key_file;  ///< PEM private key of the leaf certificate (not encrypted).
  std::string client_ca; ///< PEM CA bundle client certificates are verified against; empty = none.
  /// With client_ca: refuse the handshake of a client that sends no certificate. Without it a
  /// client may send none, but one it sends must still verify.
  bool client_cert_required = false;

  [[nodiscard]] bool enabled() const noexcept { return !cert_file.empty(); }
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0; ///< 0 = any free port (see Server::port()).
  unsigned workers = 1;
  std::size_t max_body_bytes = std::size_t{8} * 1024 * 1024;
  std::size_t max_header_bytes = std::size_t{64} * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keep_alive_timeout{60'000};
  /// Requests one connection may carry; the last is answered with `Connection: close` and the
  /// connection is closed after it. 0 = no limit.
  std::uint32_t max_keep_alive_requests = 0;
  /// With TLS every connection starts with a handshake, which must finish, together with the
  /// first request's head, within header_timeout of the accept.
  TlsOptions tls;
};

class Server {
public:
  /// With options.tls enabled, loads the certificate chain, key and client CAs now. Throws
  /// std::runtime_error naming the file and the reason when one cannot be read or the key does
  /// not match the certificate (start-up code, caught in main).
  Server(ServerOptions options, Handler handler, ErrorResponder error_responder);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens on every worker and starts the worker threads. Throws std::system_error
  /// when the address cannot be bound (start-up code, caught in main).
  void start();

  /// The bound port (meaningful after start(); resolves port 0).
  std::uint16_t port() const noexcept { return port_; }

  /// Stops accepting new connections; requests in flight go on. Thread-safe.
  void stopAccepting();

  /// Waits up to `grace` for open connections to finish, then stops every worker and joins the
  /// threads. Thread-safe; idempotent.
  void shutdown(std::chrono::milliseconds grace);

  /// Blocks until the worker threads have exited.
  void join();

  /// Number of requests currently being handled, over all workers.
  std::size_t inFlight() const noexcept;

  /// The io_context of one worker (for per-worker resources built by the caller).
  asio::io_context& workerContext(unsigned worker);
  /// The deadlines of one worker, for sockets the caller opens on that worker.
  DeadlineWheel& workerDeadlines(unsigned worker);
  unsigned workers() const noexcept { return options_.workers; }

private:
  struct Worker;
  ServerOptions options_;
  /// The OpenSSL context every worker's handshakes share; null on plain HTTP.
  std::shared_ptr<asio::ssl::context> tls_;
  Handler handler_;
  ErrorResponder error_responder_;
  std::uint16_t port_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> draining_{false};
};

/// Convenience used by handlers: a complete response with a JSON body.
Response jsonResponse(unsigned status, std::string body, unsigned version = 11,
                      bool keep_alive = true);

} // namespace cordon::http
