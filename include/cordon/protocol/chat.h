// The canonical chat request and response: every front-door protocol is decoded once into these
// types and every backend protocol is encoded from them, so classification, policy and
// pseudonymization are written once. No JSON type appears here; JSON stays at the edges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cordon::protocol {

enum class Role : std::uint8_t { System, Developer, User, Assistant, Tool };

struct ContentPart {
  enum class Kind : std::uint8_t { Text, ImageUrl };
  Kind kind = Kind::Text;
  std::string text;         ///< Kind::Text
  std::string image_url;    ///< Kind::ImageUrl: an URL or data: URI, passed by reference
  std::string image_detail; ///< Kind::ImageUrl: "auto" | "low" | "high" | "" (absent)
};

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments; ///< JSON text exactly as the model produced it (may be invalid JSON).
};

struct Message {
  Role role = Role::User;
  std::vector<ContentPart> content;
  /// True when the client sent `content` as a plain string (encode it back the same way);
  /// false for an array of parts. A null/absent content is an empty `content` with this false.
  bool content_is_string = true;
  std::vector<ToolCall> tool_calls; ///< Assistant messages.
  std::string tool_call_id;         ///< Tool messages.
  std::string name;                 ///< Optional participant name.
  std::string refusal; ///< Assistant messages: the model's refusal text; empty when absent.
};

struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters;     ///< JSON Schema as JSON text; empty when absent.
  std::optional<bool> strict; ///< OpenAI `function.strict` (structured outputs); absent if unset.
};

/// A parameter cordon does not interpret: its name and its JSON text, forwarded unchanged to a
/// backend of the protocol it came from (translation rules for other protocols come later).
struct PassthroughField {
  std::string name;
  std::string json;
};

struct ChatRequest {
  std::string model;
  std::vector<Message> messages;
  std::vector<ToolDefinition> tools;
  std::string tool_choice; ///< JSON text; empty when absent.
  bool stream = false;
  bool stream_include_usage = false; ///< stream_options.include_usage
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::int64_t> max_tokens; ///< max_tokens or max_completion_tokens
  /// True when the client named the limit `max_completion_tokens` (re-encoded under that name).
  bool max_tokens_is_completion = false;
  std::vector<std::string> stop;
  std::vector<PassthroughField> passthrough;
};

struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

struct Choice {
  std::int64_t index = 0;
  Message message;           ///< role Assistant
  std::string finish_reason; ///< "stop" | "length" | "tool_calls" | "content_filter" | ""
};

struct ChatResponse {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::vector<Choice> choices;
  std::optional<Usage> usage;
  std::vector<PassthroughField> passthrough; ///< e.g. system_fingerprint
};

/// One piece of a streamed tool call (OpenAI sends the id and name first, then arguments in
/// fragments, all keyed by `index`).
struct ToolCallDelta {
  std::int64_t index = 0;
  std::string id;
  std::string name;
  std::string arguments;
};

struct ChoiceDelta {
  std::int64_t index = 0;
  std::optional<Role> role;
  std::optional<std::string> content;
  std::optional<std::string> refusal; ///< A streamed refusal fragment.
  std::vector<ToolCallDelta> tool_calls;
  std::string finish_reason; ///< Empty until the last chunk of this choice.
};

/// One streamed chunk (an OpenAI `chat.completion.chunk`).
struct ChatChunk {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::vector<ChoiceDelta> choices;
  std::optional<Usage> usage;
};

} // namespace cordon::protocol
