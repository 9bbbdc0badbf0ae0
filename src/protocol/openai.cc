#include "cordon/protocol/openai.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

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

/// How a decode reports errors: requests are the client's fault (400), answers the backend's.
struct Context {
  Errc code;
  std::string_view prefix; ///< Put before every detail ("" or "upstream answer: ").
  bool lenient;            ///< Upstream answers: tolerate omitted optional fields.
};

constexpr Context kRequestContext{Errc::BadRequest, "", false};
constexpr Context kResponseContext{Errc::UpstreamFailed, "upstream answer: ", true};
constexpr Context kChunkContext{Errc::UpstreamFailed, "upstream chunk: ", true};

Error fieldError(const Context& ctx, const Path& path, std::string_view what) {
  std::string detail(ctx.prefix);
  renderPath(&path, detail);
  detail += what;
  return makeError(ctx.code, std::move(detail));
}

Error missingField(const Context& ctx, const Path& path) {
  std::string detail(ctx.prefix);
  detail += "missing required field: ";
  renderPath(&path, detail);
  return makeError(ctx.code, std::move(detail));
}

/// An integral JSON number as int64; doubles only when `allow_double` and integral.
std::optional<std::int64_t> toInt64(const json::value& value, bool allow_double) noexcept {
  if (const auto* signed_value = value.if_int64()) {
    return *signed_value;
  }
  if (const auto* unsigned_value = value.if_uint64()) {
    if (*unsigned_value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(*unsigned_value);
    }
    return std::nullopt;
  }
  if (const auto* double_value = value.if_double(); double_value != nullptr && allow_double) {
    constexpr double kLimit = 9.2e18; // inside int64's range
    const double d = *double_value;
    if (d >= -kLimit && d <= kLimit && static_cast<double>(static_cast<std::int64_t>(d)) == d) {
      return static_cast<std::int64_t>(d);
    }
  }
  return std::nullopt;
}

/// Reads an optional string member into `out`. Wrong types fail strictly, or are ignored when
/// the context is lenient.
Result<void> optionalString(const Context& ctx, const Path& parent, const json::object& object,
                            std::string_view key, std::string& out) {
  const json::value* value = member(object, key);
  if (value == nullptr) {
    return {};
  }
  if (const auto* str = value->if_string()) {
    out.assign(str->data(), str->size());
    return {};
  }
  if (ctx.lenient) {
    return {};
  }
  return fieldError(ctx, Path{&parent, key}, " must be a string");
}

std::optional<Role> roleFromName(std::string_view name) noexcept {
  if (name == "user") {
    return Role::User;
  }
  if (name == "assistant") {
    return Role::Assistant;
  }
  if (name == "system") {
    return Role::System;
  }
  if (name == "developer") {
    return Role::Developer;
  }
  if (name == "tool") {
    return Role::Tool;
  }
  return std::nullopt;
}

std::string_view roleName(Role role) noexcept {
  switch (role) {
  case Role::System:
    return "system";
  case Role::Developer:
    return "developer";
  case Role::User:
    return "user";
  case Role::Assistant:
    return "assistant";
  case Role::Tool:
    return "tool";
  }
  return "user";
}

Result<Role> decodeRole(const Context& ctx, const Path& path, const json::value& value) {
  const auto* str = value.if_string();
  if (str == nullptr) {
    return fieldError(ctx, path, " must be a string");
  }
  const auto role = roleFromName(std::string_view(str->data(), str->size()));
  if (!role) {
    return fieldError(ctx, path, ": unknown role");
  }
  return *role;
}

// ------------------------------------------------------------------------------------------
// Decoding the shared pieces (messages, content, tool calls)

Result<void> decodeContentPart(const Context& ctx, const Path& path, const json::value& value,
                               ContentPart& part) {
  const auto* object = value.if_object();
  if (object == nullptr) {
    return fieldError(ctx, path, " must be an object");
  }
  const Path type_path{&path, "type"};
  const json::value* type = member(*object, "type");
  if (type == nullptr) {
    return missingField(ctx, type_path);
  }
  const auto* type_name = type->if_string();
  if (type_name == nullptr) {
    return fieldError(ctx, type_path, " must be a string");
  }
  if (*type_name == "text") {
    part.kind = ContentPart::Kind::Text;
    const Path text_path{&path, "text"};
    const json::value* text = member(*object, "text");
    if (text == nullptr) {
      return missingField(ctx, text_path);
    }
    const auto* text_str = text->if_string();
    if (text_str == nullptr) {
      return fieldError(ctx, text_path, " must be a string");
    }
    part.text = toStdString(*text_str);
    return {};
  }
  if (*type_name == "image_url") {
    part.kind = ContentPart::Kind::ImageUrl;
    const Path image_path{&path, "image_url"};
    const json::value* image = member(*object, "image_url");
    if (image == nullptr) {
      return missingField(ctx, image_path);
    }
    const auto* image_object = image->if_object();
    if (image_object == nullptr) {
      return fieldError(ctx, image_path, " must be an object");
    }
    const Path url_path{&image_path, "url"};
    const json::value* url = member(*image_object, "url");
    if (url == nullptr) {
      return missingField(ctx, url_path);
    }
    const auto* url_str = url->if_string();
    if (url_str == nullptr) {
      return fieldError(ctx, url_path, " must be a string");
    }
    part.image_url = toStdString(*url_str);
    return optionalString(ctx, image_path, *image_object, "detail", part.image_detail);
  }
  return fieldError(ctx, type_path, ": unsupported content part type");
}

Result<void> decodeContent(const Context& ctx, const Path& path, const json::value* value,
                           Message& message) {
  message.content.clear();
  if (value == nullptr) {
    message.content_is_string = false;
    return {};
  }
  if (const auto* str = value->if_string()) {
    message.content_is_string = true;
    ContentPart& part = message.content.emplace_back();
    part.text = toStdString(*str);
    return {};
  }
  if (const auto* parts = value->if_array()) {
    message.content_is_string = false;
    message.content.resize(parts->size());
    for (std::size_t j = 0; j < parts->size(); ++j) {
      auto decoded = decodeContentPart(ctx, Path{&path, {}, j}, (*parts)[j], message.content[j]);
      if (!decoded) {
        return decoded;
      }
    }
    return {};
  }
  return fieldError(ctx, path, ": expected a string, an array of content parts or null");
}

Result<void> decodeToolCalls(const Context& ctx, const Path& path, const json::value* value,
                             std::vector<ToolCall>& out) {
  out.clear();
  if (value == nullptr) {
    return {};
  }
  const auto* calls = value->if_array();
  if (calls == nullptr) {
    return fieldError(ctx, path, " must be an array");
  }
  out.resize(calls->size());
  for (std::size_t k = 0; k < calls->size(); ++k) {
    const Path call_path{&path, {}, k};
    ToolCall& call = out[k];
    const auto* object = (*calls)[k].if_object();
    if (object == nullptr) {
      return fieldError(ctx, call_path, " must be an object");
    }
    const Path id_path{&call_path, "id"};
    const json::value* id = member(*object, "id");
    if (id == nullptr) {
      if (!ctx.lenient) {
        return missingField(ctx, id_path);
      }
    } else if (const auto* id_str = id->if_string()) {
      call.id = toStdString(*id_str);
    } else {
      return fieldError(ctx, id_path, " must be a string");
    }
    if (const json::value* type = member(*object, "type")) {
      if (type->if_string() == nullptr || *type->if_string() != "function") {
        return fieldError(ctx, Path{&call_path, "type"}, ": unsupported tool call type");
      }
    }
    const Path function_path{&call_path, "function"};
    const json::value* function = member(*object, "function");
    if (function == nullptr) {
      return missingField(ctx, function_path);
    }
    const auto* function_object = function->if_object();
    if (function_object == nullptr) {
      return fieldError(ctx, function_path, " must be an object");
    }
    const Path name_path{&function_path, "name"};
    const json::value* name = member(*function_object, "name");
    if (name == nullptr) {
      return missingField(ctx, name_path);
    }
    const auto* name_str = name->if_string();
    if (name_str == nullptr) {
      return fieldError(ctx, name_path, " must be a string");
    }
    call.name = toStdString(*name_str);
    if (const json::value* arguments = member(*function_object, "arguments")) {
      const auto* arguments_str = arguments->if_string();
      if (arguments_str == nullptr) {
        return fieldError(ctx, Path{&function_path, "arguments"}, " must be a string");
      }
      call.arguments = toStdString(*arguments_str);
    }
  }
  return {};
}

/// Message members cordon reads, and those a client may echo back from an earlier answer that
/// carry nothing when null or empty (`annotations` is output metadata). Any other member of a
/// request's message would be lost on the way to the backend, so it is refused by name instead
/// (the legacy `function_call`, an `audio` reference, fields of newer API versions).
constexpr std::array<std::string_view, 7> kMessageMembers = {
    "role", "content", "name", "tool_calls", "tool_call_id", "refusal", "annotations"};

Result<void> refuseUnknownMembers(const Context& ctx, const Path& path,
                                  const json::object& object) {
  for (const auto& [key, value] : object) {
    const bool known = std::find(kMessageMembers.begin(), kMessageMembers.end(),
                                 std::string_view(key)) != kMessageMembers.end();
    if (!known && !value.is_null()) {
      // Only the key is named: member names are the API's vocabulary, not the client's data,
      // but an arbitrary key could be anything, so it is named only when it is a plain word.
      const bool plain =
          !key.empty() && key.size() <= 40 && std::all_of(key.begin(), key.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
          });
      return fieldError(ctx, Path{&path, plain ? std::string_view(key) : "<member>"},
                        " is not supported by cordon (it would be lost on the way to the backend)");
    }
  }
  return {};
}

Result<void> decodeMessage(const Context& ctx, const Path& path, const json::value& value,
                           Message& message) {
  const auto* object = value.if_object();
  if (object == nullptr) {
    return fieldError(ctx, path, " must be an object");
  }
  if (!ctx.lenient) {
    if (auto known = refuseUnknownMembers(ctx, path, *object); !known) {
      return known;
    }
  }
  const Path role_path{&path, "role"};
  if (const json::value* role = member(*object, "role")) {
    auto decoded = decodeRole(ctx, role_path, *role);
    if (!decoded) {
      return decoded.error();
    }
    message.role = *decoded;
  } else if (ctx.lenient) {
    message.role = Role::Assistant;
  } else {
    return missingField(ctx, role_path);
  }
  if (auto content =
          decodeContent(ctx, Path{&path, "content"}, member(*object, "content"), message);
      !content) {
    return content;
  }
  if (auto name = optionalString(ctx, path, *object, "name", message.name); !name) {
    return name;
  }
  if (auto calls = decodeToolCalls(ctx, Path{&path, "tool_calls"}, member(*object, "tool_calls"),
                                   message.tool_calls);
      !calls) {
    return calls;
  }
  if (auto id = optionalString(ctx, path, *object, "tool_call_id", message.tool_call_id); !id) {
    return id;
  }
  if (message.role == Role::Tool && message.tool_call_id.empty() && !ctx.lenient &&
      member(*object, "tool_call_id") == nullptr) {
    return missingField(ctx, Path{&path, "tool_call_id"});
  }
  return optionalString(ctx, path, *object, "refusal", message.refusal);
}

std::optional<Usage> decodeUsage(const json::object& root) {
  const json::value* value = member(root, "usage");
  if (value == nullptr) {
    return std::nullopt;
  }
  const auto* object = value->if_object();
  if (object == nullptr) {
    return std::nullopt;
  }
  Usage usage;
  if (const json::value* prompt = member(*object, "prompt_tokens")) {
    usage.input_tokens = toInt64(*prompt, true).value_or(0);
  }
  if (const json::value* completion = member(*object, "completion_tokens")) {
    usage.output_tokens = toInt64(*completion, true).value_or(0);
  }
  return usage;
}

/// One pass over the top-level members of `document`: members named in `known` are reported as
/// on_known(index into known, value text) (the last occurrence wins, as in boost::json), every
/// other member is copied into `passthrough` as its exact text, in order.
template <std::size_t N, class OnKnown>
bool scanTopLevel(std::string_view document, const std::array<std::string_view, N>& known,
                  OnKnown&& on_known, std::vector<PassthroughField>& passthrough) {
  return detail::forEachRawMember(document, [&](const detail::RawMember& raw) {
    const bool escaped = raw.raw_key.find('\\') != std::string_view::npos;
    std::string decoded;
    if (escaped) {
      decoded = detail::decodeRawKey(raw.raw_key);
    }
    const std::string_view name = escaped ? std::string_view(decoded) : raw.raw_key;
    for (std::size_t i = 0; i < N; ++i) {
      if (name == known[i]) {
        on_known(i, raw.value);
        return;
      }
    }
    passthrough.push_back(PassthroughField{std::string(name), std::string(raw.value)});
  });
}

// ------------------------------------------------------------------------------------------
// Encoding the shared pieces

std::size_t estimateMessage(const Message& message) {
  std::size_t size =
      64 + message.name.size() + message.tool_call_id.size() + message.refusal.size();
  for (const ContentPart& part : message.content) {
    size += 48 + part.text.size() + part.image_url.size() + part.image_detail.size();
  }
  for (const ToolCall& call : message.tool_calls) {
    size +=
        80 + call.id.size() + call.name.size() + call.arguments.size() + call.arguments.size() / 8;
  }
  return size;
}

bool isTextOnly(const std::vector<ContentPart>& content) noexcept {
  for (const ContentPart& part : content) {
    if (part.kind != ContentPart::Kind::Text) {
      return false;
    }
  }
  return true;
}

void appendContent(std::string& out, const Message& message) {
  if (message.content.empty()) {
    out += "null"; // also for a built message left with content_is_string's default
    return;
  }
  if (message.content_is_string && isTextOnly(message.content)) {
    if (message.content.size() == 1) {
      appendJsonString(out, message.content.front().text);
      return;
    }
    std::string joined;
    for (const ContentPart& part : message.content) {
      joined += part.text;
    }
    appendJsonString(out, joined);
    return;
  }
  out.push_back('[');
  bool first = true;
  for (const ContentPart& part : message.content) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    if (part.kind == ContentPart::Kind::Text) {
      out += R"({"type":"text","text":)";
      appendJsonString(out, part.text);
      out.push_back('}');
    } else {
      out += R"({"type":"image_url","image_url":{"url":)";
      appendJsonString(out, part.image_url);
      if (!part.image_detail.empty()) {
        out += R"(,"detail":)";
        appendJsonString(out, part.image_detail);
      }
      out += "}}";
    }
  }
  out.push_back(']');
}

void appendToolCalls(std::string& out, const std::vector<ToolCall>& calls) {
  out += R"(,"tool_calls":[)";
  bool first = true;
  for (const ToolCall& call : calls) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += R"({"id":)";
    appendJsonString(out, call.id);
    out += R"(,"type":"function","function":{"name":)";
    appendJsonString(out, call.name);
    out += R"(,"arguments":)";
    appendJsonString(out, call.arguments);
    out += "}}";
  }
  out.push_back(']');
}

void appendMessage(std::string& out, const Message& message) {
  out += R"({"role":)";
  appendJsonString(out, roleName(message.role));
  out += R"(,"content":)";
  appendContent(out, message);
  if (!message.name.empty()) {
    out += R"(,"name":)";
    appendJsonString(out, message.name);
  }
  if (!message.refusal.empty()) {
    out += R"(,"refusal":)";
    appendJsonString(out, message.refusal);
  }
  if (!message.tool_calls.empty()) {
    appendToolCalls(out, message.tool_calls);
  }
  if (!message.tool_call_id.empty() || message.role == Role::Tool) {
    out += R"(,"tool_call_id":)";
    appendJsonString(out, message.tool_call_id);
  }
  out.push_back('}');
}

std::int64_t saturatingAdd(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return a > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return sum;
}

void appendUsage(std::string& out, const Usage& usage) {
  out += R"({"prompt_tokens":)";
  appendJsonInt(out, usage.input_tokens);
  out += R"(,"completion_tokens":)";
  appendJsonInt(out, usage.output_tokens);
  out += R"(,"total_tokens":)";
  appendJsonInt(out, saturatingAdd(usage.input_tokens, usage.output_tokens));
  out.push_back('}');
}

/// The client's own text for a request that came in as OpenAI; rebuilt from the mode for one
/// that came through the Anthropic front door (checkTranslatable refuses Mode::Other there).
void appendToolChoice(std::string& out, const ToolChoice& choice, Wire origin) {
  out += R"(,"tool_choice":)";
  if (origin == Wire::OpenAi || choice.mode == ToolChoice::Mode::Other) {
    out += choice.json;
    return;
  }
  switch (choice.mode) {
  case ToolChoice::Mode::None:
    out += R"("none")";
    break;
  case ToolChoice::Mode::Required:
    out += R"("required")";
    break;
  case ToolChoice::Mode::Named:
    out += R"({"type":"function","function":{"name":)";
    appendJsonString(out, choice.name);
    out += "}}";
    break;
  default:
    out += R"("auto")";
    break;
  }
  if (choice.disable_parallel.value_or(false)) {
    out += R"(,"parallel_tool_calls":false)";
  }
}

void appendFinishReason(std::string& out, const std::string& finish_reason) {
  out += R"(,"finish_reason":)";
  if (finish_reason.empty()) {
    out += "null";
  } else {
    appendJsonString(out, finish_reason);
  }
}

template <std::size_t N>
void appendPassthrough(std::string& out, const std::vector<PassthroughField>& passthrough,
                       const std::array<std::string_view, N>& reserved) {
  for (const PassthroughField& field : passthrough) {
    if (field.json.empty()) {
      continue;
    }
    bool is_reserved = false;
    for (const std::string_view name : reserved) {
      if (field.name == name) {
        is_reserved = true;
        break;
      }
    }
    if (is_reserved) {
      continue; // never let a passthrough field shadow one cordon writes itself
    }
    out.push_back(',');
    appendJsonString(out, field.name);
    out.push_back(':');
    out += field.json;
  }
}

// ------------------------------------------------------------------------------------------
// Requests

constexpr std::array<std::string_view, 11> kRequestFields = {
    "model",       "messages", "tools",      "tool_choice",           "stream", "stream_options",
    "temperature", "top_p",    "max_tokens", "max_completion_tokens", "stop"};

static_assert(kRequestFields[2] == "tools" && kRequestFields[3] == "tool_choice" &&
              kRequestFields[6] == "temperature" && kRequestFields[7] == "top_p");

/// Exact texts of the request members cordon reads from the raw body rather than the DOM.
struct RawRequestFields {
  std::string_view tools;
  std::string_view tool_choice;
  std::string_view temperature;
  std::string_view top_p;

  void set(std::size_t known_index, std::string_view value) {
    switch (known_index) {
    case 2:
      tools = value;
      break;
    case 3:
      tool_choice = value;
      break;
    case 6:
      temperature = value;
      break;
    case 7:
      top_p = value;
      break;
    default:
      break;
    }
  }
};

/// OpenAI's tool_choice: "none" | "auto" | "required" | {"type":"function","function":{"name"}}
/// | other objects (allowed_tools, custom), kept as Mode::Other.
Result<ToolChoice> decodeToolChoice(const json::value& value, std::string_view raw) {
  ToolChoice choice;
  choice.json = std::string(raw);
  if (const auto* text = value.if_string()) {
    if (*text == "none") {
      choice.mode = ToolChoice::Mode::None;
    } else if (*text == "auto") {
      choice.mode = ToolChoice::Mode::Auto;
    } else if (*text == "required") {
      choice.mode = ToolChoice::Mode::Required;
    } else {
      return makeError(Errc::BadRequest, "tool_choice must be \"none\", \"auto\", \"required\" "
                                         "or an object");
    }
    return choice;
  }
  const auto* object = value.if_object();
  if (object == nullptr) {
    return makeError(Errc::BadRequest, "tool_choice must be a string or an object");
  }
  choice.mode = ToolChoice::Mode::Other;
  const json::value* type = member(*object, "type");
  const json::value* function = member(*object, "function");
  if (type != nullptr && type->is_string() && type->get_string() == "function" &&
      function != nullptr && function->is_object()) {
    const json::value* name = member(function->get_object(), "name");
    if (name == nullptr || !name->is_string()) {
      return makeError(Errc::BadRequest, "tool_choice.function.name must be a string");
    }
    choice.mode = ToolChoice::Mode::Named;
    choice.name = std::string(name->get_string());
  }
  return choice;
}

Result<void> decodeTools(const json::value& value, std::string_view raw_tools,
                         std::vector<ToolDefinition>& tools) {
  const Context& ctx = kRequestContext;
  const Path tools_path{nullptr, "tools"};
  const auto* array = value.if_array();
  if (array == nullptr) {
    return fieldError(ctx, tools_path, " must be an array");
  }
  std::vector<std::string_view> raw_elements;
  raw_elements.reserve(array->size());
  detail::forEachRawElement(raw_tools,
                            [&](std::string_view element) { raw_elements.push_back(element); });
  if (raw_elements.size() != array->size()) {
    return makeError(Errc::BadRequest, "request body is not valid JSON");
  }
  tools.resize(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path tool_path{&tools_path, {}, i};
    ToolDefinition& tool = tools[i];
    const auto* object = (*array)[i].if_object();
    if (object == nullptr) {
      return fieldError(ctx, tool_path, " must be an object");
    }
    const Path type_path{&tool_path, "type"};
    const json::value* type = member(*object, "type");
    if (type == nullptr) {
      return missingField(ctx, type_path);
    }
    if (type->if_string() == nullptr || *type->if_string() != "function") {
      return fieldError(ctx, type_path, ": unsupported tool type");
    }
    const Path function_path{&tool_path, "function"};
    const json::value* function = member(*object, "function");
    if (function == nullptr) {
      return missingField(ctx, function_path);
    }
    const auto* function_object = function->if_object();
    if (function_object == nullptr) {
      return fieldError(ctx, function_path, " must be an object");
    }
    const Path name_path{&function_path, "name"};
    const json::value* name = member(*function_object, "name");
    if (name == nullptr) {
      return missingField(ctx, name_path);
    }
    if (name->if_string() == nullptr || name->if_string()->empty()) {
      return fieldError(ctx, name_path, " must be a non-empty string");
    }
    tool.name = toStdString(*name->if_string());
    if (auto description =
            optionalString(ctx, function_path, *function_object, "description", tool.description);
        !description) {
      return description;
    }
    if (const json::value* parameters = member(*function_object, "parameters")) {
      if (!parameters->is_object()) {
        return fieldError(ctx, Path{&function_path, "parameters"}, " must be an object");
      }
      const std::string_view raw_function = detail::findRawMember(raw_elements[i], "function");
      tool.parameters = std::string(detail::findRawMember(raw_function, "parameters"));
      if (tool.parameters.empty()) {
        return makeError(Errc::BadRequest, "request body is not valid JSON");
      }
    }
    if (const json::value* strict = member(*function_object, "strict")) {
      if (!strict->is_bool()) {
        return fieldError(ctx, Path{&function_path, "strict"}, " must be a boolean");
      }
      tool.strict = strict->get_bool();
    }
  }
  return {};
}

Result<void> decodeMaxTokens(const json::object& root, ChatRequest& request) {
  const json::value* legacy = member(root, "max_tokens");
  const json::value* completion = member(root, "max_completion_tokens");
  if (legacy != nullptr && completion != nullptr) {
    return makeError(Errc::BadRequest, "max_tokens and max_completion_tokens cannot both be set");
  }
  const json::value* value = completion != nullptr ? completion : legacy;
  if (value == nullptr) {
    return {};
  }
  const std::string_view key = completion != nullptr ? "max_completion_tokens" : "max_tokens";
  const auto parsed = toInt64(*value, false);
  if (!parsed || *parsed < 0) {
    return makeError(Errc::BadRequest, std::string(key) + " must be a non-negative integer");
  }
  request.max_tokens = *parsed;
  request.max_tokens_is_completion = completion != nullptr;
  return {};
}

Result<void> decodeStop(const json::value& value, std::vector<std::string>& stop) {
  if (const auto* str = value.if_string()) {
    stop.push_back(toStdString(*str));
    return {};
  }
  if (const auto* array = value.if_array()) {
    stop.reserve(array->size());
    for (const json::value& element : *array) {
      const auto* element_str = element.if_string();
      if (element_str == nullptr) {
        return makeError(Errc::BadRequest, "stop must be a string or an array of strings");
      }
      stop.push_back(toStdString(*element_str));
    }
    return {};
  }
  return makeError(Errc::BadRequest, "stop must be a string or an array of strings");
}

Result<void> decodeStreamFields(const json::object& root, ChatRequest& request) {
  if (const json::value* stream = member(root, "stream")) {
    if (!stream->is_bool()) {
      return makeError(Errc::BadRequest, "stream must be a boolean");
    }
    request.stream = stream->get_bool();
  }
  if (const json::value* options = member(root, "stream_options")) {
    const auto* object = options->if_object();
    if (object == nullptr) {
      return makeError(Errc::BadRequest, "stream_options must be an object");
    }
    if (const json::value* include_usage = member(*object, "include_usage")) {
      if (!include_usage->is_bool()) {
        return makeError(Errc::BadRequest, "stream_options.include_usage must be a boolean");
      }
      // Only meaningful for a stream; normalised so the canonical form round-trips.
      request.stream_include_usage = request.stream && include_usage->get_bool();
    }
  }
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

  const json::value* messages = member(root, "messages");
  if (messages == nullptr) {
    return makeError(Errc::BadRequest, "missing required field: messages");
  }
  const auto* message_array = messages->if_array();
  if (message_array == nullptr || message_array->empty()) {
    return makeError(Errc::BadRequest, "messages must be a non-empty array");
  }
  request.messages.resize(message_array->size());
  const Path messages_path{nullptr, "messages"};
  for (std::size_t i = 0; i < message_array->size(); ++i) {
    auto decoded = decodeMessage(kRequestContext, Path{&messages_path, {}, i}, (*message_array)[i],
                                 request.messages[i]);
    if (!decoded) {
      return decoded;
    }
  }

  if (const json::value* tools = member(root, "tools")) {
    auto decoded = decodeTools(*tools, raw.tools, request.tools);
    if (!decoded) {
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
  if (auto stream = decodeStreamFields(root, request); !stream) {
    return stream;
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
  if (auto max_tokens = decodeMaxTokens(root, request); !max_tokens) {
    return max_tokens;
  }
  if (const json::value* stop = member(root, "stop")) {
    if (auto decoded = decodeStop(*stop, request.stop); !decoded) {
      return decoded;
    }
  }
  return {};
}

/// An Anthropic tool_result as an OpenAI tool message: OpenAI has no error flag, so an error is
/// said in the text ("Error: ...", the Mapped rule of docs/backends.md), and OpenAI requires a
/// content where Anthropic allows none.
Message anthropicToolResult(const Message& message) {
  Message copy = message;
  if (copy.content.empty()) {
    copy.content_is_string = true;
    copy.content.emplace_back();
  }
  if (copy.is_error) {
    ContentPart* first_text = nullptr;
    for (ContentPart& part : copy.content) {
      if (part.kind == ContentPart::Kind::Text) {
        first_text = &part;
        break;
      }
    }
    if (first_text == nullptr) {
      first_text = &*copy.content.insert(copy.content.begin(), ContentPart{});
    }
    first_text->text.insert(0, "Error: ");
  }
  return copy;
}

/// An Anthropic request's passthrough fields for an OpenAI backend: metadata.user_id becomes
/// `user`; the rest were dropped or refused by checkTranslatable (protocol/translate.h).
void appendAnthropicPassthrough(std::string& out,
                                const std::vector<PassthroughField>& passthrough) {
  for (const PassthroughField& field : passthrough) {
    if (field.name != "metadata") {
      continue;
    }
    const std::string_view user_id =
        detail::findRawMember(detail::rawDocument(field.json), "user_id");
    if (!user_id.empty() && user_id.front() == '"') {
      out += R"(,"user":)";
      out += user_id;
    }
  }
}

std::size_t estimateRequest(const ChatRequest& request, std::string_view upstream_model) {
  std::size_t size =
      256 + upstream_model.size() + (request.tool_choice ? request.tool_choice->json.size() : 0);
  for (const Message& message : request.messages) {
    size += estimateMessage(message);
  }
  for (const ToolDefinition& tool : request.tools) {
    size += 96 + tool.name.size() + tool.description.size() + tool.parameters.size();
  }
  for (const std::string& stop : request.stop) {
    size += 4 + stop.size();
  }
  for (const PassthroughField& field : request.passthrough) {
    size += 4 + field.name.size() + field.json.size();
  }
  return size;
}

// ------------------------------------------------------------------------------------------
// Responses and chunks

constexpr std::array<std::string_view, 6> kResponseFields = {"id",    "object",  "created",
                                                             "model", "choices", "usage"};

void decodeEnvelope(const json::object& root, std::string& id, std::string& model,
                    std::int64_t& created) {
  if (const json::value* value = member(root, "id"); value != nullptr && value->is_string()) {
    id = toStdString(value->get_string());
  }
  if (const json::value* value = member(root, "model"); value != nullptr && value->is_string()) {
    model = toStdString(value->get_string());
  }
  if (const json::value* value = member(root, "created")) {
    created = toInt64(*value, true).value_or(0);
  }
}

void appendEnvelope(std::string& out, const std::string& id, std::string_view object,
                    std::int64_t created, const std::string& model) {
  out += R"({"id":)";
  appendJsonString(out, id);
  out += R"(,"object":)";
  appendJsonString(out, object);
  out += R"(,"created":)";
  appendJsonInt(out, created);
  out += R"(,"model":)";
  appendJsonString(out, model);
}

std::string decodeFinishReason(const json::object& choice) {
  if (const json::value* value = member(choice, "finish_reason");
      value != nullptr && value->is_string()) {
    return toStdString(value->get_string());
  }
  return {};
}

Result<void> decodeDelta(const Path& choice_path, const json::object& object, ChoiceDelta& delta) {
  const Context& ctx = kChunkContext;
  const Path delta_path{&choice_path, "delta"};
  if (const json::value* role = member(object, "role")) {
    auto decoded = decodeRole(ctx, Path{&delta_path, "role"}, *role);
    if (!decoded) {
      return decoded.error();
    }
    delta.role = *decoded;
  }
  if (const json::value* content = member(object, "content")) {
    if (!content->is_string()) {
      return fieldError(ctx, Path{&delta_path, "content"}, " must be a string or null");
    }
    delta.content = toStdString(content->get_string());
  }
  if (const json::value* refusal = member(object, "refusal")) {
    if (!refusal->is_string()) {
      return fieldError(ctx, Path{&delta_path, "refusal"}, " must be a string or null");
    }
    delta.refusal = toStdString(refusal->get_string());
  }
  const json::value* tool_calls = member(object, "tool_calls");
  if (tool_calls == nullptr) {
    return {};
  }
  const Path calls_path{&delta_path, "tool_calls"};
  const auto* calls = tool_calls->if_array();
  if (calls == nullptr) {
    return fieldError(ctx, calls_path, " must be an array");
  }
  delta.tool_calls.resize(calls->size());
  for (std::size_t k = 0; k < calls->size(); ++k) {
    const Path call_path{&calls_path, {}, k};
    ToolCallDelta& call = delta.tool_calls[k];
    const auto* call_object = (*calls)[k].if_object();
    if (call_object == nullptr) {
      return fieldError(ctx, call_path, " must be an object");
    }
    call.index = static_cast<std::int64_t>(k);
    if (const json::value* index = member(*call_object, "index")) {
      const auto parsed = toInt64(*index, true);
      if (!parsed) {
        return fieldError(ctx, Path{&call_path, "index"}, " must be an integer");
      }
      call.index = *parsed;
    }
    if (auto id = optionalString(ctx, call_path, *call_object, "id", call.id); !id) {
      return id;
    }
    if (const json::value* function = member(*call_object, "function")) {
      const Path function_path{&call_path, "function"};
      const auto* function_object = function->if_object();
      if (function_object == nullptr) {
        return fieldError(ctx, function_path, " must be an object");
      }
      if (auto name = optionalString(ctx, function_path, *function_object, "name", call.name);
          !name) {
        return name;
      }
      if (const json::value* arguments = member(*function_object, "arguments")) {
        if (!arguments->is_string()) {
          return fieldError(ctx, Path{&function_path, "arguments"}, " must be a string");
        }
        call.arguments = toStdString(arguments->get_string());
      }
    }
  }
  return {};
}

void appendDelta(std::string& out, const ChoiceDelta& delta) {
  out += R"("delta":{)";
  bool first = true;
  const auto separator = [&out, &first] {
    if (!first) {
      out.push_back(',');
    }
    first = false;
  };
  if (delta.role) {
    separator();
    out += R"("role":)";
    appendJsonString(out, roleName(*delta.role));
  }
  if (delta.content) {
    separator();
    out += R"("content":)";
    appendJsonString(out, *delta.content);
  }
  if (delta.refusal) {
    separator();
    out += R"("refusal":)";
    appendJsonString(out, *delta.refusal);
  }
  if (!delta.tool_calls.empty()) {
    separator();
    out += R"("tool_calls":[)";
    bool first_call = true;
    for (const ToolCallDelta& call : delta.tool_calls) {
      if (!first_call) {
        out.push_back(',');
      }
      first_call = false;
      out += R"({"index":)";
      appendJsonInt(out, call.index);
      if (!call.id.empty()) {
        out += R"(,"id":)";
        appendJsonString(out, call.id);
        out += R"(,"type":"function")";
      }
      out += R"(,"function":{)";
      if (!call.name.empty()) {
        out += R"("name":)";
        appendJsonString(out, call.name);
        out.push_back(',');
      }
      out += R"("arguments":)";
      appendJsonString(out, call.arguments);
      out += "}}";
    }
    out.push_back(']');
  }
  out.push_back('}');
}

} // namespace

// ------------------------------------------------------------------------------------------

Result<ChatRequest> decodeOpenAiChatRequest(std::string_view body) {
  std::array<unsigned char, kParseBufferBytes> buffer;
  json::monotonic_resource resource(buffer.data(), buffer.size());
  ParseStatus status = ParseStatus::Invalid;
  const json::value root = parseJson(body, &resource, status);
  if (status == ParseStatus::TooDeep) {
    return makeError(Errc::BadRequest, "request body nests too deeply");
  }
  if (status != ParseStatus::Ok) {
    return makeError(Errc::BadRequest, "request body is not valid JSON");
  }
  const auto* object = root.if_object();
  if (object == nullptr) {
    return makeError(Errc::BadRequest, "request body must be a JSON object");
  }
  ChatRequest request;
  RawRequestFields raw;
  if (!scanTopLevel(
          detail::rawDocument(body), kRequestFields,
          [&raw](std::size_t index, std::string_view value) { raw.set(index, value); },
          request.passthrough)) {
    return makeError(Errc::BadRequest, "request body is not valid JSON");
  }
  if (auto decoded = decodeRequestFields(*object, raw, request); !decoded) {
    return decoded.error();
  }
  return request;
}

std::string encodeOpenAiChatRequest(const ChatRequest& request, std::string_view upstream_model) {
  std::string out;
  out.reserve(estimateRequest(request, upstream_model));
  out += R"({"model":)";
  appendJsonString(out, upstream_model);
  out += R"(,"messages":[)";
  bool first = true;
  for (const Message& message : request.messages) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    if (request.origin == Wire::Anthropic && message.role == Role::Tool &&
        (message.is_error || message.content.empty())) {
      appendMessage(out, anthropicToolResult(message));
    } else {
      appendMessage(out, message);
    }
  }
  out.push_back(']');
  if (!request.tools.empty()) {
    out += R"(,"tools":[)";
    bool first_tool = true;
    for (const ToolDefinition& tool : request.tools) {
      if (!first_tool) {
        out.push_back(',');
      }
      first_tool = false;
      out += R"({"type":"function","function":{"name":)";
      appendJsonString(out, tool.name);
      if (!tool.description.empty()) {
        out += R"(,"description":)";
        appendJsonString(out, tool.description);
      }
      if (!tool.parameters.empty()) {
        out += R"(,"parameters":)";
        out += tool.parameters;
      }
      if (tool.strict) {
        out += *tool.strict ? R"(,"strict":true)" : R"(,"strict":false)";
      }
      out += "}}";
    }
    out.push_back(']');
  }
  if (request.tool_choice) {
    appendToolChoice(out, *request.tool_choice, request.origin);
  }
  if (request.stream) {
    out += R"(,"stream":true)";
    if (request.stream_include_usage) {
      out += R"(,"stream_options":{"include_usage":true})";
    }
  }
  if (request.temperature) {
    out += R"(,"temperature":)";
    appendJsonDouble(out, *request.temperature);
  }
  if (request.top_p) {
    out += R"(,"top_p":)";
    appendJsonDouble(out, *request.top_p);
  }
  if (request.max_tokens) {
    out += request.max_tokens_is_completion ? R"(,"max_completion_tokens":)" : R"(,"max_tokens":)";
    appendJsonInt(out, *request.max_tokens);
  }
  if (request.stop.size() == 1) {
    out += R"(,"stop":)";
    appendJsonString(out, request.stop.front());
  } else if (!request.stop.empty()) {
    out += R"(,"stop":[)";
    bool first_stop = true;
    for (const std::string& stop : request.stop) {
      if (!first_stop) {
        out.push_back(',');
      }
      first_stop = false;
      appendJsonString(out, stop);
    }
    out.push_back(']');
  }
  if (request.origin == Wire::Anthropic) {
    appendAnthropicPassthrough(out, request.passthrough);
  } else {
    appendPassthrough(out, request.passthrough, kRequestFields);
  }
  out.push_back('}');
  return out;
}

namespace {

/// What a chat.completion and a chat.completion.chunk share: the envelope (id, created, model),
/// the `choices` array with each choice's index and finish_reason, and `usage`. `Answer` is
/// ChatResponse or ChatChunk; `decode_choice` fills the part that differs (message or delta).
template <class Answer, class DecodeChoice>
Result<Answer> decodeAnswer(std::string_view text, const Context& ctx, std::string_view kind,
                            DecodeChoice&& decode_choice) {
  std::array<unsigned char, kParseBufferBytes> buffer;
  json::monotonic_resource resource(buffer.data(), buffer.size());
  ParseStatus status = ParseStatus::Invalid;
  const json::value root = parseJson(text, &resource, status);
  if (status != ParseStatus::Ok) {
    return makeError(Errc::UpstreamFailed, std::string(kind) + " is not valid JSON");
  }
  const auto* object = root.if_object();
  const json::value* choices = object != nullptr ? member(*object, "choices") : nullptr;
  if (choices == nullptr || !choices->is_array()) {
    constexpr std::string_view kObject = std::is_same_v<Answer, ChatChunk>
                                             ? " is not a chat.completion.chunk object"
                                             : " is not a chat.completion object";
    return makeError(Errc::UpstreamFailed, std::string(kind).append(kObject));
  }
  const json::array& choice_array = choices->get_array();
  Answer answer;
  decodeEnvelope(*object, answer.id, answer.model, answer.created);
  answer.choices.resize(choice_array.size());
  const Path choices_path{nullptr, "choices"};
  for (std::size_t i = 0; i < choice_array.size(); ++i) {
    const Path choice_path{&choices_path, {}, i};
    auto& choice = answer.choices[i];
    const auto* choice_object = choice_array[i].if_object();
    if (choice_object == nullptr) {
      return fieldError(ctx, choice_path, " must be an object");
    }
    choice.index = static_cast<std::int64_t>(i);
    if (const json::value* index = member(*choice_object, "index")) {
      choice.index = toInt64(*index, true).value_or(choice.index);
    }
    if (auto decoded = decode_choice(choice_path, *choice_object, choice); !decoded) {
      return decoded.error();
    }
    choice.finish_reason = decodeFinishReason(*choice_object);
  }
  answer.usage = decodeUsage(*object);
  return answer;
}

/// The encoding counterpart of decodeAnswer: `append_choice` writes the part that differs.
template <class Choices, class AppendChoice>
void appendAnswer(std::string& out, const std::string& id, std::string_view object,
                  std::int64_t created, const std::string& model, const Choices& choices,
                  const std::optional<Usage>& usage, AppendChoice&& append_choice) {
  appendEnvelope(out, id, object, created, model);
  out += R"(,"choices":[)";
  bool first = true;
  for (const auto& choice : choices) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += R"({"index":)";
    appendJsonInt(out, choice.index);
    append_choice(out, choice);
    out += R"(,"logprobs":null)";
    appendFinishReason(out, choice.finish_reason);
    out.push_back('}');
  }
  out.push_back(']');
  if (usage) {
    out += R"(,"usage":)";
    appendUsage(out, *usage);
  }
}

} // namespace

Result<ChatResponse> decodeOpenAiChatResponse(std::string_view body) {
  auto response = decodeAnswer<ChatResponse>(
      body, kResponseContext, "upstream answer",
      [](const Path& choice_path, const json::object& choice_object, Choice& choice) {
        choice.message.role = Role::Assistant;
        choice.message.content_is_string = false;
        if (const json::value* message = member(choice_object, "message")) {
          return decodeMessage(kResponseContext, Path{&choice_path, "message"}, *message,
                               choice.message);
        }
        return Result<void>{};
      });
  if (response && !scanTopLevel(
                      detail::rawDocument(body), kResponseFields,
                      [](std::size_t, std::string_view) {}, response->passthrough)) {
    return makeError(Errc::UpstreamFailed, "upstream answer is not valid JSON");
  }
  return response;
}

std::string encodeOpenAiChatResponse(const ChatResponse& response) {
  std::size_t size = 256 + response.id.size() + response.model.size();
  for (const Choice& choice : response.choices) {
    size += 64 + estimateMessage(choice.message);
  }
  for (const PassthroughField& field : response.passthrough) {
    size += 4 + field.name.size() + field.json.size();
  }
  std::string out;
  out.reserve(size);
  appendAnswer(out, response.id, "chat.completion", response.created, response.model,
               response.choices, response.usage, [](std::string& text, const Choice& choice) {
                 text += R"(,"message":)";
                 appendMessage(text, choice.message);
               });
  appendPassthrough(out, response.passthrough, kResponseFields);
  out.push_back('}');
  return out;
}

Result<ChatChunk> decodeOpenAiChatChunk(std::string_view text) {
  return decodeAnswer<ChatChunk>(
      text, kChunkContext, "upstream chunk",
      [](const Path& choice_path, const json::object& choice_object, ChoiceDelta& delta) {
        const json::value* value = member(choice_object, "delta");
        if (value == nullptr) {
          return Result<void>{};
        }
        const auto* delta_object = value->if_object();
        if (delta_object == nullptr) {
          return Result<void>{
              fieldError(kChunkContext, Path{&choice_path, "delta"}, " must be an object")};
        }
        return decodeDelta(choice_path, *delta_object, delta);
      });
}

std::string encodeOpenAiChatChunk(const ChatChunk& chunk) {
  std::size_t size = 192 + chunk.id.size() + chunk.model.size();
  for (const ChoiceDelta& delta : chunk.choices) {
    size += 96 + (delta.content ? delta.content->size() : 0);
    for (const ToolCallDelta& call : delta.tool_calls) {
      size += 80 + call.id.size() + call.name.size() + call.arguments.size();
    }
  }
  std::string out;
  out.reserve(size);
  appendAnswer(out, chunk.id, "chat.completion.chunk", chunk.created, chunk.model, chunk.choices,
               chunk.usage, [](std::string& text, const ChoiceDelta& delta) {
                 text.push_back(',');
                 appendDelta(text, delta);
               });
  out.push_back('}');
  return out;
}

std::string encodeOpenAiError(Errc code, std::string_view message) {
  std::string_view type = "api_error";
  switch (code) {
  case Errc::BadRequest:
  case Errc::MethodNotAllowed:
  case Errc::RequestTimeout:
  case Errc::PayloadTooLarge:
  case Errc::HeadersTooLarge:
    type = "invalid_request_error";
    break;
  case Errc::Unauthorized:
    type = "authentication_error";
    break;
  case Errc::PolicyViolation:
    type = "policy_violation";
    break;
  case Errc::NotFound:
    type = "not_found_error";
    break;
  case Errc::RateLimited:
    type = "rate_limit_error";
    break;
  case Errc::Internal:
  case Errc::UpstreamFailed:
  case Errc::Unavailable:
  case Errc::UpstreamTimeout:
    type = "api_error";
    break;
  }
  std::string out;
  out.reserve(message.size() + 128);
  out += R"({"error":{"message":)";
  appendJsonString(out, message);
  out += R"(,"type":)";
  appendJsonString(out, type);
  out += R"(,"param":null,"code":)";
  appendJsonString(out, errcName(code));
  out += "}}";
  return out;
}

} // namespace cordon::protocol
