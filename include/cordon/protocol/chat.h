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

/// The wire protocols cordon speaks, at the front door and to backends.
enum class Wire : std::uint8_t { OpenAi, Anthropic };

/// What a request asks for: a chat answer (Chat Completions, Anthropic Messages) or embeddings
/// (OpenAI /v1/embeddings: each input is one user message with one text part).
enum class Operation : std::uint8_t { Chat, Embeddings };

struct ContentPart {
  enum class Kind : std::uint8_t { Text, ImageUrl };
  Kind kind = Kind::Text;
  std::string text;         ///< Kind::Text
  std::string image_url;    ///< Kind::ImageUrl: an URL or data: URI, passed by reference
  std::string image_detail; ///< Kind::ImageUrl: "auto" | "low" | "high" | "" (absent)
  /// Members of an Anthropic content block that cordon does not interpret but must not lose
  /// (`"cache_control":{...}`), as JSON member text without braces. Written back to Anthropic
  /// backends only; they change caching, never meaning (docs/backends.md).
  std::string extra;
};

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments; ///< JSON text exactly as the model produced it (may be invalid JSON).
  /// Members of an Anthropic `tool_use` block cordon does not interpret (as ContentPart::extra).
  std::string extra;
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
  /// Tool messages: the tool reported an error (Anthropic `tool_result.is_error`).
  bool is_error = false;
  /// Tool messages from Anthropic: the `tool_result` block's members cordon does not interpret
  /// (`cache_control`; an explicit `"is_error":false`), as ContentPart::extra. Agents put their
  /// cache breakpoint on the last tool result, so losing it would make every turn a cache miss.
  std::string extra;
};

struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters;     ///< JSON Schema as JSON text; empty when absent.
  std::optional<bool> strict; ///< OpenAI `function.strict` (structured outputs); absent if unset.
  std::string extra;          ///< Anthropic tool members not interpreted (cache_control), as above.
};

/// Which tool the model must call. `json` is the client's exact text, re-sent unchanged to a
/// backend of the request's own protocol; a backend of the other protocol gets it rebuilt from
/// `mode` and `name`.
struct ToolChoice {
  enum class Mode : std::uint8_t {
    Auto,     ///< OpenAI "auto", Anthropic {"type":"auto"}
    None,     ///< OpenAI "none", Anthropic {"type":"none"}
    Required, ///< OpenAI "required", Anthropic {"type":"any"}
    Named,    ///< OpenAI {"type":"function","function":{"name":N}}, Anthropic {"type":"tool",...}
    Other,    ///< A form the other protocol lacks (OpenAI allowed_tools, custom): not translated
  };
  Mode mode = Mode::Auto;
  std::string name; ///< Mode::Named
  /// Anthropic `disable_parallel_tool_use`; OpenAI's `parallel_tool_calls: false` maps to it.
  std::optional<bool> disable_parallel;
  std::string json;
};

/// A parameter cordon does not interpret: its name and its JSON text, forwarded unchanged to a
/// backend of the protocol it came from. For a backend of the other protocol it is mapped by a
/// documented rule, dropped where that changes nothing, or refused (protocol/translate.h).
struct PassthroughField {
  std::string name;
  std::string json;
};

struct ChatRequest {
  Wire origin = Wire::OpenAi; ///< The front door it came through.
  Operation operation = Operation::Chat;
  std::string model;
  std::vector<Message> messages;
  std::vector<ToolDefinition> tools;
  std::optional<ToolChoice> tool_choice;
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
  /// The backend's own word when it is finer than `finish_reason` (Anthropic "end_turn",
  /// "stop_sequence", "pause_turn"…): a front door of the backend's protocol gets it back.
  std::string native_finish_reason;
  std::string stop_sequence; ///< Anthropic: the stop sequence that ended the answer.
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
  std::string finish_reason;        ///< Empty until the last chunk of this choice.
  std::string native_finish_reason; ///< As in Choice.
  std::string stop_sequence;        ///< As in Choice.
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
