// The upstream HTTP client: one per worker thread, so its keep-alive pools need no locks. Speaks
// HTTP/1.1 over TCP or TLS (OpenSSL, certificate and host name verified, SNI set) and enforces the
// backend's connect / first-byte / idle timeouts. Network code: Beast and Asio live here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "cordon/common/result.h"
#include "cordon/config/config.h"

namespace cordon::http {
class DeadlineWheel;
}

namespace cordon::upstream {

namespace asio = boost::asio;

struct RequestSpec {
  enum class Method : std::uint8_t { Post, Get };
  Method method = Method::Post; ///< GET is for health checks (no body, no Content-Type).
  std::string path;             ///< Appended to the backend's base path, e.g. "/chat/completions".
  std::string body;
  /// Extra request headers; the caller sets the backend's authentication headers here.
  std::vector<std::pair<std::string, std::string>> headers;
  bool expect_stream = false; ///< Sends `Accept: text/event-stream`.
  /// The request's deadline budget: the connect and first-byte timeouts are cut to what remains
  /// of it, and a spent budget fails at once with Errc::UpstreamTimeout. Unset: the backend's
  /// timeouts alone.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

class Pool;
struct Connection;

/// One upstream answer whose head has arrived. Read the body with read() until it returns an
/// empty piece; a response read to its end returns its connection to the pool for reuse.
class Response {
public:
  ~Response();
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  unsigned status() const noexcept;
  /// A response header's value, empty when absent.
  std::string_view header(std::string_view name) const;

  /// The next piece of the body as it arrives; an empty view at the end of the body. The view is
  /// valid until the next call. Errors: Errc::UpstreamTimeout when the backend is silent longer
  /// than its idle timeout, Errc::UpstreamFailed when the connection breaks.
  asio::awaitable<Result<std::string_view>> read();

  /// The whole remaining body; Errc::UpstreamFailed if it exceeds `limit` bytes.
  asio::awaitable<Result<std::string>> readAll(std::size_t limit);

private:
  friend class Client;
  struct State;
  explicit Response(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

using ResponsePtr = std::unique_ptr<Response>;

class Client {
public:
  /// `deadlines` must belong to the worker whose executor this is; it enforces the backends'
  /// timeouts without a timer per operation.
  Client(asio::any_io_executor executor, http::DeadlineWheel& deadlines);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends `spec` to `backend` and waits for the response head (the first byte). A pooled
  /// connection the server closed meanwhile is replaced transparently, once. Errors:
  /// Errc::UpstreamTimeout (connect or first-byte timeout), Errc::UpstreamFailed (refused, reset,
  /// TLS verification failed, malformed HTTP). Details name the backend, never the payload.
  asio::awaitable<Result<ResponsePtr>> send(const config::Backend& backend, RequestSpec spec);

  /// Idle pooled connections over all backends (for tests and metrics).
  std::size_t idleConnections() const noexcept;

private:
  std::shared_ptr<Pool> poolFor(const config::Backend& backend);
  asio::any_io_executor executor_;
  http::DeadlineWheel& deadlines_;
  std::map<std::string, std::shared_ptr<Pool>, std::less<>> pools_;
};

} // namespace cordon::upstream
