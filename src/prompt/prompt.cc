#include "cordon/prompt/prompt.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace cordon::prompt {
namespace {

constexpr std::string_view kVariablesField = "cordon_variables";

bool isNameStart(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool isNameChar(char c) noexcept {
  return isNameStart(c) || (c >= '0' && c <= '9');
}

bool isVariableName(std::string_view name) noexcept {
  return !name.empty() && isNameStart(name.front()) &&
         std::all_of(name.begin() + 1, name.end(), isNameChar);
}

struct Placeholder {
  std::string_view name;
  std::size_t length = 0; ///< Bytes from the opening "{{" to the closing "}}" included.
};

/// The placeholder starting at `text[pos]` (which holds "{{"), or nullopt when what follows is
/// not a name between optional spaces and "}}": such braces are ordinary text.
std::optional<Placeholder> placeholderAt(std::string_view text, std::size_t pos) noexcept {
  std::size_t i = pos + 2;
  while (i < text.size() && text[i] == ' ') {
    ++i;
  }
  const std::size_t name_begin = i;
  if (i == text.size() || !isNameStart(text[i])) {
    return std::nullopt;
  }
  while (i < text.size() && isNameChar(text[i])) {
    ++i;
  }
  const std::size_t name_end = i;
  while (i < text.size() && text[i] == ' ') {
    ++i;
  }
  if (text.substr(i, 2) != "}}") {
    return std::nullopt;
  }
  return Placeholder{text.substr(name_begin, name_end - name_begin), i + 2 - pos};
}

protocol::Message textMessage(protocol::Role role, std::string text) {
  protocol::Message message;
  message.role = role;
  message.content_is_string = true;
  protocol::ContentPart part;
  part.text = std::move(text);
  message.content.push_back(std::move(part));
  return message;
}

bool isSystemRole(protocol::Role role) noexcept {
  return role == protocol::Role::System || role == protocol::Role::Developer;
}

Error badVariables(std::string detail) {
  return makeError(Errc::BadRequest, "cordon_variables: " + std::move(detail));
}

} // namespace

Result<std::string> render(std::string_view text, const Variables& variables,
                           const Variables& defaults, std::string_view template_id) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  std::size_t pos = text.find("{{");
  while (pos != std::string_view::npos) {
    const std::optional<Placeholder> placeholder = placeholderAt(text, pos);
    if (!placeholder) {
      // Only one brace is consumed so that "{{{x}}" still finds the placeholder one byte later.
      pos = text.find("{{", pos + 1);
      continue;
    }
    const std::string* value = nullptr;
    if (auto found = variables.find(placeholder->name); found != variables.end()) {
      value = &found->second;
    } else if (auto fallback = defaults.find(placeholder->name); fallback != defaults.end()) {
      value = &fallback->second;
    }
    if (value == nullptr) {
      std::string detail = "prompt ";
      detail.append(template_id).append(": missing variable ").append(placeholder->name);
      return makeError(Errc::BadRequest, std::move(detail));
    }
    out.append(text, copied, pos - copied);
    // Appended and never scanned again: a value holding "{{x}}" stays as the client wrote it.
    out += *value;
    copied = pos + placeholder->length;
    pos = text.find("{{", copied);
  }
  out.append(text, copied);
  return out;
}

const config::PromptWording& wordingFor(const config::PromptTemplate& tmpl,
                                        std::string_view backend, std::string_view model) {
  std::string key;
  key.reserve(backend.size() + 1 + model.size());
  key.append(backend).append(":").append(model);
  if (auto found = tmpl.per_target.find(key); found != tmpl.per_target.end()) {
    return found->second;
  }
  if (auto found = tmpl.per_target.find(backend); found != tmpl.per_target.end()) {
    return found->second;
  }
  return tmpl.wording;
}

Result<void> apply(const config::PromptTemplate& tmpl, const config::PromptWording& wording,
                   const Variables& variables, protocol::ChatRequest& request) {
  const std::string id = tmpl.id();
  if (request.operation != protocol::Operation::Chat) {
    // Each message of an embeddings request is one input: a system prompt would add a vector.
    return makeError(Errc::BadRequest, "prompt " + id + ": templates apply to chat requests only");
  }
  // Everything is rendered before the request is touched, so an error leaves it as it was.
  auto system = render(wording.system, variables, tmpl.defaults, id);
  if (!system) {
    return system.error();
  }
  std::vector<protocol::Message> scaffolding;
  scaffolding.reserve(wording.messages.size());
  for (const config::PromptMessage& message : wording.messages) {
    protocol::Role role = protocol::Role::User;
    if (message.role == "assistant") {
      role = protocol::Role::Assistant;
    } else if (message.role != "user") {
      return makeError(Errc::Internal,
                       "prompt " + id + ": scaffolding role is not user or assistant");
    }
    auto content = render(message.content, variables, tmpl.defaults, id);
    if (!content) {
      return content.error();
    }
    scaffolding.push_back(textMessage(role, std::move(*content)));
  }

  // The client's system messages stay ahead of the scaffolding: the Anthropic encoder can only
  // carry system text that precedes the conversation.
  auto& messages = request.messages;
  const auto client_system_end =
      std::find_if_not(messages.begin(), messages.end(),
                       [](const protocol::Message& message) { return isSystemRole(message.role); });
  messages.insert(client_system_end, std::make_move_iterator(scaffolding.begin()),
                  std::make_move_iterator(scaffolding.end()));
  if (!system->empty()) {
    messages.insert(messages.begin(), textMessage(protocol::Role::System, std::move(*system)));
  }
  return {};
}

Result<Variables> takeVariables(protocol::ChatRequest& request) {
  auto& fields = request.passthrough;
  // Removed however the request ends, so no backend ever receives it; a repeated member counts
  // once, the last one, as the decoders treat every repeated member.
  std::optional<std::string> json;
  fields.erase(std::remove_if(fields.begin(), fields.end(),
                              [&json](protocol::PassthroughField& field) {
                                if (field.name != kVariablesField) {
                                  return false;
                                }
                                json = std::move(field.json);
                                return true;
                              }),
               fields.end());
  Variables variables;
  if (!json) {
    return variables;
  }
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(*json, ec);
  if (ec || !value.is_object()) {
    return badVariables("must be an object of strings");
  }
  for (const auto& member : value.get_object()) {
    const std::string_view name = member.key();
    if (!isVariableName(name)) {
      // The odd name is not echoed: it is the client's text, not the template's vocabulary.
      return badVariables("a variable name is not [A-Za-z_][A-Za-z0-9_]*");
    }
    if (!member.value().is_string()) {
      std::string detail = "variable ";
      detail.append(name).append(" must be a string");
      return badVariables(std::move(detail));
    }
    const boost::json::string& text = member.value().get_string();
    variables.insert_or_assign(std::string(name), std::string(text.data(), text.size()));
  }
  return variables;
}

std::vector<std::string> staticTexts(const config::PromptTemplate& tmpl) {
  std::vector<std::string> texts;
  const auto add = [&texts](const config::PromptWording& wording) {
    if (!wording.system.empty()) {
      texts.push_back(wording.system);
    }
    for (const config::PromptMessage& message : wording.messages) {
      if (!message.content.empty()) {
        texts.push_back(message.content);
      }
    }
  };
  add(tmpl.wording);
  for (const auto& [target, wording] : tmpl.per_target) {
    add(wording);
  }
  return texts;
}

} // namespace cordon::prompt
