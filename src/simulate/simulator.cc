#include "simulate/simulator.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "cordon/common/result.h"
#include "http/server.h"
#include "simulate/wire.h"

namespace cordon::simulate {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;

using wire::countWords;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
/// How long a `--hang` request waits before waiting again (it never answers).
constexpr std::chrono::hours kHangWait{24};
/// Grace for in-flight answers when the simulator shuts down (a hanging request gets none).
constexpr std::chrono::milliseconds kShutdownGrace{1'000};
constexpr std::size_t kMaxBodyBytes = std::size_t{64} * 1024U * 1024U;

/// The OpenAI error `type` for an HTTP status.
std::string_view errorTypeFor(unsigned status) {
  switch (status) {
  case 400:
  case 404:
  case 405:
  case 408:
  case 413:
  case 431:
    return "invalid_request_error";
  case 401:
    return "authentication_error";
  case 403:
    return "permission_error";
  case 429:
    return "rate_limit_error";
  default:
    return "server_error";
  }
}

std::string errorBody(std::string_view message, std::string_view type, std::string_view code) {
  json::object error;
  error["message"] = message;
  error["type"] = type;
  error["code"] = code;
  json::object body;
  body["error"] = std::move(error);
  return json::serialize(body);
}

/// An error in the form of the protocol spoken: OpenAI's `code` has no Anthropic counterpart.
std::string protocolErrorBody(Protocol protocol, unsigned status, std::string_view message,
                              std::string_view code) {
  if (protocol == Protocol::Anthropic) {
    return wire::anthropicErrorBody(wire::anthropicErrorType(status), message);
  }
  return errorBody(message, errorTypeFor(status), code);
}

/// The text of a message's content: a string as is, an array of parts as its text parts joined.
std::optional<std::string> contentText(const json::value& content) {
  if (const auto* text = content.if_string()) {
    return std::string(text->data(), text->size());
  }
  if (const auto* parts = content.if_array()) {
    std::string joined;
    for (const auto& part : *parts) {
      const auto* object = part.if_object();
      if (object == nullptr) {
        continue;
      }
      const auto* text = object->if_contains("text");
      if (text != nullptr && text->is_string()) {
        joined.append(text->get_string().data(), text->get_string().size());
      }
    }
    return joined;
  }
  return std::nullopt;
}

struct ToolCall {
  std::string name;
  std::string arguments;
};

/// What the simulated model answers to one chat completion request.
struct Answer {
  std::string model;
  bool stream = false;
  bool include_usage = false;
  std::string content;
  std::optional<ToolCall> tool_call;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};

std::int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object usageObject(const Answer& answer) {
  json::object usage;
  usage["prompt_tokens"] = answer.prompt_tokens;
  usage["completion_tokens"] = answer.completion_tokens;
  usage["total_tokens"] = answer.prompt_tokens + answer.completion_tokens;
  return usage;
}

json::object toolCallObject(const ToolCall& call) {
  json::object function;
  function["name"] = call.name;
  function["arguments"] = call.arguments;
  json::object object;
  object["id"] = "call_sim_1";
  object["type"] = "function";
  object["function"] = std::move(function);
  return object;
}

} // namespace

struct Simulator::State {
  explicit State(Options opts) : options(std::move(opts)) {}

  Options options;
  std::atomic<std::uint64_t> requests{0};
  mutable std::mutex record_mutex;
  std::string last_body;
  std::ofstream record;

  /// A model request that got past the failure injection: its number (from 1) and body.
  struct Accepted {
    std::uint64_t number = 0;
    json::object body;
  };

  /// Keeps `body` as the last request and appends it to the record file, if any.
  void remember(const json::value& body);
  http::Response error(const http::Request& request, unsigned status, std::string_view message,
                       std::string_view code) const;

  /// Builds the answer for a parsed request body; an error message for a body it cannot use.
  Result<Answer> answerFor(const json::object& body) const;
  asio::awaitable<void> handle(http::Request& request, http::ResponseWriter& writer);
  /// What every model endpoint does first: counts the request, injects --fail-status and --hang,
  /// parses and records the body. nullopt once it has answered (or will never answer).
  asio::awaitable<std::optional<Accepted>> accept(http::Request& request,
                                                  http::ResponseWriter& writer);
  asio::awaitable<void> chatCompletion(http::Request& request, http::ResponseWriter& writer);
  asio::awaitable<void> messages(http::Request& request, http::ResponseWriter& writer);
  asio::awaitable<void> embeddings(http::Request& request, http::ResponseWriter& writer);
  asio::awaitable<void> models(http::Request& request, http::ResponseWriter& writer) const;
  std::string chatBody(const Answer& answer, const std::string& id, std::int64_t created) const;
  wire::StreamPlan chatStream(const Answer& answer, const std::string& id,
                              std::int64_t created) const;
  /// A whole JSON answer, or half of it and a reset under --reset-mid-stream.
  asio::awaitable<void> sendJson(const http::Request& request, http::ResponseWriter& writer,
                                 std::string text) const;
  /// A streamed answer, broken as --stream-fault and --reset-mid-stream ask.
  asio::awaitable<void> sendStream(http::ResponseWriter& writer,
                                   const wire::StreamPlan& plan) const;
};

void Simulator::State::remember(const json::value& body) {
  std::string line = json::serialize(body);
  const std::lock_guard lock(record_mutex);
  if (record.is_open()) {
    record << line << '\n' << std::flush;
  }
  last_body = std::move(line);
}

http::Response Simulator::State::error(const http::Request& request, unsigned status,
                                       std::string_view message, std::string_view code) const {
  return http::jsonResponse(status, protocolErrorBody(options.protocol, status, message, code),
                            request.version(), request.keep_alive());
}

Result<Answer> Simulator::State::answerFor(const json::object& body) const {
  Answer answer;
  if (const auto* model = body.if_contains("model")) {
    const auto* model_name = model->if_string();
    if (model_name == nullptr) {
      return makeError(Errc::BadRequest, "'model' must be a string");
    }
    answer.model.assign(model_name->data(), model_name->size());
  }
  if (const auto* stream = body.if_contains("stream")) {
    if (!stream->is_null()) {
      const auto* flag = stream->if_bool();
      if (flag == nullptr) {
        return makeError(Errc::BadRequest, "'stream' must be a boolean");
      }
      answer.stream = *flag;
    }
  }
  if (const auto* stream_options = body.if_contains("stream_options")) {
    if (const auto* object = stream_options->if_object()) {
      if (const auto* include = object->if_contains("include_usage")) {
        answer.include_usage = include->is_bool() && include->get_bool();
      }
    }
  }

  const auto* messages_value = body.if_contains("messages");
  const json::array* messages = messages_value != nullptr ? messages_value->if_array() : nullptr;
  if (messages == nullptr) {
    return makeError(Errc::BadRequest, "'messages' must be an array");
  }
  if (messages->empty()) {
    return makeError(Errc::BadRequest, "'messages' must not be empty");
  }

  std::optional<std::string> last_user;
  bool last_is_user = false;
  for (const auto& message_value : *messages) {
    const auto* message = message_value.if_object();
    if (message == nullptr) {
      return makeError(Errc::BadRequest, "each message must be an object");
    }
    const auto* role_value = message->if_contains("role");
    const auto* role = role_value != nullptr ? role_value->if_string() : nullptr;
    if (role == nullptr) {
      return makeError(Errc::BadRequest, "each message needs a string 'role'");
    }
    std::optional<std::string> text;
    if (const auto* content = message->if_contains("content")) {
      text = contentText(*content);
    }
    if (text) {
      answer.prompt_tokens += countWords(*text);
    }
    last_is_user = *role == "user";
    if (last_is_user) {
      last_user = text.value_or(std::string{});
    }
  }
  const std::string user_text = last_user.value_or(std::string{});

  const json::array* tools = nullptr;
  if (const auto* tools_value = body.if_contains("tools")) {
    tools = tools_value->if_array();
  }
  if (tools != nullptr && !tools->empty() && last_is_user &&
      user_text.find("CALL_TOOL") != std::string::npos) {
    ToolCall call;
    if (const auto* tool = tools->front().if_object()) {
      if (const auto* function_value = tool->if_contains("function")) {
        if (const auto* function = function_value->if_object()) {
          if (const auto* name_value = function->if_contains("name")) {
            if (const auto* name = name_value->if_string()) {
              call.name.assign(name->data(), name->size());
            }
          }
        }
      }
    }
    json::object arguments;
    arguments["echo"] = user_text;
    call.arguments = json::serialize(arguments);
    answer.completion_tokens = countWords(call.arguments);
    answer.tool_call = std::move(call);
    return answer;
  }

  if (options.mode == Mode::Echo) {
    answer.content = "[" + options.name + "] " + user_text;
  } else {
    answer.content = options.fixed_text;
  }
  answer.completion_tokens = countWords(answer.content);
  return answer;
}

asio::awaitable<void> Simulator::State::handle(http::Request& request,
                                               http::ResponseWriter& writer) {
  std::string_view path(request.target().data(), request.target().size());
  if (const auto query = path.find('?'); query != std::string_view::npos) {
    path = path.substr(0, query);
  }
  const auto method = request.method();
  const bool anthropic = options.protocol == Protocol::Anthropic;

  if ((anthropic && path == "/v1/messages") || (!anthropic && path == "/v1/chat/completions") ||
      (!anthropic && path == "/v1/embeddings")) {
    if (method != bhttp::verb::post) {
      co_await writer.write(error(request, 405, "use POST", "method_not_allowed"));
    } else if (path == "/v1/messages") {
      co_await messages(request, writer);
    } else if (path == "/v1/embeddings") {
      co_await embeddings(request, writer);
    } else {
      co_await chatCompletion(request, writer);
    }
    co_return;
  }
  if (path == "/v1/models") {
    if (method != bhttp::verb::get) {
      co_await writer.write(error(request, 405, "use GET", "method_not_allowed"));
      co_return;
    }
    co_await models(request, writer);
    co_return;
  }
  if (path == "/healthz") {
    if (method != bhttp::verb::get && method != bhttp::verb::head) {
      co_await writer.write(error(request, 405, "use GET", "method_not_allowed"));
      co_return;
    }
    co_await writer.write(
        http::jsonResponse(200, R"({"status":"ok"})", request.version(), request.keep_alive()));
    co_return;
  }
  co_await writer.write(error(request, 404, "unknown path", "not_found"));
}

asio::awaitable<void> Simulator::State::models(http::Request& request,
                                               http::ResponseWriter& writer) const {
  json::object model;
  json::object body;
  if (options.protocol == Protocol::Anthropic) {
    model["type"] = "model";
    model["id"] = options.name;
    model["display_name"] = options.name;
    model["created_at"] = "2025-01-01T00:00:00Z";
    body["has_more"] = false;
    body["first_id"] = options.name;
    body["last_id"] = options.name;
  } else {
    model["id"] = options.name;
    model["object"] = "model";
    model["created"] = unixNow();
    model["owned_by"] = "cordon-simulate";
    body["object"] = "list";
  }
  json::array data;
  data.push_back(std::move(model));
  body["data"] = std::move(data);
  co_await writer.write(
      http::jsonResponse(200, json::serialize(body), request.version(), request.keep_alive()));
}

asio::awaitable<std::optional<Simulator::State::Accepted>>
Simulator::State::accept(http::Request& request, http::ResponseWriter& writer) {
  const std::uint64_t number = requests.fetch_add(1, std::memory_order_relaxed) + 1;

  json::error_code ec;
  json::value parsed = json::parse(request.body(), ec);
  if (!ec) {
    // Recorded even when it is about to fail: a test checks everything a backend was shown.
    remember(parsed);
  }
  if (options.fail_status != 0 && (options.fail_every == 0 || number % options.fail_every == 0)) {
    co_await writer.write(
        error(request, options.fail_status, "simulated failure", "simulated_failure"));
    co_return std::nullopt;
  }

  if (options.hang) {
    // Read the request, then never answer. When the simulator stops, the io_context is stopped
    // and destroyed with this coroutine suspended here, which frees the frame.
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_after(kHangWait);
      auto [ec] = co_await timer.async_wait(kUseTuple);
      if (ec == asio::error::operation_aborted) {
        co_return std::nullopt;
      }
    }
  }

  if (ec) {
    co_await writer.write(error(request, 400, "request body is not valid JSON", "invalid_json"));
    co_return std::nullopt;
  }
  auto* body = parsed.if_object();
  if (body == nullptr) {
    co_await writer.write(
        error(request, 400, "request body must be a JSON object", "invalid_request"));
    co_return std::nullopt;
  }
  co_return Accepted{number, std::move(*body)};
}

asio::awaitable<void> Simulator::State::chatCompletion(http::Request& request,
                                                       http::ResponseWriter& writer) {
  const auto accepted = co_await accept(request, writer);
  if (!accepted) {
    co_return;
  }
  auto answer = answerFor(accepted->body);
  if (!answer) {
    co_await writer.write(error(request, 400, answer.error().detail, "invalid_request"));
    co_return;
  }
  const std::string id = "chatcmpl-sim-" + std::to_string(accepted->number);
  const std::int64_t created = unixNow();
  if (answer->stream) {
    co_await sendStream(writer, chatStream(*answer, id, created));
  } else {
    co_await sendJson(request, writer, chatBody(*answer, id, created));
  }
}

asio::awaitable<void> Simulator::State::messages(http::Request& request,
                                                 http::ResponseWriter& writer) {
  const auto accepted = co_await accept(request, writer);
  if (!accepted) {
    co_return;
  }
  auto answer = wire::messagesAnswer(options, accepted->body);
  if (!answer) {
    co_await writer.write(error(request, 400, answer.error().detail, "invalid_request"));
    co_return;
  }
  const std::string id = "msg_sim_" + std::to_string(accepted->number);
  if (answer->stream) {
    co_await sendStream(writer, wire::messagesStream(options, *answer, id));
  } else {
    co_await sendJson(request, writer, wire::messagesBody(*answer, id));
  }
}

asio::awaitable<void> Simulator::State::embeddings(http::Request& request,
                                                   http::ResponseWriter& writer) {
  const auto accepted = co_await accept(request, writer);
  if (!accepted) {
    co_return;
  }
  auto body = wire::embeddingsBody(accepted->body);
  if (!body) {
    co_await writer.write(error(request, 400, body.error().detail, "invalid_request"));
    co_return;
  }
  co_await sendJson(request, writer, std::move(*body));
}

std::string Simulator::State::chatBody(const Answer& answer, const std::string& id,
                                       std::int64_t created) const {
  json::object message;
  message["role"] = "assistant";
  if (answer.tool_call) {
    message["content"] = nullptr;
    json::array calls;
    calls.push_back(toolCallObject(*answer.tool_call));
    message["tool_calls"] = std::move(calls);
  } else {
    message["content"] = answer.content;
  }
  json::object choice;
  choice["index"] = 0;
  choice["message"] = std::move(message);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = answer.tool_call ? "tool_calls" : "stop";
  json::array choices;
  choices.push_back(std::move(choice));

  json::object completion;
  completion["id"] = id;
  completion["object"] = "chat.completion";
  completion["created"] = created;
  completion["model"] = answer.model;
  completion["choices"] = std::move(choices);
  completion["usage"] = usageObject(answer);
  return json::serialize(completion);
}

asio::awaitable<void> Simulator::State::sendJson(const http::Request& request,
                                                 http::ResponseWriter& writer,
                                                 std::string text) const {
  if (options.reset_mid_stream) {
    http::ResponseHeader head;
    head.result(bhttp::status::ok);
    head.set(bhttp::field::content_type, "application/json");
    if (co_await writer.writeHead(std::move(head))) {
      co_await writer.writeChunk(std::string_view(text).substr(0, text.size() / 2));
    }
    writer.abort();
    co_return;
  }
  co_await writer.write(
      http::jsonResponse(200, std::move(text), request.version(), request.keep_alive()));
}

wire::StreamPlan Simulator::State::chatStream(const Answer& answer, const std::string& id,
                                              std::int64_t created) const {
  // One `data:` event per chunk object.
  const auto chunk = [&](json::object delta, json::value finish_reason) {
    json::object choice;
    choice["index"] = 0;
    choice["delta"] = std::move(delta);
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = std::move(finish_reason);
    json::array choices;
    choices.push_back(std::move(choice));
    json::object object;
    object["id"] = id;
    object["object"] = "chat.completion.chunk";
    object["created"] = created;
    object["model"] = answer.model;
    object["choices"] = std::move(choices);
    return "data: " + json::serialize(object) + "\n\n";
  };

  wire::StreamPlan plan;
  {
    json::object delta;
    delta["role"] = "assistant";
    if (answer.tool_call) {
      delta["content"] = nullptr;
    } else {
      delta["content"] = "";
    }
    plan.head.push_back(chunk(std::move(delta), nullptr));
  }
  if (answer.tool_call) {
    json::object call = toolCallObject(ToolCall{answer.tool_call->name, ""});
    call["index"] = 0;
    json::array calls;
    calls.push_back(std::move(call));
    json::object delta;
    delta["tool_calls"] = std::move(calls);
    plan.pieces.push_back(chunk(std::move(delta), nullptr));
    for (const auto piece : wire::streamPieces(options, answer.tool_call->arguments)) {
      json::object function;
      function["arguments"] = piece;
      json::object part;
      part["index"] = 0;
      part["function"] = std::move(function);
      json::array parts;
      parts.push_back(std::move(part));
      json::object piece_delta;
      piece_delta["tool_calls"] = std::move(parts);
      plan.pieces.push_back(chunk(std::move(piece_delta), nullptr));
    }
  } else {
    for (const auto word : wire::streamPieces(options, answer.content)) {
      json::object delta;
      delta["content"] = word;
      plan.pieces.push_back(chunk(std::move(delta), nullptr));
    }
  }
  plan.tail.push_back(chunk(json::object{}, answer.tool_call ? "tool_calls" : "stop"));
  if (answer.include_usage) {
    json::object object;
    object["id"] = id;
    object["object"] = "chat.completion.chunk";
    object["created"] = created;
    object["model"] = answer.model;
    object["choices"] = json::array{};
    object["usage"] = usageObject(answer);
    plan.tail.push_back("data: " + json::serialize(object) + "\n\n");
  }
  plan.tail.emplace_back("data: [DONE]\n\n");

  plan.garbage = "data: {this is not json\n\n";
  json::object error;
  error["message"] = "simulated overload";
  error["type"] = "server_error";
  error["code"] = "overloaded";
  json::object body;
  body["error"] = std::move(error);
  plan.error_event = "data: " + json::serialize(body) + "\n\n";
  return plan;
}

asio::awaitable<void> Simulator::State::sendStream(http::ResponseWriter& writer,
                                                   const wire::StreamPlan& plan) const {
  const auto stream = wire::arrange(plan, options.stream_fault);
  http::ResponseHeader head;
  head.result(bhttp::status::ok);
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  if (!co_await writer.writeHead(std::move(head))) {
    co_return;
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (std::size_t i = 0; i < stream.events.size(); ++i) {
    if (options.reset_mid_stream && i == 2) {
      writer.abort();
      co_return;
    }
    if (stream.paced[i] && options.token_delay.count() > 0) {
      timer.expires_after(options.token_delay);
      auto [ec] = co_await timer.async_wait(kUseTuple);
      if (ec) {
        co_return;
      }
    }
    if (!co_await writer.writeChunk(stream.events[i])) {
      co_return;
    }
  }
  if (options.reset_mid_stream) {
    // Fewer than two events would have been sent: still end with a reset, never cleanly.
    writer.abort();
    co_return;
  }
  // Also after a truncated or failed stream: the fault is in the events, not the HTTP framing.
  co_await writer.finish();
}

Simulator::Simulator(Options options) : state_(std::make_unique<State>(std::move(options))) {
  http::ServerOptions server_options;
  server_options.host = state_->options.host;
  server_options.port = state_->options.port;
  server_options.workers = state_->options.workers;
  server_options.max_body_bytes = kMaxBodyBytes;
  State* state = state_.get();
  server_ = std::make_unique<http::Server>(
      std::move(server_options),
      [state](unsigned /*worker*/, http::Request& request, http::ResponseWriter& writer)
          -> asio::awaitable<void> { return state->handle(request, writer); },
      [state](Errc code, std::string_view detail) {
        const unsigned status = httpStatus(code);
        return http::jsonResponse(
            status, protocolErrorBody(state->options.protocol, status, detail, errcName(code)), 11,
            false);
      });
}

Simulator::~Simulator() {
  if (server_) {
    shutdown();
  }
}

void Simulator::start() {
  if (!state_->options.record_path.empty()) {
    state_->record.open(state_->options.record_path, std::ios::app);
    if (!state_->record) {
      throw std::system_error(errno, std::generic_category(),
                              "cannot open " + state_->options.record_path);
    }
  }
  server_->start();
}

std::uint16_t Simulator::port() const noexcept {
  return server_ ? server_->port() : 0;
}

std::uint64_t Simulator::requestsSeen() const noexcept {
  return state_->requests.load(std::memory_order_relaxed);
}

std::string Simulator::lastRequestBody() const {
  const std::lock_guard lock(state_->record_mutex);
  return state_->last_body;
}

void Simulator::shutdown() {
  // A hanging request never finishes, so waiting for it would only delay the exit.
  server_->shutdown(state_->options.hang ? std::chrono::milliseconds{0} : kShutdownGrace);
}

void Simulator::join() {
  server_->join();
}

} // namespace cordon::simulate
