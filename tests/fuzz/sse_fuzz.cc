// Feeds arbitrary bytes to the SSE parser in two pieces, split where the first byte says, and
// checks the events and the error match a single-piece parse.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "cordon/protocol/sse.h"

namespace {

struct Outcome {
  std::vector<cordon::protocol::SseEvent> events;
  bool failed = false;
};

Outcome parse(std::string_view first, std::string_view second) {
  cordon::protocol::SseParser parser(256);
  Outcome outcome;
  outcome.failed = !parser.feed(first, outcome.events) || !parser.feed(second, outcome.events);
  return outcome;
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = stream.empty() ? 0 : data[0] % (stream.size() + 1);
  const Outcome split_outcome = parse(stream.substr(0, split), stream.substr(split));
  const Outcome whole_outcome = parse(stream, {});
  if (split_outcome.failed != whole_outcome.failed ||
      split_outcome.events.size() != whole_outcome.events.size()) {
    std::abort();
  }
  for (std::size_t i = 0; i < split_outcome.events.size(); ++i) {
    if (split_outcome.events[i].event != whole_outcome.events[i].event ||
        split_outcome.events[i].data != whole_outcome.events[i].data) {
      std::abort();
    }
  }
  return 0;
}
