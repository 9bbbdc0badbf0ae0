// Putting the original values back into an answer to a pseudonymized request, on the canonical
// answer types: message text, refusals and tool-call arguments (as JSON strings), whole or
// streamed chunk by chunk. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cordon/protocol/chat.h"
#include "cordon/pseudonymize/pseudonymizer.h"

namespace cordon::gateway {

/// Restores every text of a whole answer in place.
void restoreAnswer(protocol::ChatResponse& answer, const pseudonymize::PlaceholderMap& map);

/// Restores a streamed answer chunk by chunk. Each choice's content, refusal and each tool call's
/// arguments is its own stream (a placeholder may be split over any number of chunks of one of
/// them); what a stream holds back is released into the chunk that finishes its choice, or by
/// flush() when the stream ends without one.
class ChunkRestorer {
public:
  explicit ChunkRestorer(const pseudonymize::PlaceholderMap& map) : map_(&map) {}

  /// Rewrites `chunk`'s deltas in place.
  void restore(protocol::ChatChunk& chunk);

  /// What is still held back, as one chunk (with the last chunk's id, model and creation time);
  /// nothing when nothing is held.
  std::optional<protocol::ChatChunk> flush();

private:
  struct ToolStream {
    std::int64_t index = 0;
    pseudonymize::StreamRestorer arguments;
  };
  struct ChoiceStreams {
    std::int64_t index = 0;
    pseudonymize::StreamRestorer content;
    pseudonymize::StreamRestorer refusal;
    std::vector<ToolStream> tools;
  };

  ChoiceStreams& streamsOf(std::int64_t choice);
  pseudonymize::StreamRestorer& toolStreamOf(ChoiceStreams& streams, std::int64_t tool);
  /// Releases everything `streams` holds into `delta`.
  static void finishInto(ChoiceStreams& streams, protocol::ChoiceDelta& delta);

  const pseudonymize::PlaceholderMap* map_;
  std::vector<ChoiceStreams> choices_;
  std::string scratch_;
  protocol::ChatChunk last_header_;
};

} // namespace cordon::gateway
