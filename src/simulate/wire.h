// What the simulator's wire formats share, kept apart from the transport in simulator.cc: the
// request bodies are read and the answers written here, the serving and fault timing there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "cordon/common/result.h"
#include "simulate/simulator.h"

namespace cordon::simulate::wire {

/// Splits text into pieces of one word plus the whitespace after it (leading whitespace stays with
/// the first piece), so the pieces concatenate back to the text byte for byte.
std::vector<std::string_view> splitWords(std::string_view text);

/// Splits text into pieces of `bytes` bytes, each extended to the end of the UTF-8 character it
/// cuts (so every piece is valid UTF-8 when the text is).
std::vector<std::string_view> splitBytes(std::string_view text, std::size_t bytes);

/// Words in `text`: the simulator's stand-in for tokens.
std::uint64_t countWords(std::string_view text);

/// The pieces a streamed text goes out in, as the options ask (words or --chunk-bytes).
std::vector<std::string_view> streamPieces(const Options& options, std::string_view text);

/// A streamed answer as encoded SSE events, split where the faults of Options::stream_fault cut
/// or insert: `head` opens the answer, `pieces` carry its content (paced by token_delay), `tail`
/// closes it. The fault events are this protocol's versions of the broken events.
struct StreamPlan {
  std::vector<std::string> head;
  std::vector<std::string> pieces;
  std::vector<std::string> tail;
  std::string garbage;     ///< An event whose data is not JSON.
  std::string error_event; ///< The protocol's in-stream error.
  /// An event out of the protocol's order; empty when the protocol has no order to break (the
  /// garbage event stands in).
  std::string out_of_order;
};

/// The events to send for `plan` under `fault`, in order; `paced[i]` says whether event i waits
/// token_delay first.
struct StreamEvents {
  std::vector<std::string> events;
  std::vector<bool> paced;
};
StreamEvents arrange(const StreamPlan& plan, StreamFault fault);

// Anthropic Messages API.

struct ToolUse {
  std::string name;
  boost::json::object input;
};

/// What the simulated model answers to one Messages request.
struct MessagesAnswer {
  std::string model;
  bool stream = false;
  std::string text;
  std::optional<ToolUse> tool_use;
  std::uint64_t input_tokens = 0;
  std::uint64_t output_tokens = 0;
};

/// The Anthropic error `type` for an HTTP status.
std::string_view anthropicErrorType(unsigned status);
/// `{"type":"error","error":{"type":...,"message":...}}`.
std::string anthropicErrorBody(std::string_view type, std::string_view message);

/// Reads a POST /v1/messages body; Errc::BadRequest with the reason for one the API refuses.
Result<MessagesAnswer> messagesAnswer(const Options& options, const boost::json::object& body);
/// The non-streamed answer (`{"type":"message",...}`).
std::string messagesBody(const MessagesAnswer& answer, std::string_view id);
/// The streamed answer's events.
StreamPlan messagesStream(const Options& options, const MessagesAnswer& answer,
                          std::string_view id);

// OpenAI embeddings.

/// The default length of a simulated embedding, and the most `dimensions` may ask for.
inline constexpr std::size_t kEmbeddingDimensions = 8;
inline constexpr std::size_t kMaxEmbeddingDimensions = 4096;

/// Answers a POST /v1/embeddings body: one deterministic unit vector per input, derived from the
/// input alone (equal inputs get equal vectors whatever else the request holds, apart from
/// `dimensions`). Errc::BadRequest for a body the API refuses.
Result<std::string> embeddingsBody(const boost::json::object& body);

} // namespace cordon::simulate::wire
