// Turning a backend's streamed answer into the client's: the same protocol passes events through
// untouched (the fast path); otherwise events are decoded into canonical chunks, restored when
// the request was pseudonymized, and encoded in the front door's protocol. The events that end
// the client's stream are held back until the gateway has committed the audit record (finish()).
// No I/O.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "cordon/common/result.h"
#include "cordon/protocol/anthropic.h"
#include "cordon/protocol/chat.h"
#include "cordon/protocol/sse.h"
#include "gateway/answer_restore.h"
#include "gateway/guardrails.h"

namespace cordon::gateway {

class StreamTranscoder {
public:
  /// `placeholders` (may be null) restores pseudonymized values; `client_wants_usage` is an
  /// OpenAI client's stream_options.include_usage (a usage chunk is sent only when asked).
  StreamTranscoder(protocol::Wire backend, protocol::Wire front,
                   const pseudonymize::PlaceholderMap* placeholders, bool client_wants_usage);

  /// Screens the answer with the request's answer guardrails (`watch`, `fired` outlive the
  /// transcoder): entities the request did not carry are held back, redacted or refused however
  /// the stream splits them; JSON validity is judged when the answer is complete. Events are then
  /// always decoded.
  void watch(const AnswerWatch& watch, guard::StreamScreen::Scan scan, FiredGuardrails& fired);

  /// Whether each event costs a decode and an encode (the gateway then paces its writes).
  bool transcodes() const noexcept { return !passthrough_; }

  /// Converts `events` from the backend into client events appended to `out`. The backend's
  /// end-of-answer marker ("[DONE]", message_stop) is not passed on: it sets complete() and
  /// finish() writes the client's end. Errc::UpstreamFailed when an event is malformed, out of
  /// the protocol's order, or an error event; events before it are already in `out`.
  Result<void> convert(std::vector<protocol::SseEvent>& events,
                       std::vector<protocol::SseEvent>& out);

  /// True once the backend's end-of-answer marker has arrived.
  bool complete() const noexcept { return complete_; }

  /// The events that end the client's stream after a complete answer. Fails (nothing appended)
  /// when an answer guardrail refuses the answer at its end (json_output); call fail() then.
  Result<void> finish(std::vector<protocol::SseEvent>& out);

  /// For a stream that breaks after it started: what the restorer still holds (the client gets
  /// the answer's text before the error, never half a placeholder), then an error event in the
  /// client's protocol.
  void fail(const Error& error, std::vector<protocol::SseEvent>& out);

  /// Token counts seen so far (for the audit).
  const std::optional<protocol::Usage>& usage() const noexcept { return usage_; }

private:
  Result<void> decodeInto(protocol::SseEvent& event, std::vector<protocol::ChatChunk>& chunks);
  Result<void> emit(protocol::ChatChunk& chunk, std::vector<protocol::SseEvent>& out);
  Result<void> screen(protocol::ChatChunk& chunk);
  /// Releases what the screens still hold, as a chunk of its own.
  Result<void> flushScreens(std::vector<protocol::SseEvent>& out);
  void noteUsage(const protocol::SseEvent& event);

  protocol::Wire backend_;
  protocol::Wire front_;
  bool passthrough_;
  bool client_wants_usage_;
  std::optional<ChunkRestorer> restorer_;
  protocol::AnthropicStreamDecoder anthropic_in_;
  protocol::AnthropicStreamEncoder anthropic_out_;
  std::optional<protocol::Usage> usage_;
  std::vector<protocol::ChatChunk> chunks_;
  bool complete_ = false;

  const AnswerWatch* watch_ = nullptr;
  guard::StreamScreen::Scan scan_;
  FiredGuardrails* fired_ = nullptr;
  std::map<std::int64_t, guard::StreamScreen> screens_; ///< Per choice.
  std::string answer_text_;                             ///< For json_output.
  protocol::ChatChunk last_header_;
};

} // namespace cordon::gateway
