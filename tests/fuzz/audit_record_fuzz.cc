// parseStored() on arbitrary bytes must never crash, and whatever it accepts must write back
// (stored()) to text that parses to the same record and writes back to the same bytes: verify
// recomputes hashes from parsed records, so a lossy round trip would report edits that never
// happened. The raw input is also written as a string field, which must survive the same trip
// (the escaping of control characters, quotes and invalid UTF-8).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cordon/audit/record.h"

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void roundTrip(const cordon::audit::Record& record) {
  const std::string text = cordon::audit::stored(record);
  auto again = cordon::audit::parseStored(text);
  check(static_cast<bool>(again));
  check(cordon::audit::stored(*again) == text);
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = cordon::audit::parseStored(input);
  if (parsed) {
    roundTrip(*parsed);
    auto again = cordon::audit::parseStored(cordon::audit::stored(*parsed));
    check(again && *again == *parsed);
  }

  cordon::audit::Record record;
  record.tenant = std::string(input);
  record.entities[std::string(input)] = static_cast<std::uint32_t>(size);
  record.attempts.push_back({std::string(input), "m", 200, 1, std::string(input)});
  cordon::audit::Chain("fuzz").link(record);
  roundTrip(record);
  return 0;
}
