#include "cordon/protocol/anthropic.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include "cordon/protocol/translate.h"
#include "protocol/decode_util.h"
#include "protocol/json_util.h"

namespace cordon::protocol {
namespace {

namespace json = boost::json;

using detail::appendJsonDouble;
using detail::appendJsonInt;
using detail::appendJsonString;
using detail::decodeSampling;
using detail::kParseBufferBytes;
using detail::member;
using detail::parseJson;
using detail::ParseStatus;
using detail::Path;
using detail::renderPath;
using detail::toStdString;

// ------------------------------------------------------------------------------------------
// Parsing and error details

Error fieldError(const Path& path, std::string_view what) {
  std::string detail;
  renderPath(&path, detail);
  detail += what;
  return makeError(Errc::BadRequest, std::move(detail));
}

Error missingField(const Path& path) {
  std::string detail = "missing required field: ";
  renderPath(&path, detail);
  return makeError(Errc::BadRequest, std::move(detail));
}

Error invalidJson() {
  return makeError(Errc::BadRequest, "request body is not valid JSON");
}

std::optional<std::int64_t> toInt64(const json::value& value) noexcept {
  if (const auto* signed_value = value.if_int64()) {
    return *signed_value;
  }
  if (const auto* unsigned_value = value.if_uint64()) {
    if (*unsigned_value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(*unsigned_value);
    }
  }
  return std::nullopt;
}

/// A token count from an upstream answer: tolerant of doubles and junk (counted as zero).
std::int64_t tokenCount(const json::object& usage, std::string_view key) noexcept {
  const json::value* value = member(usage, key);
  if (value == nullptr) {
    return 0;
  }
  if (const auto* d = value->if_double()) {
    constexpr double kLimit = 9.2e18;
    return (*d >= 0 && *d <= kLimit) ? static_cast<std::int64_t>(*d) : 0;
  }
  return toInt64(*value).value_or(0);
}

/// Input tokens as the canonical Usage counts them: all of the prompt, whether it was read from
/// the cache, written to it, or neither (Anthropic reports the three apart).
std::int64_t inputTokens(const json::object& usage) noexcept {
  std::int64_t total = 0;
  for (const std::string_view key :
       {"input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}) {
    if (__builtin_add_overflow(total, tokenCount(usage, key), &total)) {
      return std::numeric_limits<std::int64_t>::max();
    }
  }
  return total;
}

/// The raw texts of the elements of an array the DOM has already validated; empty when the raw
/// scan disagrees with the DOM (which valid JSON never does).
std::vector<std::string_view> rawElements(std::string_view raw_array, std::size_t expected) {
  std::vector<std::string_view> elements;
  elements.reserve(expected);
  detail::forEachRawElement(raw_array,
                            [&elements](std::string_view element) { elements.push_back(element); });
  if (elements.size() != expected) {
    elements.clear();
  }
  return elements;
}

/// The members of the raw object text `object` not named in `known`, as member text without
/// braces, exactly as written: what cordon forwards without reading (cache_control, citations).
template <std::size_t N>
std::string extraMembers(std::string_view object, const std::array<std::string_view, N>& known) {
  std::string extra;
  detail::forEachRawMember(object, [&](const detail::RawMember& raw) {
    for (const std::string_view name : known) {
      if (detail::rawKeyEquals(raw.raw_key, name)) {
        return;
      }
    }
    if (!extra.empty()) {
      extra.push_back(',');
    }
    extra.push_back('"');
    extra += raw.raw_key;
    extra += "\":";
    extra += raw.value;
  });
  return extra;
}

/// Anthropic block types cordon knows of but does not accept: named in errors because the word
/// comes from this list, never from the body.
std::string_view knownBlockType(std::string_view type) noexcept {
  constexpr std::array<std::string_view, 13> kKnown = {"document",
                                                       "thinking",
                                                       "redacted_thinking",
                                                       "server_tool_use",
                                                       "search_result",
                                                       "web_search_tool_result",
                                                       "web_fetch_tool_result",
                                                       "code_execution_tool_result",
                                                       "container_upload",
                                                       "mcp_tool_use",
                                                       "mcp_tool_result",
                                                       "tool_use",
                                                       "tool_result"};
  for (const std::string_view known : kKnown) {
    if (type == known) {
      return known;
    }
  }
  return {};
}

Error unsupportedBlock(const Path& type_path, std::string_view type) {
  const std::string_view known = knownBlockType(type);
  if (known.empty()) {
    return fieldError(type_path, ": unsupported block type");
  }
  return fieldError(type_path,
                    std::string(": '").append(known).append("' blocks are not supported here"));
}

Result<std::string_view> blockType(const Path& path, const json::object& block) {
  const Path type_path{&path, "type"};
  const json::value* type = member(block, "type");
  if (type == nullptr) {
    return missingField(type_path);
  }
  const auto* name = type->if_string();
  if (name == nullptr) {
    return fieldError(type_path, " must be a string");
  }
  return std::string_view(name->data(), name->size());
}

Result<std::string> requiredString(const Path& parent, const json::object& object,
                                   std::string_view key) {
  const Path path{&parent, key};
  const json::value* value = member(object, key);
  if (value == nullptr) {
    return missingField(path);
  }
  const auto* str = value->if_string();
  if (str == nullptr) {
    return fieldError(path, " must be a string");
  }
  return toStdString(*str);
}

// ------------------------------------------------------------------------------------------
// Decoding requests: content blocks

constexpr std::array<std::string_view, 2> kTextMembers = {"type", "text"};
constexpr std::array<std::string_view, 2> kImageMembers = {"type", "source"};
constexpr std::array<std::string_view, 4> kToolUseMembers = {"type", "id", "name", "input"};
constexpr std::array<std::string_view, 3> kToolResultMembers = {"type", "tool_use_id", "content"};
constexpr std::array<std::string_view, 4> kToolResultErrorMembers = {"type", "tool_use_id",
                                                                     "content", "is_error"};

Result<void> decodeTextBlock(const Path& path, const json::object& block, std::string_view raw,
                             ContentPart& part) {
  auto text = requiredString(path, block, "text");
  if (!text) {
    return text.error();
  }
  part.kind = ContentPart::Kind::Text;
  part.text = std::move(*text);
  part.extra = extraMembers(raw, kTextMembers);
  return {};
}

Result<void> decodeImageBlock(const Path& path, const json::object& block, std::string_view raw,
                              ContentPart& part) {
  const Path source_path{&path, "source"};
  const json::value* source = member(block, "source");
  if (source == nullptr) {
    return missingField(source_path);
  }
  const auto* source_object = source->if_object();
  if (source_object == nullptr) {
    return fieldError(source_path, " must be an object");
  }
  auto type = requiredString(source_path, *source_object, "type");
  if (!type) {
    return type.error();
  }
  part.kind = ContentPart::Kind::ImageUrl;
  if (*type == "base64") {
    auto media_type = requiredString(source_path, *source_object, "media_type");
    if (!media_type) {
      return media_type.error();
    }
    auto data = requiredString(source_path, *source_object, "data");
    if (!data) {
      return data.error();
    }
    part.image_url.reserve(data->size() + media_type->size() + 13);
    part.image_url = "data:";
    part.image_url += *media_type;
    part.image_url += ";base64,";
    part.image_url += *data;
  } else if (*type == "url") {
    auto url = requiredString(source_path, *source_object, "url");
    if (!url) {
      return url.error();
    }
    part.image_url = std::move(*url);
  } else {
    // A file id names data cordon cannot see, so it cannot be classified.
    return fieldError(Path{&source_path, "type"}, ": only base64 and url images are supported");
  }
  part.extra = extraMembers(raw, kImageMembers);
  return {};
}

/// A text or image block (user content, tool_result content).
Result<void> decodePartBlock(const Path& path, const json::value& value, std::string_view raw,
                             ContentPart& part) {
  const auto* block = value.if_object();
  if (block == nullptr) {
    return fieldError(path, " must be an object");
  }
  auto type = blockType(path, *block);
  if (!type) {
    return type.error();
  }
  if (*type == "text") {
    return decodeTextBlock(path, *block, raw, part);
  }
  if (*type == "image") {
    return decodeImageBlock(path, *block, raw, part);
  }
  return unsupportedBlock(Path{&path, "type"}, *type);
}

Result<void> decodeToolUse(const Path& path, const json::object& block, std::string_view raw,
                           ToolCall& call) {
  auto id = requiredString(path, block, "id");
  if (!id) {
    return id.error();
  }
  auto name = requiredString(path, block, "name");
  if (!name) {
    return name.error();
  }
  const Path input_path{&path, "input"};
  const json::value* input = member(block, "input");
  if (input == nullptr) {
    return missingField(input_path);
  }
  if (!input->is_object()) {
    return fieldError(input_path, " must be an object");
  }
  call.id = std::move(*id);
  call.name = std::move(*name);
  call.arguments = std::string(detail::findRawMember(raw, "input"));
  if (call.arguments.empty()) {
    return invalidJson();
  }
  call.extra = extraMembers(raw, kToolUseMembers);
  return {};
}

Result<void> decodeToolResult(const Path& path, const json::object& block, std::string_view raw,
                              Message& message) {
  message.role = Role::Tool;
  auto id = requiredString(path, block, "tool_use_id");
  if (!id) {
    return id.error();
  }
  message.tool_call_id = std::move(*id);
  const Path content_path{&path, "content"};
  const json::value* content = member(block, "content");
  if (content == nullptr) {
    message.content_is_string = false;
  } else if (const auto* text = content->if_string()) {
    message.content_is_string = true;
    message.content.emplace_back().text = toStdString(*text);
  } else if (const auto* blocks = content->if_array()) {
    message.content_is_string = false;
    const auto raw_blocks = rawElements(detail::findRawMember(raw, "content"), blocks->size());
    if (raw_blocks.size() != blocks->size()) {
      return invalidJson();
    }
    message.content.resize(blocks->size());
    for (std::size_t k = 0; k < blocks->size(); ++k) {
      if (auto part = decodePartBlock(Path{&content_path, {}, k}, (*blocks)[k], raw_blocks[k],
                                      message.content[k]);
          !part) {
        return part;
      }
    }
  } else {
    return fieldError(content_path, " must be a string or an array of blocks");
  }
  // An explicit `"is_error":false` stays in `extra`, so a same-protocol re-encode keeps it.
  if (const json::value* is_error = member(block, "is_error")) {
    if (!is_error->is_bool()) {
      return fieldError(Path{&path, "is_error"}, " must be a boolean");
    }
    message.is_error = is_error->get_bool();
  }
  message.extra = message.is_error ? extraMembers(raw, kToolResultErrorMembers)
                                   : extraMembers(raw, kToolResultMembers);
  return {};
}

// ------------------------------------------------------------------------------------------
// Decoding requests: messages

constexpr std::array<std::string_view, 2> kMessageMembers = {"role", "content"};

/// A user message's blocks: each tool_result becomes a Tool message (in block order), then the
/// remaining text and image blocks one user message (when there are any, or when there was no
/// tool_result at all).
Result<void> decodeUserBlocks(const Path& content_path, const json::array& blocks,
                              std::string_view raw_content, std::vector<Message>& out) {
  const auto raw_blocks = rawElements(raw_content, blocks.size());
  if (raw_blocks.size() != blocks.size()) {
    return invalidJson();
  }
  Message user;
  user.role = Role::User;
  user.content_is_string = false;
  bool had_tool_result = false;
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    const Path block_path{&content_path, {}, k};
    const auto* block = blocks[k].if_object();
    if (block == nullptr) {
      return fieldError(block_path, " must be an object");
    }
    auto type = blockType(block_path, *block);
    if (!type) {
      return type.error();
    }
    if (*type == "tool_result") {
      had_tool_result = true;
      if (auto decoded = decodeToolResult(block_path, *block, raw_blocks[k], out.emplace_back());
          !decoded) {
        return decoded;
      }
      continue;
    }
    if (*type == "tool_use") {
      return fieldError(Path{&block_path, "type"},
                        ": tool_use blocks are only allowed in assistant messages");
    }
    if (auto part =
            decodePartBlock(block_path, blocks[k], raw_blocks[k], user.content.emplace_back());
        !part) {
      return part;
    }
  }
  if (!user.content.empty() || !had_tool_result) {
    out.push_back(std::move(user));
  }
  return {};
}

Result<void> decodeAssistantBlocks(const Path& content_path, const json::array& blocks,
                                   std::string_view raw_content, Message& message) {
  const auto raw_blocks = rawElements(raw_content, blocks.size());
  if (raw_blocks.size() != blocks.size()) {
    return invalidJson();
  }
  message.content_is_string = false;
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    const Path block_path{&content_path, {}, k};
    const auto* block = blocks[k].if_object();
    if (block == nullptr) {
      return fieldError(block_path, " must be an object");
    }
    auto type = blockType(block_path, *block);
    if (!type) {
      return type.error();
    }
    if (*type == "text") {
      if (auto part =
              decodeTextBlock(block_path, *block, raw_blocks[k], message.content.emplace_back());
          !part) {
        return part;
      }
    } else if (*type == "tool_use") {
      if (auto call =
              decodeToolUse(block_path, *block, raw_blocks[k], message.tool_calls.emplace_back());
          !call) {
        return call;
      }
    } else if (*type == "image") {
      return fieldError(Path{&block_path, "type"},
                        ": image blocks are only allowed in user messages and tool results");
    } else {
      return unsupportedBlock(Path{&block_path, "type"}, *type);
    }
  }
  return {};
}

Result<void> decodeMessage(const Path& path, const json::value& value, std::string_view raw,
                           std::vector<Message>& out) {
  const auto* object = value.if_object();
  if (object == nullptr) {
    return fieldError(path, " must be an object");
  }
  bool other_members = false;
  detail::forEachRawMember(raw, [&other_members](const detail::RawMember& raw_member) {
    if (!detail::rawKeyEquals(raw_member.raw_key, kMessageMembers[0]) &&
        !detail::rawKeyEquals(raw_member.raw_key, kMessageMembers[1])) {
      other_members = true;
    }
  });
  if (other_members) {
    return fieldError(path, " has members other than role and content");
  }
  const Path role_path{&path, "role"};
  const json::value* role = member(*object, "role");
  if (role == nullptr) {
    return missingField(role_path);
  }
  const auto* role_name = role->if_string();
  if (role_name == nullptr || (*role_name != "user" && *role_name != "assistant")) {
    return fieldError(role_path, R"( must be "user" or "assistant")");
  }
  const bool is_user = *role_name == "user";
  const Path content_path{&path, "content"};
  const json::value* content = member(*object, "content");
  if (content == nullptr) {
    return missingField(content_path);
  }
  if (const auto* text = content->if_string()) {
    Message& message = out.emplace_back();
    message.role = is_user ? Role::User : Role::Assistant;
    message.content_is_string = true;
    message.content.emplace_back().text = toStdString(*text);
    return {};
  }
  const auto* blocks = content->if_array();
  if (blocks == nullptr) {
    return fieldError(content_path, " must be a string or an array of blocks");
  }
  const std::string_view raw_content = detail::findRawMember(raw, "content");
  if (is_user) {
    return decodeUserBlocks(content_path, *blocks, raw_content, out);
  }
  Message& message = out.emplace_back();
  message.role = Role::Assistant;
  return decodeAssistantBlocks(content_path, *blocks, raw_content, message);
}

Result<void> decodeSystem(const json::value& value, std::string_view raw, ChatRequest& request) {
  const Path system_path{nullptr, "system"};
  Message& message = request.messages.emplace_back();
  message.role = Role::System;
  if (const auto* text = value.if_string()) {
    message.content_is_string = true;
    message.content.emplace_back().text = toStdString(*text);
    return {};
  }
  const auto* blocks = value.if_array();
  if (blocks == nullptr) {
    return fieldError(system_path, " must be a string or an array of text blocks");
  }
  message.content_is_string = false;
  const auto raw_blocks = rawElements(raw, blocks->size());
  if (raw_blocks.size() != blocks->size()) {
    return invalidJson();
  }
  message.content.resize(blocks->size());
  for (std::size_t k = 0; k < blocks->size(); ++k) {
    const Path block_path{&system_path, {}, k};
    const auto* block = (*blocks)[k].if_object();
    if (block == nullptr) {
      return fieldError(block_path, " must be an object");
    }
    auto type = blockType(block_path, *block);
    if (!type) {
      return type.error();
    }
    if (*type != "text") {
      return fieldError(Path{&block_path, "type"}, ": only text blocks are allowed in system");
    }
    if (auto part = decodeTextBlock(block_path, *block, raw_blocks[k], message.content[k]); !part) {
      return part;
    }
  }
  return {};
}

// ------------------------------------------------------------------------------------------
// Decoding requests: top-level fields

constexpr std::array<std::string_view, 3> kToolMembers = {"name", "description", "input_schema"};

Result<void> decodeTools(const json::value& value, std::string_view raw,
                         std::vector<ToolDefinition>& tools) {
  const Path tools_path{nullptr, "tools"};
  const auto* array = value.if_array();
  if (array == nullptr) {
    return fieldError(tools_path, " must be an array");
  }
  const auto raw_tools = rawElements(raw, array->size());
  if (raw_tools.size() != array->size()) {
    return invalidJson();
  }
  tools.resize(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path tool_path{&tools_path, {}, i};
    const auto* object = (*array)[i].if_object();
    if (object == nullptr) {
      return fieldError(tool_path, " must be an object");
    }
    if (const json::value* type = member(*object, "type")) {
      if (!type->is_string() || type->get_string() != "custom") {
        // Server tools (web search, code execution, computer use…) run at Anthropic and return
        // content cordon never sees, so it could neither classify nor restore it.
        return fieldError(Path{&tool_path, "type"}, ": server tools are not supported by cordon");
      }
    }
    ToolDefinition& tool = tools[i];
    auto name = requiredString(tool_path, *object, "name");
    if (!name) {
      return name.error();
    }
    if (name->empty()) {
      return fieldError(Path{&tool_path, "name"}, " must be a non-empty string");
    }
    tool.name = std::move(*name);
    if (const json::value* description = member(*object, "description")) {
      if (!description->is_string()) {
        return fieldError(Path{&tool_path, "description"}, " must be a string");
      }
      tool.description = toStdString(description->get_string());
    }
    const Path schema_path{&tool_path, "input_schema"};
    const json::value* schema = member(*object, "input_schema");
    if (schema == nullptr) {
      return missingField(schema_path);
    }
    if (!schema->is_object()) {
      return fieldError(schema_path, " must be an object");
    }
    tool.parameters = std::string(detail::findRawMember(raw_tools[i], "input_schema"));
    if (tool.parameters.empty()) {
      return invalidJson();
    }
    tool.extra = extraMembers(raw_tools[i], kToolMembers);
  }
  return {};
}

Result<ToolChoice> decodeToolChoice(const json::value& value, std::string_view raw) {
  const Path path{nullptr, "tool_choice"};
  const auto* object = value.if_object();
  if (object == nullptr) {
    return fieldError(path, " must be an object");
  }
  ToolChoice choice;
  choice.json = std::string(raw);
  const json::value* type = member(*object, "type");
  if (type == nullptr) {
    return missingField(Path{&path, "type"});
  }
  const auto* type_name = type->if_string();
  if (type_name == nullptr) {
    return fieldError(Path{&path, "type"}, " must be a string");
  }
  if (*type_name == "auto") {
    choice.mode = ToolChoice::Mode::Auto;
  } else if (*type_name == "any") {
    choice.mode = ToolChoice::Mode::Required;
  } else if (*type_name == "none") {
    choice.mode = ToolChoice::Mode::None;
  } else if (*type_name == "tool") {
    choice.mode = ToolChoice::Mode::Named;
    auto name = requiredString(path, *object, "name");
    if (!name) {
      return name.error();
    }
    choice.name = std::move(*name);
  } else {
    return fieldError(Path{&path, "type"}, R"( must be "auto", "any", "tool" or "none")");
  }
  if (const json::value* disable = member(*object, "disable_parallel_tool_use")) {
    if (!disable->is_bool()) {
      return fieldError(Path{&path, "disable_parallel_tool_use"}, " must be a boolean");
    }
    choice.disable_parallel = disable->get_bool();
  }
  return choice;
}

constexpr std::array<std::string_view, 11> kRequestFields = {
    "model",          "max_tokens", "system",      "messages", "tools",   "tool_choice",
    "stop_sequences", "stream",     "temperature", "top_p",    "thinking"};

/// Exact texts of the request members read from the raw body rather than the DOM.
struct RawRequestFields {
  std::string_view system;
  std::string_view messages;
  std::string_view tools;
  std::string_view tool_choice;
  std::string_view temperature;
  std::string_view top_p;
  std::string_view thinking;

  void set(std::string_view name, std::string_view value) {
    if (name == "system") {
      system = value;
    } else if (name == "messages") {
      messages = value;
    } else if (name == "tools") {
      tools = value;
    } else if (name == "tool_choice") {
      tool_choice = value;
    } else if (name == "temperature") {
      temperature = value;
    } else if (name == "top_p") {
      top_p = value;
    } else if (name == "thinking") {
      thinking = value;
    }
  }
};

Result<void> decodeMessages(const json::object& root, const RawRequestFields& raw,
                            ChatRequest& request) {
  const json::value* messages = member(root, "messages");
  if (messages == nullptr) {
    return makeError(Errc::BadRequest, "missing required field: messages");
  }
  const auto* array = messages->if_array();
  if (array == nullptr || array->empty()) {
    return makeError(Errc::BadRequest, "messages must be a non-empty array");
  }
  const auto raw_messages = rawElements(raw.messages, array->size());
  if (raw_messages.size() != array->size()) {
    return invalidJson();
  }
  request.messages.reserve(request.messages.size() + array->size());
  const Path messages_path{nullptr, "messages"};
  for (std::size_t i = 0; i < array->size(); ++i) {
    if (auto decoded = decodeMessage(Path{&messages_path, {}, i}, (*array)[i], raw_messages[i],
                                     request.messages);
        !decoded) {
      return decoded;
    }
  }
  return {};
}

Result<void> decodeScalars(const json::object& root, const RawRequestFields& raw,
                           ChatRequest& request) {
  const json::value* max_tokens = member(root, "max_tokens");
  if (max_tokens == nullptr) {
    return makeError(Errc::BadRequest, "missing required field: max_tokens");
  }
  const auto limit = toInt64(*max_tokens);
  if (!limit || *limit < 1) {
    return makeError(Errc::BadRequest, "max_tokens must be a positive integer");
  }
  request.max_tokens = *limit;
  if (const json::value* stop = member(root, "stop_sequences")) {
    const auto* array = stop->if_array();
    if (array == nullptr) {
      return makeError(Errc::BadRequest, "stop_sequences must be an array of strings");
    }
    request.stop.reserve(array->size());
    for (const json::value& element : *array) {
      if (!element.is_string()) {
        return makeError(Errc::BadRequest, "stop_sequences must be an array of strings");
      }
      request.stop.push_back(toStdString(element.get_string()));
    }
  }
  if (const json::value* stream = member(root, "stream")) {
    if (!stream->is_bool()) {
      return makeError(Errc::BadRequest, "stream must be a boolean");
    }
    request.stream = stream->get_bool();
    // An Anthropic stream always reports usage; asked of an OpenAI backend, so it can be.
    request.stream_include_usage = request.stream;
  }
  auto temperature = decodeSampling(root, raw.temperature, "temperature");
  if (!temperature) {
    return temperature.error();
  }
  request.temperature = *temperature;
  auto top_p = decodeSampling(root, raw.top_p, "top_p");
  if (!top_p) {
    return top_p.error();
  }
  request.top_p = *top_p;
  return {};
}

Result<void> decodeRequestFields(const json::object& root, const RawRequestFields& raw,
                                 ChatRequest& request) {
  const json::value* model = member(root, "model");
  if (model == nullptr) {
    return makeError(Errc::BadRequest, "missing required field: model");
  }
  if (model->if_string() == nullptr || model->if_string()->empty()) {
    return makeError(Errc::BadRequest, "model must be a non-empty string");
  }
  request.model = toStdString(*model->if_string());
  if (const json::value* thinking = member(root, "thinking")) {
    const auto* object = thinking->if_object();
    const json::value* type = object != nullptr ? member(*object, "type") : nullptr;
    if (type == nullptr || !type->is_string() || type->get_string() != "disabled") {
      // Thinking blocks carry signed model state cordon can neither classify nor restore.
      return makeError(Errc::BadRequest, "thinking is not supported by cordon");
    }
    request.passthrough.push_back(PassthroughField{"thinking", std::string(raw.thinking)});
  }
  if (const json::value* system = member(root, "system")) {
    if (auto decoded = decodeSystem(*system, raw.system, request); !decoded) {
      return decoded;
    }
  }
  if (auto messages = decodeMessages(root, raw, request); !messages) {
    return messages;
  }
  if (const json::value* tools = member(root, "tools")) {
    if (auto decoded = decodeTools(*tools, raw.tools, request.tools); !decoded) {
      return decoded;
    }
  }
  if (const json::value* tool_choice = member(root, "tool_choice")) {
    auto decoded = decodeToolChoice(*tool_choice, raw.tool_choice);
    if (!decoded) {
      return decoded.error();
    }
    request.tool_choice = std::move(*decoded);
  }
  return decodeScalars(root, raw, request);
}

// ------------------------------------------------------------------------------------------
// Encoding requests

bool isTextOnly(const std::vector<ContentPart>& content) noexcept {
  for (const ContentPart& part : content) {
    if (part.kind != ContentPart::Kind::Text || !part.extra.empty()) {
      return false;
    }
  }
  return true;
}

/// True when `content` can be written as a plain string without losing anything.
bool asString(const Message& message) noexcept {
  return message.content_is_string && !message.content.empty() && isTextOnly(message.content);
}

void appendJoinedText(std::string& out, const std::vector<ContentPart>& content) {
  if (content.size() == 1) {
    appendJsonString(out, content.front().text);
    return;
  }
  std::string joined;
  for (const ContentPart& part : content) {
    joined += part.text;
  }
  appendJsonString(out, joined);
}

void appendExtra(std::string& out, const std::string& extra) {
  if (!extra.empty()) {
    out.push_back(',');
    out += extra;
  }
}

void appendImageBlock(std::string& out, const ContentPart& part) {
  const std::string_view url = part.image_url;
  constexpr std::string_view kData = "data:";
  constexpr std::string_view kBase64 = ";base64,";
  out += R"({"type":"image","source":)";
  const std::size_t marker = url.find(kBase64);
  if (url.substr(0, kData.size()) == kData && marker != std::string_view::npos &&
      url.find(',') == marker + kBase64.size() - 1) {
    out += R"({"type":"base64","media_type":)";
    appendJsonString(out, url.substr(kData.size(), marker - kData.size()));
    out += R"(,"data":)";
    appendJsonString(out, url.substr(marker + kBase64.size()));
  } else {
    out += R"({"type":"url","url":)";
    appendJsonString(out, url);
  }
  out.push_back('}');
  appendExtra(out, part.extra);
  out.push_back('}');
}

/// Text and image parts as blocks, comma-separated, no brackets. Empty text blocks are skipped:
/// Anthropic refuses them, and an OpenAI assistant turn with tool calls often has "".
void appendPartBlocks(std::string& out, const std::vector<ContentPart>& content, bool& first) {
  for (const ContentPart& part : content) {
    if (part.kind == ContentPart::Kind::Text && part.text.empty() && part.extra.empty()) {
      continue;
    }
    if (!first) {
      out.push_back(',');
    }
    first = false;
    if (part.kind == ContentPart::Kind::Text) {
      out += R"({"type":"text","text":)";
      appendJsonString(out, part.text);
      appendExtra(out, part.extra);
      out.push_back('}');
    } else {
      appendImageBlock(out, part);
    }
  }
}

void appendContent(std::string& out, const Message& message) {
  if (asString(message)) {
    appendJoinedText(out, message.content);
    return;
  }
  out.push_back('[');
  bool first = true;
  appendPartBlocks(out, message.content, first);
  out.push_back(']');
}

/// The tool_use `input`: the arguments when they are a JSON object, else {"arguments": TEXT}
/// (a model's malformed arguments are kept for the next turn rather than dropped).
void appendToolInput(std::string& out, const std::string& arguments) {
  constexpr std::string_view kSpace = " \t\r\n";
  const std::size_t begin = arguments.find_first_not_of(kSpace);
  if (begin == std::string::npos) {
    out += "{}";
    return;
  }
  const std::string_view trimmed =
      std::string_view(arguments).substr(begin, arguments.find_last_not_of(kSpace) + 1 - begin);
  if (trimmed.front() == '{') {
    std::array<unsigned char, kParseBufferBytes> buffer;
    json::monotonic_resource resource(buffer.data(), buffer.size());
    ParseStatus status = ParseStatus::Invalid;
    const json::value parsed = parseJson(trimmed, &resource, status);
    if (status == ParseStatus::Ok && parsed.is_object()) {
      out += trimmed;
      return;
    }
  }
  out += R"({"arguments":)";
  appendJsonString(out, arguments);
  out.push_back('}');
}

void appendAssistant(std::string& out, const Message& message) {
  out += R"({"role":"assistant","content":)";
  if (message.tool_calls.empty() && asString(message)) {
    appendJoinedText(out, message.content);
    out.push_back('}');
    return;
  }
  if (message.tool_calls.empty() && message.content.empty() && !message.refusal.empty()) {
    appendJsonString(out, message.refusal); // an earlier refusal, as the text it was
    out.push_back('}');
    return;
  }
  out.push_back('[');
  bool first = true;
  appendPartBlocks(out, message.content, first);
  for (const ToolCall& call : message.tool_calls) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += R"({"type":"tool_use","id":)";
    appendJsonString(out, call.id);
    out += R"(,"name":)";
    appendJsonString(out, call.name);
    out += R"(,"input":)";
    appendToolInput(out, call.arguments);
    appendExtra(out, call.extra);
    out.push_back('}');
  }
  out += "]}";
}

void appendToolResult(std::string& out, const Message& message) {
  out += R"({"type":"tool_result","tool_use_id":)";
  appendJsonString(out, message.tool_call_id);
  if (!message.content.empty() || message.content_is_string) {
    out += R"(,"content":)";
    if (message.content.empty()) {
      out += R"("")";
    } else {
      appendContent(out, message);
    }
  }
  if (message.is_error) {
    out += R"(,"is_error":true)";
  }
  appendExtra(out, message.extra);
  out.push_back('}');
}

bool isSystem(const Message& message) noexcept {
  return message.role == Role::System || message.role == Role::Developer;
}

/// Leading system messages: a string when there is exactly one, sent as a string; else text
/// blocks, one per part (joining several would have to invent a separator).
void appendSystem(std::string& out, const std::vector<Message>& messages, std::size_t count) {
  out += R"(,"system":)";
  if (count == 1 && asString(messages.front())) {
    appendJoinedText(out, messages.front().content);
    return;
  }
  out.push_back('[');
  bool first = true;
  for (std::size_t i = 0; i < count; ++i) {
    for (const ContentPart& part : messages[i].content) {
      if (part.kind != ContentPart::Kind::Text) {
        continue; // checkTranslatable refuses images in system messages
      }
      if (!first) {
        out.push_back(',');
      }
      first = false;
      out += R"({"type":"text","text":)";
      appendJsonString(out, part.text);
      appendExtra(out, part.extra);
      out.push_back('}');
    }
  }
  out.push_back(']');
}

void appendMessages(std::string& out, const std::vector<Message>& messages, std::size_t begin) {
  out += R"(,"messages":[)";
  bool first = true;
  for (std::size_t i = begin; i < messages.size(); ++i) {
    const Message& message = messages[i];
    if (isSystem(message)) {
      continue; // checkTranslatable refuses a system message after the conversation started
    }
    if (!first) {
      out.push_back(',');
    }
    first = false;
    if (message.role == Role::Assistant) {
      appendAssistant(out, message);
      continue;
    }
    if (message.role == Role::User) {
      out += R"({"role":"user","content":)";
      appendContent(out, message);
      out.push_back('}');
      continue;
    }
    // A run of tool results is one user turn; a block-form user message right after it is the
    // rest of that turn (how decodeUserBlocks split it).
    out += R"({"role":"user","content":[)";
    bool first_block = true;
    for (; i < messages.size() && messages[i].role == Role::Tool; ++i) {
      if (!first_block) {
        out.push_back(',');
      }
      first_block = false;
      appendToolResult(out, messages[i]);
    }
    if (i < messages.size() && messages[i].role == Role::User && !messages[i].content_is_string) {
      appendPartBlocks(out, messages[i].content, first_block);
    } else {
      --i;
    }
    out += "]}";
  }
  out.push_back(']');
}

void appendTools(std::string& out, const std::vector<ToolDefinition>& tools) {
  out += R"(,"tools":[)";
  bool first = true;
  for (const ToolDefinition& tool : tools) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += R"({"name":)";
    appendJsonString(out, tool.name);
    if (!tool.description.empty()) {
      out += R"(,"description":)";
      appendJsonString(out, tool.description);
    }
    out += R"(,"input_schema":)";
    out += tool.parameters.empty() ? std::string_view(R"({"type":"object","properties":{}})")
                                   : std::string_view(tool.parameters);
    appendExtra(out, tool.extra);
    out.push_back('}');
  }
  out.push_back(']');
}

const PassthroughField* findPassthrough(const ChatRequest& request, std::string_view name) {
  const PassthroughField* found = nullptr;
  for (const PassthroughField& field : request.passthrough) {
    if (field.name == name) {
      found = &field;
    }
  }
  return found;
}

/// tool_choice for a request from the OpenAI front door, rebuilt from its mode; OpenAI's
/// `parallel_tool_calls: false` becomes `disable_parallel_tool_use` (Mapped).
void appendMappedToolChoice(std::string& out, const ChatRequest& request) {
  if (request.tools.empty()) {
    return; // Anthropic refuses a tool_choice without tools; OpenAI's "none" then means nothing
  }
  const PassthroughField* parallel = findPassthrough(request, "parallel_tool_calls");
  const bool disable =
      (request.tool_choice && request.tool_choice->disable_parallel.value_or(false)) ||
      (parallel != nullptr && detail::rawDocument(parallel->json) == "false");
  const ToolChoice::Mode mode =
      request.tool_choice ? request.tool_choice->mode : ToolChoice::Mode::Auto;
  if (!request.tool_choice && !disable) {
    return;
  }
  out += R"(,"tool_choice":{"type":)";
  switch (mode) {
  case ToolChoice::Mode::None:
    out += R"("none"})";
    return; // parallelism means nothing when no tool may be called
  case ToolChoice::Mode::Required:
    out += R"("any")";
    break;
  case ToolChoice::Mode::Named:
    out += R"("tool","name":)";
    appendJsonString(out, request.tool_choice->name);
    break;
  default:
    out += R"("auto")";
    break;
  }
  if (disable) {
    out += R"(,"disable_parallel_tool_use":true)";
  }
  out.push_back('}');
}

/// Passthrough fields: an Anthropic request's own go back unchanged; an OpenAI request's `user`
/// becomes metadata.user_id, the rest are dropped or were refused by checkTranslatable.
void appendPassthrough(std::string& out, const ChatRequest& request) {
  if (request.origin != Wire::Anthropic) {
    const PassthroughField* user = findPassthrough(request, "user");
    if (user != nullptr) {
      const std::string_view text = detail::rawDocument(user->json);
      if (!text.empty() && text.front() == '"') {
        out += R"(,"metadata":{"user_id":)";
        out += text;
        out.push_back('}');
      }
    }
    return;
  }
  for (const PassthroughField& field : request.passthrough) {
    if (field.json.empty()) {
      continue;
    }
    bool reserved = false;
    for (const std::string_view name : kRequestFields) {
      reserved = reserved || (field.name == name && name != "thinking");
    }
    if (reserved) {
      continue; // never let a passthrough field shadow one cordon writes itself
    }
    out.push_back(',');
    appendJsonString(out, field.name);
    out.push_back(':');
    out += field.json;
  }
}

// ------------------------------------------------------------------------------------------
// Responses

std::string finishFromStop(std::string_view stop_reason) {
  if (stop_reason == "end_turn" || stop_reason == "stop_sequence" || stop_reason == "pause_turn") {
    return "stop";
  }
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "tool_use") {
    return "tool_calls";
  }
  if (stop_reason == "refusal") {
    return "content_filter";
  }
  return stop_reason.empty() ? std::string() : std::string("stop");
}

std::string stopFromFinish(const std::string& finish_reason, const std::string& native,
                           const std::string& stop_sequence) {
  if (!native.empty()) {
    return native;
  }
  if (finish_reason == "length") {
    return "max_tokens";
  }
  if (finish_reason == "tool_calls" || finish_reason == "function_call") {
    return "tool_use";
  }
  if (finish_reason == "content_filter") {
    return "refusal";
  }
  return stop_sequence.empty() ? "end_turn" : "stop_sequence";
}

void appendStopSequence(std::string& out, const std::string& stop_sequence) {
  out += R"("stop_sequence":)";
  if (stop_sequence.empty()) {
    out += "null";
  } else {
    appendJsonString(out, stop_sequence);
  }
}

std::string_view anthropicErrorType(Errc code) noexcept {
  switch (code) {
  case Errc::BadRequest:
  case Errc::MethodNotAllowed:
  case Errc::RequestTimeout:
  case Errc::HeadersTooLarge:
    return "invalid_request_error";
  case Errc::PayloadTooLarge:
    return "request_too_large";
  case Errc::Unauthorized:
    return "authentication_error";
  case Errc::PolicyViolation:
    return "permission_error";
  case Errc::NotFound:
    return "not_found_error";
  case Errc::RateLimited:
    return "rate_limit_error";
  case Errc::Unavailable:
    return "overloaded_error";
  case Errc::Internal:
  case Errc::UpstreamFailed:
  case Errc::UpstreamTimeout:
    return "api_error";
  }
  return "api_error";
}

std::string_view kindOfError(std::string_view type) noexcept {
  constexpr std::array<std::string_view, 10> kTypes = {
      "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
      "request_too_large",     "rate_limit_error",     "api_error",        "overloaded_error",
      "billing_error",         "timeout_error"};
  for (const std::string_view known : kTypes) {
    if (type == known) {
      return known;
    }
  }
  return "unknown";
}

// ------------------------------------------------------------------------------------------
// Stream events

Error streamError(std::string_view event, std::string_view what) {
  std::string detail = "upstream stream: ";
  detail += event;
  detail += what;
  return makeError(Errc::UpstreamFailed, std::move(detail));
}

/// An event type named in errors only when it is one of the spec's, never text from the wire.
std::string_view eventName(std::string_view type) noexcept {
  constexpr std::array<std::string_view, 8> kEvents = {"message_start",
                                                       "content_block_start",
                                                       "content_block_delta",
                                                       "content_block_stop",
                                                       "message_delta",
                                                       "message_stop",
                                                       "ping",
                                                       "error"};
  for (const std::string_view known : kEvents) {
    if (type == known) {
      return known;
    }
  }
  return "event";
}

std::optional<std::size_t> blockIndex(const json::object& data) noexcept {
  const json::value* index = member(data, "index");
  if (index == nullptr) {
    return std::nullopt;
  }
  const auto parsed = toInt64(*index);
  if (!parsed || *parsed < 0 || *parsed > 1'000'000) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(*parsed);
}

std::string stringMember(const json::object& object, std::string_view key) {
  const json::value* value = member(object, key);
  return value != nullptr && value->is_string() ? toStdString(value->get_string()) : std::string();
}

SseEvent makeEvent(std::string_view name, std::string data) {
  return SseEvent{std::string(name), std::move(data)};
}

} // namespace

// ------------------------------------------------------------------------------------------

Result<ChatRequest> decodeAnthropicMessagesRequest(std::string_view body) {
  std::array<unsigned char, kParseBufferBytes> buffer;
  json::monotonic_resource resource(buffer.data(), buffer.size());
  ParseStatus status = ParseStatus::Invalid;
  const json::value root = parseJson(body, &resource, status);
  if (status == ParseStatus::TooDeep) {
    return makeError(Errc::BadRequest, "request body nests too deeply");
  }
  if (status != ParseStatus::Ok) {
    return invalidJson();
  }
  const auto* object = root.if_object();
  if (object == nullptr) {
    return makeError(Errc::BadRequest, "request body must be a JSON object");
  }
  ChatRequest request;
  request.origin = Wire::Anthropic;
  RawRequestFields raw;
  const bool scanned = detail::forEachRawMember(
      detail::rawDocument(body), [&](const detail::RawMember& member_text) {
        const std::string name = detail::decodeRawKey(member_text.raw_key);
        for (const std::string_view known : kRequestFields) {
          if (name == known) {
            raw.set(known, member_text.value);
            return;
          }
        }
        // Last one wins, as boost::json decides for the DOM.
        for (PassthroughField& field : request.passthrough) {
          if (field.name == name) {
            field.json = std::string(member_text.value);
            return;
          }
        }
        request.passthrough.push_back(PassthroughField{name, std::string(member_text.value)});
      });
  if (!scanned) {
    return invalidJson();
  }
  if (auto decoded = decodeRequestFields(*object, raw, request); !decoded) {
    return decoded.error();
  }
  return request;
}

std::string encodeAnthropicMessagesRequest(const ChatRequest& request,
                                           std::string_view upstream_model,
                                           std::int64_t default_max_tokens) {
  std::string out;
  std::size_t size = 256 + upstream_model.size();
  for (const Message& message : request.messages) {
    size += 96 + message.tool_call_id.size() + message.extra.size();
    for (const ContentPart& part : message.content) {
      size += 64 + part.text.size() + part.image_url.size() + part.extra.size();
    }
    for (const ToolCall& call : message.tool_calls) {
      size += 96 + call.id.size() + call.name.size() + call.arguments.size() + call.extra.size();
    }
  }
  for (const ToolDefinition& tool : request.tools) {
    size += 64 + tool.name.size() + tool.description.size() + tool.parameters.size() +
            tool.extra.size();
  }
  for (const PassthroughField& field : request.passthrough) {
    size += 4 + field.name.size() + field.json.size();
  }
  out.reserve(size);
  out += R"({"model":)";
  appendJsonString(out, upstream_model);
  out += R"(,"max_tokens":)";
  appendJsonInt(out, request.max_tokens.value_or(default_max_tokens));
  std::size_t system_count = 0;
  while (system_count < request.messages.size() && isSystem(request.messages[system_count])) {
    ++system_count;
  }
  if (system_count > 0) {
    appendSystem(out, request.messages, system_count);
  }
  appendMessages(out, request.messages, system_count);
  if (!request.tools.empty()) {
    appendTools(out, request.tools);
  }
  if (request.origin == Wire::Anthropic) {
    if (request.tool_choice) {
      out += R"(,"tool_choice":)";
      out += request.tool_choice->json;
    }
  } else {
    appendMappedToolChoice(out, request);
  }
  if (!request.stop.empty()) {
    out += R"(,"stop_sequences":[)";
    bool first = true;
    for (const std::string& stop : request.stop) {
      if (!first) {
        out.push_back(',');
      }
      first = false;
      appendJsonString(out, stop);
    }
    out.push_back(']');
  }
  if (request.stream) {
    out += R"(,"stream":true)";
  }
  if (request.temperature) {
    out += R"(,"temperature":)";
    appendJsonDouble(out, *request.temperature);
  }
  if (request.top_p) {
    out += R"(,"top_p":)";
    appendJsonDouble(out, *request.top_p);
  }
  appendPassthrough(out, request);
  out.push_back('}');
  return out;
}

Result<ChatResponse> decodeAnthropicMessagesResponse(std::string_view body) {
  std::array<unsigned char, kParseBufferBytes> buffer;
  json::monotonic_resource resource(buffer.data(), buffer.size());
  ParseStatus status = ParseStatus::Invalid;
  const json::value root = parseJson(body, &resource, status);
  if (status != ParseStatus::Ok) {
    return makeError(Errc::UpstreamFailed, "upstream answer is not valid JSON");
  }
  const auto* object = root.if_object();
  const json::value* content = object != nullptr ? member(*object, "content") : nullptr;
  if (content == nullptr || !content->is_array()) {
    return makeError(Errc::UpstreamFailed, "upstream answer is not a Messages object");
  }
  const std::string_view raw_root = detail::rawDocument(body);
  const auto raw_blocks =
      rawElements(detail::findRawMember(raw_root, "content"), content->get_array().size());
  if (raw_blocks.size() != content->get_array().size()) {
    return makeError(Errc::UpstreamFailed, "upstream answer is not valid JSON");
  }
  ChatResponse response;
  response.id = stringMember(*object, "id");
  response.model = stringMember(*object, "model");
  Choice& choice = response.choices.emplace_back();
  choice.message.role = Role::Assistant;
  choice.message.content_is_string = true;
  std::string text;
  bool has_text = false;
  const json::array& blocks = content->get_array();
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    const auto* block = blocks[k].if_object();
    if (block == nullptr) {
      return makeError(Errc::UpstreamFailed,
                       "upstream answer: content[" + std::to_string(k) + "] must be an object");
    }
    const std::string type = stringMember(*block, "type");
    if (type == "text") {
      has_text = true;
      text += stringMember(*block, "text");
    } else if (type == "tool_use") {
      ToolCall& call = choice.message.tool_calls.emplace_back();
      call.id = stringMember(*block, "id");
      call.name = stringMember(*block, "name");
      call.arguments = std::string(detail::findRawMember(raw_blocks[k], "input"));
      if (call.arguments.empty()) {
        call.arguments = "{}";
      }
    }
    // Other block types (thinking, server tool results) only answer what cordon refuses.
  }
  if (has_text) {
    choice.message.content.emplace_back().text = std::move(text);
  }
  choice.native_finish_reason = stringMember(*object, "stop_reason");
  choice.finish_reason = finishFromStop(choice.native_finish_reason);
  choice.stop_sequence = stringMember(*object, "stop_sequence");
  if (const json::value* usage = member(*object, "usage"); usage != nullptr && usage->is_object()) {
    response.usage =
        Usage{inputTokens(usage->get_object()), tokenCount(usage->get_object(), "output_tokens")};
    // The exact usage (cache reads and writes apart) for a client of the same protocol.
    response.passthrough.push_back(
        PassthroughField{"usage", std::string(detail::findRawMember(raw_root, "usage"))});
  }
  return response;
}

std::string encodeAnthropicMessagesResponse(const ChatResponse& response) {
  static const Choice no_choice;
  const Choice& choice = response.choices.empty() ? no_choice : response.choices.front();
  const Message& message = choice.message;
  std::string out;
  out.reserve(256 + response.id.size() + response.model.size());
  out += R"({"id":)";
  appendJsonString(out, response.id.empty() ? std::string_view("msg_cordon") : response.id);
  out += R"(,"type":"message","role":"assistant","model":)";
  appendJsonString(out, response.model);
  out += R"(,"content":[)";
  bool first = true;
  std::string text;
  for (const ContentPart& part : message.content) {
    if (part.kind == ContentPart::Kind::Text) {
      text += part.text;
    }
  }
  if (text.empty()) {
    text = message.refusal;
  }
  if (!text.empty()) {
    out += R"({"type":"text","text":)";
    appendJsonString(out, text);
    out.push_back('}');
    first = false;
  }
  for (const ToolCall& call : message.tool_calls) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += R"({"type":"tool_use","id":)";
    appendJsonString(out, call.id);
    out += R"(,"name":)";
    appendJsonString(out, call.name);
    out += R"(,"input":)";
    appendToolInput(out, call.arguments);
    out.push_back('}');
  }
  out += R"(],"stop_reason":)";
  appendJsonString(
      out, stopFromFinish(choice.finish_reason, choice.native_finish_reason, choice.stop_sequence));
  out.push_back(',');
  appendStopSequence(out, choice.stop_sequence);
  out += R"(,"usage":)";
  const PassthroughField* raw_usage = nullptr;
  for (const PassthroughField& field : response.passthrough) {
    if (field.name == "usage" && !field.json.empty()) {
      raw_usage = &field;
    }
  }
  if (raw_usage != nullptr) {
    out += raw_usage->json;
  } else {
    const Usage usage = response.usage.value_or(Usage{});
    out += R"({"input_tokens":)";
    appendJsonInt(out, usage.input_tokens);
    out += R"(,"output_tokens":)";
    appendJsonInt(out, usage.output_tokens);
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

// ------------------------------------------------------------------------------------------
// AnthropicStreamDecoder

Result<void> AnthropicStreamDecoder::feed(const SseEvent& event, std::vector<ChatChunk>& out) {
  std::array<unsigned char, kParseBufferBytes> buffer;
  json::monotonic_resource resource(buffer.data(), buffer.size());
  ParseStatus status = ParseStatus::Invalid;
  const json::value root = parseJson(event.data, &resource, status);
  const std::string_view named = eventName(event.event);
  if (status != ParseStatus::Ok || !root.is_object()) {
    return streamError(named, " event data is not a JSON object");
  }
  const json::object& data = root.get_object();
  std::string type = stringMember(data, "type");
  if (type.empty()) {
    type = event.event;
  }
  const std::string_view name = eventName(type);
  if (type == "ping") {
    return {};
  }
  if (type == "error") {
    std::string_view kind = "unknown";
    if (const json::value* error = member(data, "error"); error != nullptr && error->is_object()) {
      kind = kindOfError(stringMember(error->get_object(), "type"));
    }
    return streamError("error", std::string(" event (").append(kind).append(")"));
  }
  if (finished_) {
    return streamError(name, " after message_stop");
  }
  if (type == "message_start") {
    if (started_) {
      return streamError(name, " after the message started");
    }
    started_ = true;
    const json::value* message = member(data, "message");
    if (message == nullptr || !message->is_object()) {
      return streamError(name, " without a message");
    }
    id_ = stringMember(message->get_object(), "id");
    model_ = stringMember(message->get_object(), "model");
    if (const json::value* usage = member(message->get_object(), "usage");
        usage != nullptr && usage->is_object()) {
      input_tokens_ = inputTokens(usage->get_object());
    }
    ChatChunk& chunk = out.emplace_back();
    chunk.id = id_;
    chunk.model = model_;
    ChoiceDelta& delta = chunk.choices.emplace_back();
    delta.role = Role::Assistant;
    delta.content = std::string();
    return {};
  }
  if (!started_) {
    return streamError(name, " before message_start");
  }
  const auto new_chunk = [this, &out]() -> ChoiceDelta& {
    ChatChunk& chunk = out.emplace_back();
    chunk.id = id_;
    chunk.model = model_;
    return chunk.choices.emplace_back();
  };
  if (type == "content_block_start") {
    const auto index = blockIndex(data);
    const json::value* block = member(data, "content_block");
    if (!index || *index != blocks_.size() || block == nullptr || !block->is_object()) {
      return streamError(name, " out of order or malformed");
    }
    const std::string block_type = stringMember(block->get_object(), "type");
    if (block_type == "thinking" || block_type == "redacted_thinking") {
      return streamError(name, " of a thinking block, which cordon does not request");
    }
    Block& opened = blocks_.emplace_back();
    opened.open = true;
    if (block_type == "tool_use") {
      opened.tool = true;
      opened.tool_index = tools_seen_++;
      ToolCallDelta& call = new_chunk().tool_calls.emplace_back();
      call.index = opened.tool_index;
      call.id = stringMember(block->get_object(), "id");
      call.name = stringMember(block->get_object(), "name");
    } else if (block_type == "text") {
      std::string text = stringMember(block->get_object(), "text");
      if (!text.empty()) {
        new_chunk().content = std::move(text);
      }
    } else {
      opened.ignored = true; // a block type newer than cordon: its deltas carry nothing we map
    }
    return {};
  }
  if (type == "content_block_delta") {
    const auto index = blockIndex(data);
    const json::value* delta = member(data, "delta");
    if (!index || *index >= blocks_.size() || !blocks_[*index].open || delta == nullptr ||
        !delta->is_object()) {
      return streamError(name, " out of order or malformed");
    }
    const Block& block = blocks_[*index];
    const std::string delta_type = stringMember(delta->get_object(), "type");
    if (delta_type == "text_delta" && !block.tool && !block.ignored) {
      std::string text = stringMember(delta->get_object(), "text");
      if (!text.empty()) {
        new_chunk().content = std::move(text);
      }
    } else if (delta_type == "input_json_delta" && block.tool) {
      std::string fragment = stringMember(delta->get_object(), "partial_json");
      if (!fragment.empty()) {
        ToolCallDelta& call = new_chunk().tool_calls.emplace_back();
        call.index = block.tool_index;
        call.arguments = std::move(fragment);
      }
    } else if (delta_type == "thinking_delta" || delta_type == "signature_delta") {
      return streamError(name, " of thinking, which cordon does not request");
    } else if (delta_type == "text_delta" || delta_type == "input_json_delta") {
      return streamError(name, " does not match its block");
    }
    // citations_delta and newer kinds change nothing cordon maps.
    return {};
  }
  if (type == "content_block_stop") {
    const auto index = blockIndex(data);
    if (!index || *index >= blocks_.size() || !blocks_[*index].open) {
      return streamError(name, " out of order or malformed");
    }
    blocks_[*index].open = false;
    return {};
  }
  if (type == "message_delta") {
    const json::value* delta = member(data, "delta");
    if (delta == nullptr || !delta->is_object()) {
      return streamError(name, " without a delta");
    }
    ChoiceDelta& choice = new_chunk();
    choice.native_finish_reason = stringMember(delta->get_object(), "stop_reason");
    choice.finish_reason = finishFromStop(choice.native_finish_reason);
    choice.stop_sequence = stringMember(delta->get_object(), "stop_sequence");
    // Usage goes in a chunk of its own with no choices, as OpenAI sends it with include_usage:
    // a front door whose client did not ask for usage drops exactly that chunk.
    ChatChunk& usage_chunk = out.emplace_back();
    usage_chunk.id = id_;
    usage_chunk.model = model_;
    Usage usage{input_tokens_, 0};
    if (const json::value* counts = member(data, "usage");
        counts != nullptr && counts->is_object()) {
      usage.output_tokens = tokenCount(counts->get_object(), "output_tokens");
      if (member(counts->get_object(), "input_tokens") != nullptr) {
        usage.input_tokens = inputTokens(counts->get_object()); // later counts are cumulative
      }
    }
    usage_chunk.usage = usage;
    return {};
  }
  if (type == "message_stop") {
    finished_ = true;
    return {};
  }
  return {}; // an event type newer than cordon, ignored as the versioning policy asks
}

// ------------------------------------------------------------------------------------------
// AnthropicStreamEncoder

namespace {

void appendMessageStart(std::string& out, std::string_view id, std::string_view model,
                        std::int64_t input_tokens) {
  out += R"({"type":"message_start","message":{"id":)";
  appendJsonString(out, id.empty() ? std::string_view("msg_cordon") : id);
  out += R"(,"type":"message","role":"assistant","model":)";
  appendJsonString(out, model);
  out += R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":)";
  appendJsonInt(out, input_tokens);
  out += R"(,"output_tokens":0}}})";
}

std::string blockStop(std::int64_t index) {
  std::string out = R"({"type":"content_block_stop","index":)";
  appendJsonInt(out, index);
  out.push_back('}');
  return out;
}

} // namespace

void AnthropicStreamEncoder::closeBlock(std::vector<SseEvent>& out) {
  if (open_ == Open::None) {
    return;
  }
  out.push_back(makeEvent("content_block_stop", blockStop(next_block_ - 1)));
  open_ = Open::None;
  open_tool_ = -1;
}

void AnthropicStreamEncoder::start(const ChatChunk& chunk, std::vector<SseEvent>& out) {
  started_ = true;
  id_ = chunk.id;
  model_ = chunk.model;
  start_input_tokens_ = chunk.usage ? chunk.usage->input_tokens : 0;
  std::string data;
  appendMessageStart(data, id_, model_, start_input_tokens_);
  out.push_back(makeEvent("message_start", std::move(data)));
}

void AnthropicStreamEncoder::text(std::string_view text, std::vector<SseEvent>& out) {
  if (text.empty()) {
    return;
  }
  if (open_ != Open::Text) {
    closeBlock(out);
    std::string data = R"({"type":"content_block_start","index":)";
    appendJsonInt(data, next_block_);
    data += R"(,"content_block":{"type":"text","text":""}})";
    out.push_back(makeEvent("content_block_start", std::move(data)));
    ++next_block_;
    open_ = Open::Text;
  }
  std::string data = R"({"type":"content_block_delta","index":)";
  appendJsonInt(data, next_block_ - 1);
  data += R"(,"delta":{"type":"text_delta","text":)";
  appendJsonString(data, text);
  data += "}}";
  out.push_back(makeEvent("content_block_delta", std::move(data)));
}

void AnthropicStreamEncoder::toolCall(const ToolCallDelta& call, std::vector<SseEvent>& out) {
  if (open_ != Open::Tool || call.index != open_tool_) {
    closeBlock(out);
    std::string data = R"({"type":"content_block_start","index":)";
    appendJsonInt(data, next_block_);
    data += R"(,"content_block":{"type":"tool_use","id":)";
    if (call.id.empty()) {
      std::string invented = "toolu_cordon_";
      appendJsonInt(invented, call.index);
      appendJsonString(data, invented);
    } else {
      appendJsonString(data, call.id);
    }
    data += R"(,"name":)";
    appendJsonString(data, call.name);
    data += R"(,"input":{}}})";
    out.push_back(makeEvent("content_block_start", std::move(data)));
    ++next_block_;
    open_ = Open::Tool;
    open_tool_ = call.index;
  }
  if (call.arguments.empty()) {
    return;
  }
  std::string data = R"({"type":"content_block_delta","index":)";
  appendJsonInt(data, next_block_ - 1);
  data += R"(,"delta":{"type":"input_json_delta","partial_json":)";
  appendJsonString(data, call.arguments);
  data += "}}";
  out.push_back(makeEvent("content_block_delta", std::move(data)));
}

void AnthropicStreamEncoder::encode(const ChatChunk& chunk, std::vector<SseEvent>& out) {
  if (finished_) {
    return;
  }
  if (!started_) {
    start(chunk, out);
  }
  if (chunk.usage) {
    usage_ = chunk.usage;
  }
  for (const ChoiceDelta& delta : chunk.choices) {
    if (delta.index != 0) {
      continue; // one Anthropic message answers one choice
    }
    if (delta.content) {
      text(*delta.content, out);
    }
    if (delta.refusal) {
      text(*delta.refusal, out);
    }
    for (const ToolCallDelta& call : delta.tool_calls) {
      toolCall(call, out);
    }
    if (!delta.finish_reason.empty() || !delta.native_finish_reason.empty()) {
      stop_reason_ =
          stopFromFinish(delta.finish_reason, delta.native_finish_reason, delta.stop_sequence);
      stop_sequence_ = delta.stop_sequence;
    }
  }
}

void AnthropicStreamEncoder::finish(std::vector<SseEvent>& out) {
  if (finished_) {
    return;
  }
  if (!started_) {
    start(ChatChunk{}, out);
  }
  closeBlock(out);
  finished_ = true;
  const Usage usage = usage_.value_or(Usage{});
  std::string data = R"({"type":"message_delta","delta":{"stop_reason":)";
  appendJsonString(data, stop_reason_.empty() ? std::string_view("end_turn")
                                              : std::string_view(stop_reason_));
  data.push_back(',');
  appendStopSequence(data, stop_sequence_);
  data += R"(},"usage":{)";
  // message_start went out before the count was known; Anthropic's own message_delta carries
  // the cumulative input count the same way.
  if (usage.input_tokens != start_input_tokens_) {
    data += R"("input_tokens":)";
    appendJsonInt(data, usage.input_tokens);
    data.push_back(',');
  }
  data += R"("output_tokens":)";
  appendJsonInt(data, usage.output_tokens);
  data += "}}";
  out.push_back(makeEvent("message_delta", std::move(data)));
  out.push_back(makeEvent("message_stop", R"({"type":"message_stop"})"));
}

SseEvent AnthropicStreamEncoder::errorEvent(Errc code, std::string_view message) {
  return makeEvent("error", encodeAnthropicError(code, message));
}

// ------------------------------------------------------------------------------------------

std::string encodeAnthropicError(Errc code, std::string_view message) {
  std::string out;
  out.reserve(message.size() + 96);
  out += R"({"type":"error","error":{"type":)";
  appendJsonString(out, anthropicErrorType(code));
  out += R"(,"message":)";
  appendJsonString(out, message);
  out += "}}";
  return out;
}

std::optional<std::string> upstreamErrorMessage(std::string_view body) {
  std::array<unsigned char, kParseBufferBytes> buffer;
  json::monotonic_resource resource(buffer.data(), buffer.size());
  ParseStatus status = ParseStatus::Invalid;
  const json::value root = parseJson(body, &resource, status);
  if (status != ParseStatus::Ok || !root.is_object()) {
    return std::nullopt;
  }
  const json::value* error = member(root.get_object(), "error");
  if (error == nullptr || !error->is_object()) {
    return std::nullopt;
  }
  const json::value* message = member(error->get_object(), "message");
  if (message == nullptr || !message->is_string()) {
    return std::nullopt;
  }
  return toStdString(message->get_string());
}

} // namespace cordon::protocol
