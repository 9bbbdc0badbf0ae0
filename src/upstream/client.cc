#include "upstream/client.h"

#include <array>
#include <chrono>
#include <optional>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <fmt/format.h>

#include "http/deadline.h"

namespace cordon::upstream {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using Tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

/// Pooled connections idle longer than this are closed rather than reused: many servers drop
/// idle keep-alive connections after a few seconds, and a reused dead one costs a retry.
constexpr std::chrono::seconds kMaxIdle{20};
constexpr std::size_t kMaxIdlePerPool = 256;
constexpr std::size_t kReadChunkBytes = std::size_t{16} * 1024;

using PlainStream = Tcp::socket;
using TlsStream = beast::ssl_stream<Tcp::socket>;

bool isStale(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == bhttp::error::partial_message || ec == ssl::error::stream_truncated;
}

Error failure(const config::Backend& backend, const beast::error_code& ec, std::string_view what) {
  if (ec == beast::error::timeout) {
    return makeError(Errc::UpstreamTimeout,
                     fmt::format("backend {}: {} timed out", backend.name, what));
  }
  return makeError(Errc::UpstreamFailed,
                   fmt::format("backend {}: {} failed ({})", backend.name, what, ec.message()));
}

} // namespace

struct Connection {
  Connection(const asio::any_io_executor& executor, http::DeadlineWheel& wheel)
      : stream(std::in_place_type<PlainStream>, executor), deadline(wheel, lowest()) {}
  Connection(const asio::any_io_executor& executor, ssl::context& tls_context,
             http::DeadlineWheel& wheel)
      : stream(std::in_place_type<TlsStream>, executor, tls_context), deadline(wheel, lowest()) {}

  std::variant<PlainStream, TlsStream> stream;
  beast::flat_buffer buffer;
  http::Deadline deadline;
  Clock::time_point idle_since{};

  template <class Visitor> decltype(auto) visit(Visitor&& visitor) {
    return std::visit(std::forward<Visitor>(visitor), stream);
  }
  Tcp::socket& lowest() {
    return visit([](auto& s) -> Tcp::socket& { return beast::get_lowest_layer(s); });
  }
  /// Stops the deadline; an operation that failed while it had fired is reported as a timeout.
  void settle(beast::error_code& ec) {
    if (deadline.disarm()) {
      ec = beast::error::timeout;
    }
  }
  void close() {
    beast::error_code ignored;
    lowest().close(ignored);
  }
};

/// Idle keep-alive connections to one backend, owned by one worker.
class Pool {
public:
  Pool(asio::any_io_executor executor, http::DeadlineWheel& wheel, const config::Backend& backend)
      : executor_(std::move(executor)), wheel_(wheel), tls_(backend.endpoint.tls) {
    if (tls_) {
      tls_context_.emplace(ssl::context::tls_client);
      beast::error_code ec;
      tls_context_->set_default_verify_paths(ec);
      if (!backend.ca_file.empty()) {
        tls_context_->load_verify_file(backend.ca_file, ec);
        if (ec) {
          tls_setup_error_ =
              fmt::format("backend {}: cannot load ca_file ({})", backend.name, ec.message());
        }
      }
      tls_context_->set_verify_mode(ssl::verify_peer);
    }
  }

  std::unique_ptr<Connection> takeIdle() {
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (Clock::now() - connection->idle_since < kMaxIdle) {
        return connection;
      }
      connection->close();
    }
    return nullptr;
  }

  void giveBack(std::unique_ptr<Connection> connection) {
    if (idle_.size() >= kMaxIdlePerPool) {
      connection->close();
      return;
    }
    connection->idle_since = Clock::now();
    idle_.push_back(std::move(connection));
  }

  std::size_t idleCount() const noexcept { return idle_.size(); }

  asio::awaitable<Result<std::unique_ptr<Connection>>> connect(const config::Backend& backend,
                                                               std::chrono::milliseconds timeout) {
    if (!tls_setup_error_.empty()) {
      co_return makeError(Errc::UpstreamFailed, tls_setup_error_);
    }
    const auto& endpoint = backend.endpoint;
    Tcp::resolver resolver(executor_);
    auto [resolve_ec, results] =
        co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), kUseTuple);
    if (resolve_ec) {
      co_return failure(backend, resolve_ec, "name resolution");
    }
    auto connection = tls_ ? std::make_unique<Connection>(executor_, *tls_context_, wheel_)
                           : std::make_unique<Connection>(executor_, wheel_);
    auto& lowest = connection->lowest();
    connection->deadline.arm(timeout);
    auto [connect_ec, connected] = co_await asio::async_connect(lowest, results, kUseTuple);
    connection->settle(connect_ec);
    if (connect_ec) {
      co_return failure(backend, connect_ec, "connect");
    }
    beast::error_code ignored;
    lowest.set_option(Tcp::no_delay(true), ignored);
    if (tls_) {
      auto& tls = std::get<TlsStream>(connection->stream);
      // SNI is for host names only (RFC 6066); verification covers names and IP addresses.
      beast::error_code parse_ec;
      asio::ip::make_address(endpoint.host, parse_ec);
      if (parse_ec && SSL_set_tlsext_host_name(tls.native_handle(), endpoint.host.c_str()) != 1) {
        co_return makeError(Errc::UpstreamFailed,
                            fmt::format("backend {}: cannot set TLS server name", backend.name));
      }
      tls.set_verify_callback(ssl::host_name_verification(endpoint.host));
      connection->deadline.arm(timeout);
      auto [handshake_ec] = co_await tls.async_handshake(ssl::stream_base::client, kUseTuple);
      connection->settle(handshake_ec);
      if (handshake_ec) {
        co_return failure(backend, handshake_ec, "TLS handshake");
      }
    }
    co_return connection;
  }

private:
  asio::any_io_executor executor_;
  http::DeadlineWheel& wheel_;
  bool tls_;
  std::optional<ssl::context> tls_context_;
  std::string tls_setup_error_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

struct Response::State {
  /// Shared so an answer still being read keeps its pool alive even if the client goes first.
  std::shared_ptr<Pool> pool;
  const config::Backend* backend = nullptr;
  std::unique_ptr<Connection> connection;
  bhttp::response_parser<bhttp::buffer_body> parser;
  std::array<char, kReadChunkBytes> chunk{};
  bool failed = false;

  /// The connection goes back to the pool only after a complete, keep-alive response.
  void recycle() {
    if (connection && !failed && parser.is_done() && parser.keep_alive()) {
      pool->giveBack(std::move(connection));
    }
    if (connection) {
      connection->close();
      connection.reset();
    }
  }
};

Response::Response(std::unique_ptr<State> state) : state_(std::move(state)) {}

Response::~Response() {
  if (state_) {
    state_->recycle();
  }
}

unsigned Response::status() const noexcept {
  return state_->parser.get().result_int();
}

std::string_view Response::header(std::string_view name) const {
  const auto& fields = state_->parser.get();
  const auto found = fields.find(beast::string_view(name.data(), name.size()));
  if (found == fields.end()) {
    return {};
  }
  return {found->value().data(), found->value().size()};
}

asio::awaitable<Result<std::string_view>> Response::read() {
  State& state = *state_;
  while (!state.parser.is_done()) {
    if (!state.connection || state.failed) {
      co_return makeError(Errc::UpstreamFailed,
                          fmt::format("backend {}: answer already failed", state.backend->name));
    }
    auto& body = state.parser.get().body();
    body.data = state.chunk.data();
    body.size = state.chunk.size();
    state.connection->deadline.arm(state.backend->timeouts.idle);
    auto [ec, bytes] = co_await state.connection->visit([&](auto& stream) {
      return bhttp::async_read_some(stream, state.connection->buffer, state.parser, kUseTuple);
    });
    state.connection->settle(ec);
    if (ec == bhttp::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      state.failed = true;
      co_return failure(*state.backend, ec, "reading the answer");
    }
    const std::size_t got = state.chunk.size() - state.parser.get().body().size;
    if (got > 0) {
      co_return std::string_view(state.chunk.data(), got);
    }
  }
  state.recycle();
  co_return std::string_view{};
}

asio::awaitable<Result<std::string>> Response::readAll(std::size_t limit) {
  std::string body;
  if (const auto length = state_->parser.content_length()) {
    body.reserve(std::min<std::uint64_t>(*length, limit));
  }
  for (;;) {
    auto piece = co_await read();
    if (!piece) {
      co_return piece.error();
    }
    if (piece->empty()) {
      co_return body;
    }
    if (body.size() + piece->size() > limit) {
      state_->failed = true;
      co_return makeError(
          Errc::UpstreamFailed,
          fmt::format("backend {}: answer larger than {} bytes", state_->backend->name, limit));
    }
    body.append(*piece);
  }
}

Client::Client(asio::any_io_executor executor, http::DeadlineWheel& deadlines)
    : executor_(std::move(executor)), deadlines_(deadlines) {}
Client::~Client() = default;

std::shared_ptr<Pool> Client::poolFor(const config::Backend& backend) {
  // Keyed by what defines a connection, so a reloaded config with the same backend keeps its
  // warm connections and a changed url or CA gets a fresh pool.
  std::string key = fmt::format("{}\n{}\n{}", backend.name, backend.url, backend.ca_file);
  auto found = pools_.find(key);
  if (found == pools_.end()) {
    found = pools_.emplace(std::move(key), std::make_shared<Pool>(executor_, deadlines_, backend))
                .first;
  }
  return found->second;
}

std::size_t Client::idleConnections() const noexcept {
  std::size_t total = 0;
  for (const auto& [key, pool] : pools_) {
    total += pool->idleCount();
  }
  return total;
}

asio::awaitable<Result<ResponsePtr>> Client::send(const config::Backend& backend,
                                                  RequestSpec spec) {
  const std::shared_ptr<Pool> pool_owner = poolFor(backend);
  Pool& pool = *pool_owner;
  const auto& endpoint = backend.endpoint;

  // The budget left to this request, if it has one: every wait below is cut to it.
  const auto within_budget = [&spec](std::chrono::milliseconds timeout) {
    if (!spec.deadline) {
      return timeout;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(
        *spec.deadline - std::chrono::steady_clock::now());
    return std::max(std::chrono::milliseconds{0}, std::min(timeout, left));
  };
  if (within_budget(backend.timeouts.connect).count() == 0) {
    co_return makeError(Errc::UpstreamTimeout,
                        fmt::format("backend {}: the request's deadline passed", backend.name));
  }

  const bool get = spec.method == RequestSpec::Method::Get;
  bhttp::request<bhttp::string_body> request{get ? bhttp::verb::get : bhttp::verb::post,
                                             endpoint.base_path + spec.path, 11};
  const bool default_port = endpoint.port == (endpoint.tls ? 443 : 80);
  request.set(bhttp::field::host,
              default_port ? endpoint.host : fmt::format("{}:{}", endpoint.host, endpoint.port));
  if (!get) {
    request.set(bhttp::field::content_type, "application/json");
  }
  request.set(bhttp::field::user_agent, "cordon/0.1");
  request.set(bhttp::field::accept, spec.expect_stream ? "text/event-stream" : "application/json");
  for (auto& [name, value] : spec.headers) {
    request.set(name, value);
  }
  request.body() = std::move(spec.body);
  request.keep_alive(true);
  request.prepare_payload();

  // At most one retry, and only for a pooled connection that turned out to be closed by the
  // server before it answered anything: the request never reached the backend's application.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> connection = attempt == 0 ? pool.takeIdle() : nullptr;
    const bool reused = connection != nullptr;
    if (!connection) {
      auto connected = co_await pool.connect(backend, within_budget(backend.timeouts.connect));
      if (!connected) {
        co_return connected.error();
      }
      connection = std::move(*connected);
    }

    auto state = std::make_unique<Response::State>();
    state->pool = pool_owner;
    state->backend = &backend;
    state->parser.body_limit(boost::none);

    // One deadline covers sending the request and receiving the answer's head.
    connection->deadline.arm(within_budget(backend.timeouts.first_byte));
    auto [write_ec, written] = co_await connection->visit(
        [&](auto& stream) { return bhttp::async_write(stream, request, kUseTuple); });
    beast::error_code ec = write_ec;
    if (!ec) {
      auto [read_ec, read] = co_await connection->visit([&](auto& stream) {
        return bhttp::async_read_header(stream, connection->buffer, state->parser, kUseTuple);
      });
      ec = read_ec;
    }
    connection->settle(ec);
    if (ec) {
      connection->close();
      if (reused && isStale(ec)) {
        continue;
      }
      co_return failure(backend, ec, write_ec ? "sending the request" : "waiting for the answer");
    }
    state->connection = std::move(connection);
    co_return ResponsePtr(new Response(std::move(state)));
  }
  co_return makeError(Errc::UpstreamFailed,
                      fmt::format("backend {}: connection closed before answering", backend.name));
}

} // namespace cordon::upstream
