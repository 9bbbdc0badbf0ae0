#include "cordon/protocol/translate.h"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/json_util.h"

namespace cordon::protocol {
namespace {

struct Rule {
  std::string_view name;
  Crossing crossing;
};

/// OpenAI Chat Completions parameters an Anthropic backend can honour. Everything else an OpenAI
/// client sends (logprobs, seed, penalties, response_format, audio, …) is refused.
constexpr std::array<Rule, 7> kOpenAiToAnthropic = {{
    {"user", Crossing::Mapped},                // metadata.user_id
    {"parallel_tool_calls", Crossing::Mapped}, // tool_choice.disable_parallel_tool_use
    {"n", Crossing::Dropped},                  // 1 only; checkTranslatable refuses more
    {"store", Crossing::Dropped},              // OpenAI's stored completions, not the answer
    {"metadata", Crossing::Dropped},           // tags for stored completions
    {"stream_options", Crossing::Dropped},     // decoded into the canonical request
    {"prompt_cache_key", Crossing::Dropped},   // a caching hint
}};

/// Anthropic Messages parameters an OpenAI backend can honour.
constexpr std::array<Rule, 3> kAnthropicToOpenAi = {{
    {"metadata", Crossing::Mapped},      // user_id -> user; other keys dropped
    {"service_tier", Crossing::Dropped}, // capacity priority, not the answer
    {"thinking", Crossing::Dropped},     // only {"type":"disabled"} gets this far
}};

std::string_view apiName(Wire wire) noexcept {
  return wire == Wire::Anthropic ? "the Anthropic Messages API" : "the OpenAI Chat Completions API";
}

std::string_view wireName(Wire wire) noexcept {
  return wire == Wire::Anthropic ? "anthropic" : "openai";
}

std::string noEquivalent(std::string_view what, Wire to) {
  std::string detail(what);
  detail += " has no equivalent in ";
  detail += apiName(to);
  detail += " (the request's target speaks ";
  detail += wireName(to);
  detail.push_back(')');
  return detail;
}

/// A parameter name is the client's text: named in an error only when it looks like an API
/// parameter (lower-case snake case), so a key pasted in the wrong place is never echoed.
bool showableName(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

Error refusedParameter(std::string_view name, Wire to) {
  if (showableName(name)) {
    return makeError(Errc::BadRequest,
                     noEquivalent(std::string("parameter '").append(name).append("'"), to));
  }
  return makeError(Errc::BadRequest, noEquivalent("an unrecognised parameter", to));
}

/// Values that ask for nothing, so refusing them would only break clients that send defaults.
bool isNeutral(std::string_view name, std::string_view json) noexcept {
  const std::string_view value = detail::rawDocument(json);
  if (value == "null") {
    return true;
  }
  if (name == "logprobs") {
    return value == "false";
  }
  if (name == "presence_penalty" || name == "frequency_penalty") {
    return value == "0" || value == "0.0";
  }
  if (name == "logit_bias") {
    return !value.empty() && value.front() == '{' &&
           detail::skipJsonSpace(value, 1) + 1 == value.size();
  }
  return false;
}

Error messageError(std::size_t index, std::string_view what, Wire to) {
  return makeError(
      Errc::BadRequest,
      noEquivalent("messages[" + std::to_string(index) + "]: " + std::string(what), to));
}

bool isUsableImage(std::string_view url) noexcept {
  constexpr std::string_view kData = "data:";
  constexpr std::string_view kBase64 = ";base64,";
  if (url.substr(0, kData.size()) == kData) {
    const std::size_t marker = url.find(kBase64);
    return marker != std::string_view::npos && url.find(',') == marker + kBase64.size() - 1;
  }
  return url.substr(0, 8) == "https://" || url.substr(0, 7) == "http://";
}

Result<void> checkForAnthropic(const ChatRequest& request) {
  constexpr Wire kTo = Wire::Anthropic;
  bool conversation_started = false;
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    const Message& message = request.messages[i];
    const bool system = message.role == Role::System || message.role == Role::Developer;
    if (system && conversation_started) {
      return messageError(i, "a system message after the conversation started", kTo);
    }
    conversation_started = conversation_started || !system;
    for (const ContentPart& part : message.content) {
      if (part.kind != ContentPart::Kind::ImageUrl) {
        continue;
      }
      if (system || message.role == Role::Assistant) {
        return messageError(i, "an image outside a user message or tool result", kTo);
      }
      if (!isUsableImage(part.image_url)) {
        return messageError(i, "an image that is neither an http(s) URL nor a base64 data: URI",
                            kTo);
      }
    }
  }
  for (std::size_t i = 0; i < request.tools.size(); ++i) {
    if (request.tools[i].strict.value_or(false)) {
      return makeError(Errc::BadRequest,
                       noEquivalent("tools[" + std::to_string(i) + "].function.strict", kTo));
    }
  }
  if (request.tool_choice && request.tool_choice->mode == ToolChoice::Mode::Other) {
    return makeError(Errc::BadRequest, noEquivalent("this form of tool_choice", kTo));
  }
  if (request.temperature && *request.temperature > 1.0) {
    return makeError(Errc::BadRequest, noEquivalent("a temperature above 1", kTo));
  }
  return {};
}

Result<void> checkForOpenAi(const ChatRequest& request) {
  constexpr Wire kTo = Wire::OpenAi;
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    const Message& message = request.messages[i];
    if (message.role != Role::Tool) {
      continue;
    }
    for (const ContentPart& part : message.content) {
      if (part.kind == ContentPart::Kind::ImageUrl) {
        return messageError(i, "an image in a tool result", kTo);
      }
    }
  }
  if (request.tool_choice && request.tool_choice->mode == ToolChoice::Mode::Other) {
    return makeError(Errc::BadRequest, noEquivalent("this form of tool_choice", kTo));
  }
  return {};
}

} // namespace

Crossing crossingOf(Wire from, Wire to, std::string_view name) {
  if (from == to) {
    return Crossing::Forward;
  }
  if (from == Wire::OpenAi) {
    for (const Rule& rule : kOpenAiToAnthropic) {
      if (rule.name == name) {
        return rule.crossing;
      }
    }
    return Crossing::Refused;
  }
  for (const Rule& rule : kAnthropicToOpenAi) {
    if (rule.name == name) {
      return rule.crossing;
    }
  }
  return Crossing::Refused;
}

Result<void> checkTranslatable(const ChatRequest& request, Wire to) {
  if (request.operation == Operation::Embeddings && to == Wire::Anthropic) {
    return makeError(Errc::BadRequest, noEquivalent("embeddings", to));
  }
  if (request.origin == to) {
    return {};
  }
  for (const PassthroughField& field : request.passthrough) {
    const Crossing crossing = crossingOf(request.origin, to, field.name);
    if (crossing == Crossing::Refused && !isNeutral(field.name, field.json)) {
      return refusedParameter(field.name, to);
    }
    if (field.name == "n" && request.origin == Wire::OpenAi) {
      const std::string_view value = detail::rawDocument(field.json);
      if (value != "1" && value != "null") {
        return makeError(Errc::BadRequest, noEquivalent("parameter 'n' above 1", to));
      }
    }
  }
  return to == Wire::Anthropic ? checkForAnthropic(request) : checkForOpenAi(request);
}

} // namespace cordon::protocol
