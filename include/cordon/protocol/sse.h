// Server-sent events (the text/event-stream framing both OpenAI and Anthropic stream in).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/common/result.h"

namespace cordon::protocol {

struct SseEvent {
  std::string event; ///< The `event:` field; empty when absent.
  std::string data;  ///< `data:` lines joined with '\n'.
};

/// Incremental SSE parser: bytes go in as they arrive from the network, in pieces of any size,
/// and whole events come out. Handles \n, \r\n and \r line ends, comments (": ..."), multi-line
/// data, a leading BOM and lines split across feeds. Bounded: a single event larger than
/// `max_event_bytes` is an error rather than unbounded buffering.
class SseParser {
public:
  explicit SseParser(std::size_t max_event_bytes = std::size_t{4} * 1024U * 1024U);

  /// Appends the complete events found so far to `out`. Errc::UpstreamFailed when an event grows
  /// past the bound.
  Result<void> feed(std::string_view bytes, std::vector<SseEvent>& out);

  /// True when bytes of an unfinished event are buffered (the stream ended mid-event if so).
  bool hasPartialEvent() const noexcept;

private:
  void processLine(std::string_view line, std::vector<SseEvent>& out);

  std::size_t max_event_bytes_;
  std::string line_;
  SseEvent pending_;
  bool pending_has_data_ = false;
  bool at_start_ = true;
  bool last_was_cr_ = false;
  bool failed_ = false;         ///< An event outgrew the bound; every later feed fails too.
  std::size_t bom_matched_ = 0; ///< Bytes of a leading UTF-8 BOM seen so far (at_start_ only).
};

/// Serializes one event ("event: X\n" when set, one "data: " line per data line, then "\n").
std::string encodeSseEvent(const SseEvent& event);

} // namespace cordon::protocol
