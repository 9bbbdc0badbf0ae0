// The Anthropic Messages API side of the simulator: request checks as strict as the API's on what
// a gateway must get right (model, max_tokens, message shapes), answers and events as the API
// documents them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "cordon/common/result.h"
#include "simulate/simulator.h"
#include "simulate/wire.h"

namespace cordon::simulate::wire {
namespace {

namespace json = boost::json;

constexpr std::string_view kToolUseId = "toolu_sim_1";

std::string toString(const json::string& text) {
  return {text.data(), text.size()};
}

/// The text of `text` blocks in a block array (other blocks skipped).
std::string blockText(const json::array& blocks) {
  std::string joined;
  for (const auto& block_value : blocks) {
    const auto* block = block_value.if_object();
    if (block == nullptr) {
      continue;
    }
    const auto* type = block->if_contains("type");
    const auto* text = block->if_contains("text");
    if (type != nullptr && type->is_string() && type->get_string() == "text" && text != nullptr &&
        text->is_string()) {
      joined += toString(text->get_string());
    }
  }
  return joined;
}

/// What one message's content says: its text blocks, and the text of its tool_result blocks.
struct MessageText {
  std::string text;
  std::string tool_results;
  bool has_tool_result = false;
};

Result<MessageText> messageText(const json::value& content, std::size_t index) {
  const std::string where = "messages." + std::to_string(index) + ".content";
  MessageText out;
  if (const auto* text = content.if_string()) {
    out.text = toString(*text);
    return out;
  }
  const auto* blocks = content.if_array();
  if (blocks == nullptr) {
    return makeError(Errc::BadRequest, where + ": must be a string or an array of blocks");
  }
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    const std::string block_where = where + "." + std::to_string(i);
    const auto* block = (*blocks)[i].if_object();
    const auto* type_value = block != nullptr ? block->if_contains("type") : nullptr;
    const auto* type = type_value != nullptr ? type_value->if_string() : nullptr;
    if (type == nullptr) {
      return makeError(Errc::BadRequest, block_where + ".type: Field required");
    }
    if (*type == "text") {
      const auto* text = block->if_contains("text");
      if (text == nullptr || !text->is_string()) {
        return makeError(Errc::BadRequest, block_where + ".text: must be a string");
      }
      out.text += toString(text->get_string());
    } else if (*type == "tool_result") {
      out.has_tool_result = true;
      if (const auto* result = block->if_contains("content")) {
        if (const auto* text = result->if_string()) {
          out.tool_results += toString(*text);
        } else if (const auto* parts = result->if_array()) {
          out.tool_results += blockText(*parts);
        }
      }
    } else if (*type != "image" && *type != "tool_use") {
      return makeError(Errc::BadRequest,
                       block_where + ".type: '" + toString(*type) + "' blocks are not simulated");
    }
  }
  return out;
}

std::string event(std::string_view name, const json::object& data) {
  std::string out = "event: ";
  out += name;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
  return out;
}

json::object typed(std::string_view type) {
  json::object object;
  object["type"] = type;
  return object;
}

json::object contentBlock(const MessagesAnswer& answer, bool streamed) {
  if (answer.tool_use) {
    json::object block = typed("tool_use");
    block["id"] = kToolUseId;
    block["name"] = answer.tool_use->name;
    // A streamed tool_use starts empty; its input arrives as input_json_delta pieces.
    block["input"] = streamed ? json::object{} : answer.tool_use->input;
    return block;
  }
  json::object block = typed("text");
  block["text"] = streamed ? std::string_view{} : std::string_view(answer.text);
  return block;
}

std::string_view stopReason(const MessagesAnswer& answer) {
  return answer.tool_use ? "tool_use" : "end_turn";
}

/// The message object without content: what message_start carries and the whole answer extends.
json::object messageShell(const MessagesAnswer& answer, std::string_view id) {
  json::object message;
  message["id"] = id;
  message["type"] = "message";
  message["role"] = "assistant";
  message["model"] = answer.model;
  message["content"] = json::array{};
  message["stop_reason"] = nullptr;
  message["stop_sequence"] = nullptr;
  json::object usage;
  usage["input_tokens"] = answer.input_tokens;
  usage["output_tokens"] = 0;
  message["usage"] = std::move(usage);
  return message;
}

} // namespace

std::string_view anthropicErrorType(unsigned status) {
  switch (status) {
  case 400:
  case 405:
  case 408:
  case 431:
    return "invalid_request_error";
  case 401:
    return "authentication_error";
  case 403:
    return "permission_error";
  case 404:
    return "not_found_error";
  case 413:
    return "request_too_large";
  case 429:
    return "rate_limit_error";
  case 529:
    return "overloaded_error";
  default:
    return "api_error";
  }
}

std::string anthropicErrorBody(std::string_view type, std::string_view message) {
  json::object error = typed(type);
  error["message"] = message;
  json::object body = typed("error");
  body["error"] = std::move(error);
  return json::serialize(body);
}

Result<MessagesAnswer> messagesAnswer(const Options& options, const json::object& body) {
  MessagesAnswer answer;
  const auto* model = body.if_contains("model");
  if (model == nullptr) {
    return makeError(Errc::BadRequest, "model: Field required");
  }
  if (!model->is_string()) {
    return makeError(Errc::BadRequest, "model: must be a string");
  }
  answer.model = toString(model->get_string());
  const auto* max_tokens = body.if_contains("max_tokens");
  if (max_tokens == nullptr) {
    return makeError(Errc::BadRequest, "max_tokens: Field required");
  }
  if (!max_tokens->is_int64() && !max_tokens->is_uint64()) {
    return makeError(Errc::BadRequest, "max_tokens: must be an integer");
  }
  if (const auto* stream = body.if_contains("stream"); stream != nullptr && !stream->is_null()) {
    if (!stream->is_bool()) {
      return makeError(Errc::BadRequest, "stream: must be a boolean");
    }
    answer.stream = stream->get_bool();
  }
  if (const auto* system = body.if_contains("system"); system != nullptr && !system->is_null()) {
    if (const auto* text = system->if_string()) {
      answer.input_tokens += countWords(*text);
    } else if (const auto* blocks = system->if_array()) {
      answer.input_tokens += countWords(blockText(*blocks));
    } else {
      return makeError(Errc::BadRequest, "system: must be a string or an array of text blocks");
    }
  }

  const auto* messages_value = body.if_contains("messages");
  const auto* messages = messages_value != nullptr ? messages_value->if_array() : nullptr;
  if (messages == nullptr) {
    return makeError(Errc::BadRequest, "messages: must be an array");
  }
  if (messages->empty()) {
    return makeError(Errc::BadRequest, "messages: at least one message is required");
  }
  MessageText last;
  bool last_is_user = false;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const auto* message = (*messages)[i].if_object();
    if (message == nullptr) {
      return makeError(Errc::BadRequest, "messages." + std::to_string(i) + ": must be an object");
    }
    const auto* role_value = message->if_contains("role");
    const auto* role = role_value != nullptr ? role_value->if_string() : nullptr;
    if (role == nullptr || (*role != "user" && *role != "assistant")) {
      return makeError(Errc::BadRequest,
                       "messages." + std::to_string(i) + ".role: must be 'user' or 'assistant'");
    }
    const auto* content = message->if_contains("content");
    if (content == nullptr) {
      return makeError(Errc::BadRequest,
                       "messages." + std::to_string(i) + ".content: Field required");
    }
    auto text = messageText(*content, i);
    if (!text) {
      return text.error();
    }
    answer.input_tokens += countWords(text->text) + countWords(text->tool_results);
    last_is_user = *role == "user";
    if (last_is_user) {
      last = std::move(*text);
    }
  }

  // Only the text blocks can ask for a tool: a tool result echoing CALL_TOOL back must not start
  // another round.
  const json::array* tools = nullptr;
  if (const auto* tools_value = body.if_contains("tools")) {
    tools = tools_value->if_array();
  }
  if (tools != nullptr && !tools->empty() && last_is_user &&
      last.text.find("CALL_TOOL") != std::string::npos) {
    ToolUse call;
    if (const auto* tool = tools->front().if_object()) {
      if (const auto* name = tool->if_contains("name"); name != nullptr && name->is_string()) {
        call.name = toString(name->get_string());
      }
    }
    call.input["echo"] = last.text;
    answer.output_tokens = countWords(json::serialize(call.input));
    answer.tool_use = std::move(call);
    return answer;
  }

  const std::string& user_text =
      last.text.empty() && last.has_tool_result ? last.tool_results : last.text;
  answer.text =
      options.mode == Mode::Echo ? "[" + options.name + "] " + user_text : options.fixed_text;
  answer.output_tokens = countWords(answer.text);
  return answer;
}

std::string messagesBody(const MessagesAnswer& answer, std::string_view id) {
  json::object message = messageShell(answer, id);
  json::array content;
  content.push_back(contentBlock(answer, false));
  message["content"] = std::move(content);
  message["stop_reason"] = stopReason(answer);
  json::object usage;
  usage["input_tokens"] = answer.input_tokens;
  usage["output_tokens"] = answer.output_tokens;
  message["usage"] = std::move(usage);
  return json::serialize(message);
}

StreamPlan messagesStream(const Options& options, const MessagesAnswer& answer,
                          std::string_view id) {
  StreamPlan plan;
  {
    json::object start = typed("message_start");
    start["message"] = messageShell(answer, id);
    plan.head.push_back(event("message_start", start));
  }
  {
    json::object start = typed("content_block_start");
    start["index"] = 0;
    start["content_block"] = contentBlock(answer, true);
    plan.head.push_back(event("content_block_start", start));
  }
  plan.head.push_back(event("ping", typed("ping")));

  const auto delta_event = [](json::object delta, std::int64_t index) {
    json::object data = typed("content_block_delta");
    data["index"] = index;
    data["delta"] = std::move(delta);
    return event("content_block_delta", data);
  };
  const std::string streamed =
      answer.tool_use ? json::serialize(answer.tool_use->input) : answer.text;
  for (const auto piece : streamPieces(options, streamed)) {
    json::object delta = typed(answer.tool_use ? "input_json_delta" : "text_delta");
    delta[answer.tool_use ? "partial_json" : "text"] = piece;
    plan.pieces.push_back(delta_event(std::move(delta), 0));
  }

  {
    json::object stop = typed("content_block_stop");
    stop["index"] = 0;
    plan.tail.push_back(event("content_block_stop", stop));
  }
  {
    json::object delta;
    delta["stop_reason"] = stopReason(answer);
    delta["stop_sequence"] = nullptr;
    json::object usage;
    usage["output_tokens"] = answer.output_tokens;
    json::object data = typed("message_delta");
    data["delta"] = std::move(delta);
    data["usage"] = std::move(usage);
    plan.tail.push_back(event("message_delta", data));
  }
  plan.tail.push_back(event("message_stop", typed("message_stop")));

  plan.garbage = "event: content_block_delta\ndata: {this is not json\n\n";
  {
    json::object error = typed("overloaded_error");
    error["message"] = "simulated overload";
    json::object data = typed("error");
    data["error"] = std::move(error);
    plan.error_event = event("error", data);
  }
  {
    json::object delta = typed("text_delta");
    delta["text"] = "out of order";
    plan.out_of_order = delta_event(std::move(delta), 0);
  }
  return plan;
}

} // namespace cordon::simulate::wire
