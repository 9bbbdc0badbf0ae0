#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/spdlog.h>

#include "http/deadline.h"
#include "http/tls.h"

namespace cordon::http {
namespace {

namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using Tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
/// A connection's stream: the session code is a template over the two, so plain HTTP pays
/// nothing for TLS (no type erasure on a read or a write).
using PlainStream = Tcp::socket;
using TlsStream = beast::ssl_stream<Tcp::socket>;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

/// After the last response on a TLS connection the close_notify goes out at once; waiting for
/// the client's is only courtesy (so it sees a clean end, not a truncation), hence short.
constexpr std::chrono::milliseconds kTlsCloseTimeout{1'000};

/// SO_REUSEPORT lets every worker own an acceptor on the same port; the kernel spreads
/// connections over them, so no accept lock is shared between workers.
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

/// Writes one request's answer to the connection. Lives on the session's coroutine frame.
template <class Stream> class ConnectionWriter final : public ResponseWriter {
public:
  ConnectionWriter(Stream& stream, Deadline& deadline, unsigned version, bool keep_alive,
                   std::chrono::milliseconds write_timeout, std::string_view peer_common_name)
      : stream_(stream), deadline_(deadline), version_(version), keep_alive_(keep_alive),
        write_timeout_(write_timeout), peer_common_name_(peer_common_name) {}

  // ResponseWriter
  asio::awaitable<bool> write(Response response) override {
    if (started_) {
      co_return false;
    }
    started_ = true;
    response.version(version_);
    keep_alive_ = keep_alive_ && response.keep_alive();
    response.keep_alive(keep_alive_);
    response.prepare_payload();
    deadline_.arm(write_timeout_);
    auto [ec, written] = co_await bhttp::async_write(stream_, response, kUseTuple);
    ok_ = !deadline_.disarm() && !ec;
    complete_ = ok_;
    co_return ok_;
  }

  asio::awaitable<bool> writeHead(ResponseHeader head) override {
    if (started_) {
      co_return false;
    }
    started_ = true;
    bhttp::response<bhttp::empty_body> response{std::move(head)};
    response.version(version_);
    response.keep_alive(keep_alive_);
    response.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{response};
    deadline_.arm(write_timeout_);
    auto [ec, written] = co_await bhttp::async_write_header(stream_, serializer, kUseTuple);
    ok_ = !deadline_.disarm() && !ec;
    co_return ok_;
  }

  asio::awaitable<bool> writeChunk(std::string_view data) override {
    if (!ok_ || complete_) {
      co_return false;
    }
    if (data.empty()) {
      co_return true;
    }
    deadline_.arm(write_timeout_);
    auto [ec, written] = co_await asio::async_write(
        stream_, bhttp::make_chunk(asio::const_buffer(data.data(), data.size())), kUseTuple);
    ok_ = !deadline_.disarm() && !ec;
    co_return ok_;
  }

  asio::awaitable<bool> finish() override {
    if (!ok_ || complete_) {
      co_return false;
    }
    deadline_.arm(write_timeout_);
    auto [ec, written] = co_await asio::async_write(stream_, bhttp::make_chunk_last(), kUseTuple);
    ok_ = !deadline_.disarm() && !ec;
    complete_ = ok_;
    co_return ok_;
  }

  void abort() override {
    beast::error_code ignored;
    Tcp::socket& socket = beast::get_lowest_layer(stream_);
    socket.set_option(Tcp::socket::linger(true, 0), ignored);
    socket.close(ignored);
    ok_ = false;
    started_ = true;
  }

  bool started() const noexcept override { return started_; }

  std::string_view peerCommonName() const noexcept override { return peer_common_name_; }

  /// The response went out whole and the connection may carry another request.
  bool reusable() const noexcept { return ok_ && complete_ && keep_alive_; }

private:
  Stream& stream_;
  Deadline& deadline_;
  unsigned version_;
  bool keep_alive_;
  std::chrono::milliseconds write_timeout_;
  std::string_view peer_common_name_;
  bool started_ = false;
  bool ok_ = true;
  bool complete_ = false;
};

/// Maps a failed read of a started request to what the client is told. nullopt: the client went
/// away, so there is nobody to answer.
std::optional<std::pair<Errc, std::string_view>> classifyReadError(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return std::pair{Errc::PayloadTooLarge,
                     std::string_view{"request body exceeds max_body_bytes"}};
  }
  if (ec == bhttp::error::header_limit) {
    return std::pair{Errc::HeadersTooLarge, std::string_view{"request head too large"}};
  }
  if (ec == beast::error::timeout) {
    return std::pair{Errc::RequestTimeout, std::string_view{"request not received in time"}};
  }
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == bhttp::error::partial_message) {
    return std::nullopt;
  }
  return std::pair{Errc::BadRequest, std::string_view{"malformed HTTP request"}};
}

} // namespace

struct Server::Worker {
  asio::io_context context{1};
  DeadlineWheel deadlines{context.get_executor()};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_guard;
  std::optional<Tcp::acceptor> acceptor;
  std::atomic<std::size_t> in_flight{0};
};

Server::Server(ServerOptions options, Handler handler, ErrorResponder error_responder)
    : options_(std::move(options)), handler_(std::move(handler)),
      error_responder_(std::move(error_responder)) {
  if (options_.tls.enabled()) {
    tls_ = makeServerTlsContext(options_.tls);
  }
  if (options_.workers == 0) {
    options_.workers = std::max(1U, std::thread::hardware_concurrency());
  }
  for (unsigned i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
  }
}

Server::~Server() {
  try {
    if (!threads_.empty()) {
      shutdown(std::chrono::milliseconds{0});
    }
  } catch (const std::exception& error) {
    spdlog::error("server shutdown failed: {}", error.what());
  }
}

asio::io_context& Server::workerContext(unsigned worker) {
  return workers_.at(worker)->context;
}

DeadlineWheel& Server::workerDeadlines(unsigned worker) {
  return workers_.at(worker)->deadlines;
}

std::size_t Server::inFlight() const noexcept {
  std::size_t total = 0;
  for (const auto& worker : workers_) {
    total += worker->in_flight.load(std::memory_order_relaxed);
  }
  return total;
}

namespace {

struct SessionContext {
  const ServerOptions& options;
  const Handler& handler;
  const ErrorResponder& error_responder;
  std::atomic<std::size_t>& in_flight;
  DeadlineWheel& deadlines;
  const std::atomic<bool>& draining;
  ssl::context* tls; ///< null: plain HTTP.
  unsigned worker;
};

template <class Stream>
asio::awaitable<void> sendError(Stream& stream, Deadline& deadline, const ErrorResponder& responder,
                                Errc code, std::string_view detail, unsigned version,
                                std::chrono::milliseconds timeout) {
  Response response = responder(code, detail);
  response.version(version == 10 ? 10 : 11);
  response.keep_alive(false);
  response.prepare_payload();
  deadline.arm(timeout);
  co_await bhttp::async_write(stream, response, kUseTuple);
  deadline.disarm();
}

/// The requests of one connection, plain or TLS, until it is not to be reused. `deadline` guards
/// the stream's socket; `connected_at` is when it was accepted; `peer_common_name` is what the
/// handlers' writers report (ResponseWriter::peerCommonName). The caller closes the stream.
template <class Stream>
asio::awaitable<void> serveRequests(const SessionContext& ctx, Stream& stream, Deadline& deadline,
                                    const Clock::time_point& connected_at,
                                    std::string_view peer_common_name) {
  beast::flat_buffer buffer;
  bool first_request = true;
  std::uint32_t requests = 0;
  for (;;) {
    // Phase 1: wait for the first byte of the next request. An idle keep-alive connection gets
    // keep_alive_timeout and is closed silently when it expires; nobody is waiting for an answer.
    if (buffer.size() == 0) {
      if (first_request) {
        deadline.armAt(connected_at + ctx.options.header_timeout);
      } else {
        deadline.arm(ctx.options.keep_alive_timeout);
      }
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kUseTuple);
      if (deadline.disarm() || ec) {
        break;
      }
      buffer.commit(n);
    }
    // The whole head must arrive within header_timeout of the connection (first request) or of
    // its first byte (later requests): a client trickling bytes cannot hold a worker slot.
    const auto head_deadline =
        (first_request ? connected_at : Clock::now()) + ctx.options.header_timeout;
    first_request = false;

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(ctx.options.max_header_bytes));
    parser.body_limit(ctx.options.max_body_bytes);

    // A deadline cancels the read but leaves the socket open, so a slow client can still be told
    // 408 (beast::tcp_stream's own timeout would close it first).
    deadline.armAt(head_deadline);
    auto [read_ec, header_bytes] =
        co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
    if (deadline.disarm()) {
      read_ec = beast::error::timeout;
    }
    if (!read_ec && !parser.is_done()) {
      const auto& head = parser.get();
      if (beast::iequals(head[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, head.version()};
        deadline.arm(ctx.options.body_timeout);
        co_await bhttp::async_write(stream, go_on, kUseTuple);
        deadline.disarm();
      }
      deadline.arm(ctx.options.body_timeout);
      auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
      read_ec = deadline.disarm() ? beast::error::timeout : body_ec;
    }
    if (read_ec) {
      if (auto answer = classifyReadError(read_ec)) {
        const unsigned version = parser.is_header_done() ? parser.get().version() : 11;
        co_await sendError(stream, deadline, ctx.error_responder, answer->first, answer->second,
                           version, ctx.options.body_timeout);
      }
      break;
    }

    Request request = parser.release();
    // The last request a connection may carry is answered with `Connection: close`, so clients
    // reconnect (and load spreads over workers and replicas) instead of holding on forever.
    ++requests;
    const bool last =
        ctx.options.max_keep_alive_requests != 0 && requests >= ctx.options.max_keep_alive_requests;
    const bool keep_alive =
        request.keep_alive() && !last && !ctx.draining.load(std::memory_order_relaxed);
    ConnectionWriter<Stream> writer(stream, deadline, request.version(), keep_alive,
                                    ctx.options.body_timeout, peer_common_name);
    ctx.in_flight.fetch_add(1, std::memory_order_relaxed);
    try {
      co_await ctx.handler(ctx.worker, request, writer);
    } catch (const std::exception& error) {
      // A handler must not throw; if one does, answer 500 without echoing anything from it. The
      // target is not logged: its query string is client data.
      spdlog::error("handler raised an exception: {}", error.what());
    }
    if (!writer.started()) {
      Response response = ctx.error_responder(Errc::Internal, "internal error");
      response.keep_alive(false);
      co_await writer.write(std::move(response));
    }
    ctx.in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (!writer.reusable()) {
      break;
    }
  }
}

asio::awaitable<void> runSession(SessionContext ctx, PlainStream socket) {
  const auto connected_at = Clock::now();
  Deadline deadline(ctx.deadlines, socket);
  co_await serveRequests(ctx, socket, deadline, connected_at, {});
  beast::error_code ignored;
  socket.shutdown(Tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

asio::awaitable<void> runTlsSession(SessionContext ctx, Tcp::socket socket) {
  const auto connected_at = Clock::now();
  TlsStream stream(std::move(socket), *ctx.tls);
  Tcp::socket& lowest = beast::get_lowest_layer(stream);
  Deadline deadline(ctx.deadlines, lowest);
  // The handshake counts against the first request's header_timeout: a client that stalls it
  // holds its connection no longer than one that trickles a plain request head.
  deadline.armAt(connected_at + ctx.options.header_timeout);
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::server, kUseTuple);
  if (deadline.disarm()) {
    handshake_ec = beast::error::timeout;
  }
  if (handshake_ec) {
    // Plain HTTP to the TLS port, an untrusted or missing client certificate, a scanner: nothing
    // to answer in a protocol the client speaks, so the connection just ends.
    spdlog::debug("tls: handshake refused: {}", handshake_ec.message());
    beast::error_code ignored;
    lowest.close(ignored);
    co_return;
  }
  const std::string peer_common_name = verifiedPeerCommonName(stream.native_handle());
  co_await serveRequests(ctx, stream, deadline, connected_at, peer_common_name);
  if (lowest.is_open()) {
    deadline.arm(kTlsCloseTimeout);
    co_await stream.async_shutdown(kUseTuple);
    deadline.disarm();
  }
  beast::error_code ignored;
  lowest.close(ignored);
}

asio::awaitable<void> acceptLoop(SessionContext ctx, Tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
        co_return;
      }
      // Out of descriptors and the like: back off briefly instead of spinning.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds{20});
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(Tcp::no_delay(true), ignored);
    if (ctx.tls != nullptr) {
      asio::co_spawn(acceptor.get_executor(), runTlsSession(ctx, std::move(socket)),
                     asio::detached);
    } else {
      asio::co_spawn(acceptor.get_executor(), runSession(ctx, std::move(socket)), asio::detached);
    }
  }
}

} // namespace

void Server::start() {
  const auto address = asio::ip::make_address(options_.host);
  std::uint16_t port = options_.port;
  draining_.store(false);
  for (auto& worker : workers_) {
    Tcp::endpoint endpoint{address, port};
    auto& acceptor = worker->acceptor.emplace(worker->context);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(Tcp::acceptor::reuse_address(true));
    acceptor.set_option(ReusePort(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port = acceptor.local_endpoint().port();
  }
  port_ = port;
  for (unsigned i = 0; i < workers_.size(); ++i) {
    Worker& worker = *workers_[i];
    worker.work_guard.emplace(worker.context.get_executor());
    SessionContext ctx{options_,         handler_,  error_responder_, worker.in_flight,
                       worker.deadlines, draining_, tls_.get(),       i};
    asio::co_spawn(worker.context, acceptLoop(ctx, *worker.acceptor), asio::detached);
    threads_.emplace_back([&worker] { worker.context.run(); });
  }
}

void Server::stopAccepting() {
  draining_.store(true);
  for (auto& worker : workers_) {
    asio::post(worker->context, [&worker = *worker] {
      if (worker.acceptor) {
        beast::error_code ignored;
        worker.acceptor->close(ignored);
      }
    });
  }
}

void Server::shutdown(std::chrono::milliseconds grace) {
  stopAccepting();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (inFlight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  for (auto& worker : workers_) {
    worker->work_guard.reset();
    worker->context.stop();
  }
  join();
}

void Server::join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  threads_.clear();
}

Response jsonResponse(unsigned status, std::string body, unsigned version, bool keep_alive) {
  Response response{static_cast<bhttp::status>(status), version};
  response.set(bhttp::field::content_type, "application/json");
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

} // namespace cordon::http
