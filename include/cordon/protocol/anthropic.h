// Anthropic Messages wire format <-> the canonical types (chat.h). Pure functions over bytes,
// like openai.h: the gateway decodes a front door into ChatRequest once and encodes for whichever
// backend the policy picks. Translation rules between the two protocols: docs/backends.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/common/result.h"
#include "cordon/protocol/chat.h"
#include "cordon/protocol/sse.h"

namespace cordon::protocol {

/// The Anthropic API version cordon speaks to backends (the `anthropic-version` header).
inline constexpr std::string_view kAnthropicVersion = "2023-06-01";

/// Decodes a POST /v1/messages body into a request with origin Wire::Anthropic: `system`
/// (string or text blocks) becomes leading System messages; user/assistant messages with string
/// or block content; `tool_use` blocks become the assistant message's tool_calls (arguments =
/// the `input` object's exact JSON text); each `tool_result` block becomes a Tool message (in
/// block order, before the user message's remaining text); images (base64 -> data: URI, url)
/// become ImageUrl parts; `tools` (input_schema -> parameters), `tool_choice`, `stop_sequences`,
/// `max_tokens` (required), `temperature`, `top_p`, `stream` (which also sets
/// stream_include_usage: an Anthropic stream always reports usage). A user turn's remaining
/// text/image blocks after its tool results become one User message with content_is_string
/// false. Block members cordon does not read (cache_control, citations, an explicit
/// `"is_error":false`) are kept in `extra` (ContentPart, ToolCall, Message, ToolDefinition);
/// other top-level members, and `thinking` when it is {"type":"disabled"}, are passthrough.
/// Fails with Errc::BadRequest on malformed JSON, invalid UTF-8, wrong types, a missing or empty
/// `messages`, a missing `max_tokens`, and on what cordon cannot inspect and therefore refuses
/// (block types other than text, image, tool_use, tool_result; image sources other than base64
/// and url; server tools; `thinking` enabled) and on members a message may not have: the detail
/// names the field ("messages[1].content[0].type: 'document' blocks are not supported here";
/// a block type is named only when it is one of Anthropic's) and never echoes a value from the
/// body.
Result<ChatRequest> decodeAnthropicMessagesRequest(std::string_view body);

/// Encodes a request for an Anthropic backend, `model` replaced by `upstream_model`. Leading
/// System/Developer messages become `system` (a string when there is one, sent as a string
/// without extra members; else text blocks, one per part: joining would invent a separator);
/// consecutive Tool messages become one user message of tool_result blocks, joined by a
/// directly following User message in block form; assistant tool_calls become tool_use blocks
/// after the text (arguments that are not a JSON object are wrapped as {"arguments": TEXT},
/// never dropped); empty text blocks are left out (Anthropic refuses them); `max_tokens` defaults
/// to `default_max_tokens` when the request has none (an OpenAI client need not send it).
/// Passthrough fields of an Anthropic request are written back unchanged; those of an OpenAI
/// request are mapped by the rules of translate.h (call checkTranslatable() first: this function
/// assumes it passed and skips what it would have refused).
std::string encodeAnthropicMessagesRequest(const ChatRequest& request,
                                           std::string_view upstream_model,
                                           std::int64_t default_max_tokens);

/// Decodes a non-streamed Messages answer (`{"type":"message",...}`) into one Choice: text
/// blocks joined into one text part, tool_use blocks into tool_calls, stop_reason mapped to
/// finish_reason (end_turn/stop_sequence/pause_turn -> stop, max_tokens -> length, tool_use ->
/// tool_calls, refusal -> content_filter) with the original kept in native_finish_reason, usage
/// (input = input + cache creation + cache read tokens; the exact `usage` object is also kept as
/// a passthrough field for an Anthropic client). Errc::UpstreamFailed when the body is not an
/// object with a `content` array.
Result<ChatResponse> decodeAnthropicMessagesResponse(std::string_view body);

/// Encodes a canonical answer as an Anthropic Messages answer (the first choice; id and model
/// kept, "msg_cordon" only when the id is empty). finish_reason maps back (native_finish_reason
/// wins when set); a refusal is the text when there is no other; `usage` is the passthrough
/// field of that name when decodeAnthropicMessagesResponse kept one, else built from `usage`.
std::string encodeAnthropicMessagesResponse(const ChatResponse& response);

/// Turns the events of a streamed Messages answer from a backend into canonical chunks:
/// message_start -> a chunk with role Assistant (id, model); text_delta -> content;
/// content_block_start of a tool_use -> a ToolCallDelta with id and name (index = the tool's
/// ordinal among the message's tool_use blocks); input_json_delta -> arguments;
/// message_delta -> a chunk with finish_reason (native_finish_reason, stop_sequence) and then a
/// chunk with no choices and the usage (input from message_start, unless message_delta brings
/// a cumulative count; cache reads and writes included), as OpenAI streams usage;
/// message_stop -> finished(). `ping` and event types newer than cordon are ignored.
/// An `error` event, an event out of the spec's order (a delta before its block start, anything
/// but ping after message_stop, a second message_start), thinking blocks (cordon never asks for
/// them) or malformed JSON -> Errc::UpstreamFailed with a detail that names the event type (and
/// the error type of an `error` event, when it is one of Anthropic's), never its data.
class AnthropicStreamDecoder {
public:
  Result<void> feed(const SseEvent& event, std::vector<ChatChunk>& out);
  /// True once message_stop has arrived.
  bool finished() const noexcept { return finished_; }

private:
  struct Block {
    bool open = false;
    bool tool = false;
    bool ignored = false; ///< A block type newer than cordon: its deltas are skipped.
    std::int64_t tool_index = 0;
  };
  std::string id_;
  std::string model_;
  std::int64_t input_tokens_ = 0;
  std::int64_t tools_seen_ = 0;
  std::vector<Block> blocks_;
  bool started_ = false;
  bool finished_ = false;
};

/// Turns canonical chunks (from an OpenAI backend, or restored ones) into the event sequence of
/// an Anthropic stream for a client: message_start (on the first chunk), content_block_start /
/// content_block_delta / content_block_stop for text and for each tool call (a new tool call
/// index closes the open block; empty text is skipped; a refusal is streamed as text; a tool
/// call without an id gets "toolu_cordon_<index>"), then on finish() message_delta
/// (stop_reason, usage) and message_stop. Only the choice with index 0 is encoded. message_start
/// carries the input tokens of the first chunk's usage (0 when it has none, as OpenAI backends
/// send usage last); message_delta then adds `input_tokens` when the final count differs.
class AnthropicStreamEncoder {
public:
  void encode(const ChatChunk& chunk, std::vector<SseEvent>& out);
  /// Closes the open block and writes message_delta (stop_reason, the usage of the last chunk
  /// that carried one, else zeros) and message_stop. Idempotent.
  void finish(std::vector<SseEvent>& out);
  bool started() const noexcept { return started_; }
  /// An `error` event in Anthropic's form (for a stream that breaks after it started).
  static SseEvent errorEvent(Errc code, std::string_view message);

private:
  // Private members are the implementation's to change.
  enum class Open : std::uint8_t { None, Text, Tool };
  void start(const ChatChunk& chunk, std::vector<SseEvent>& out);
  void closeBlock(std::vector<SseEvent>& out);
  void text(std::string_view text, std::vector<SseEvent>& out);
  void toolCall(const ToolCallDelta& call, std::vector<SseEvent>& out);

  std::string id_;
  std::string model_;
  std::string stop_reason_;
  std::string stop_sequence_;
  std::optional<Usage> usage_;
  std::int64_t start_input_tokens_ = 0; ///< What message_start reported.
  std::int64_t next_block_ = 0;
  std::int64_t open_tool_ = -1;
  Open open_ = Open::None;
  bool started_ = false;
  bool finished_ = false;
};

/// The Anthropic error body: {"type":"error","error":{"type":...,"message":...}}. `type` follows
/// Anthropic: invalid_request_error (400, 405, 408, 431 and other 4xx), authentication_error
/// (401), permission_error (403), not_found_error (404), request_too_large (413, as Anthropic
/// answers it), rate_limit_error (429), api_error (5xx), overloaded_error (503).
std::string encodeAnthropicError(Errc code, std::string_view message);

/// The `message` of an error body in either protocol's form ({"error":{"message":...}} or
/// {"type":"error","error":{"message":...}}), to re-send it in the front door's form; nullopt
/// when the body is neither.
std::optional<std::string> upstreamErrorMessage(std::string_view body);

} // namespace cordon::protocol
