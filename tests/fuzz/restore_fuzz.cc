// Pseudonymizes arbitrary bytes with findings laid out as the first bytes say, then checks that
// restoring the result gives the text back (each value as its entry's original), and that
// StreamRestorer over three fragments and over single bytes gives exactly what restore() gives,
// for the pseudonymized text and for the raw input (user-typed placeholders included), while
// never holding back more than the longest accepted spelling.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/classify/classifier.h"
#include "cordon/pseudonymize/pseudonymizer.h"

namespace {

using cordon::pseudonymize::Context;
using cordon::pseudonymize::PlaceholderMap;
using cordon::pseudonymize::Pseudonymizer;
using cordon::pseudonymize::StreamRestorer;

constexpr std::array<std::string_view, 6> kTypes{
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "ID_2", "P", "PROJECT_CODENAME"};

bool all(std::string_view /*type*/) {
  return true;
}

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

std::string streamed(const PlaceholderMap& map, Context context, std::string_view text,
                     std::size_t first, std::size_t second, std::size_t longest) {
  StreamRestorer restorer(map, context);
  std::string out;
  restorer.feed(text.substr(0, first), out);
  check(restorer.held() <= longest);
  restorer.feed(text.substr(first, second - first), out);
  check(restorer.held() <= longest);
  restorer.feed(text.substr(second), out);
  check(restorer.held() <= longest);
  restorer.finish(out);
  check(restorer.held() == 0);
  return out;
}

std::string byteByByte(const PlaceholderMap& map, Context context, std::string_view text) {
  StreamRestorer restorer(map, context);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    restorer.feed(text.substr(i, 1), out);
  }
  restorer.finish(out);
  return out;
}

void checkStreams(const PlaceholderMap& map, std::string_view text, std::size_t a, std::size_t b,
                  std::size_t longest) {
  const std::size_t first = std::min(a, b) % (text.size() + 1);
  const std::size_t second = std::max(first, std::max(a, b) % (text.size() + 1));
  for (const Context context : {Context::Text, Context::JsonString}) {
    const std::string whole = cordon::pseudonymize::restore(text, map, context);
    check(streamed(map, context, text, first, second, longest) == whole);
    check(byteByByte(map, context, text) == whole);
  }
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kHeader = 4;
  if (size < kHeader) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + kHeader, size - kHeader);
  // Findings: every `stride` bytes, `width` bytes wide, types in turn from kTypes.
  const std::size_t width = 1 + data[0] % 8;
  const std::size_t stride = width + data[1] % 8;
  std::vector<cordon::classify::Finding> findings;
  for (std::size_t pos = data[0] / 8 % 4, n = 0; pos + width <= text.size(); pos += stride, ++n) {
    findings.push_back({kTypes[(n + data[1] / 8) % kTypes.size()], static_cast<std::uint32_t>(pos),
                        static_cast<std::uint32_t>(pos + width), 1.0F});
  }
  Pseudonymizer pseudonymizer;
  pseudonymizer.reserve(text);
  const std::string pseudonymized = pseudonymizer.apply(text, findings, all);
  const PlaceholderMap map = std::move(pseudonymizer).take();

  // Round trip: the user's bytes between findings come back as they were, each finding as the
  // original of the placeholder that replaced it.
  std::string expected;
  std::size_t in = 0;
  std::size_t at = 0;
  for (const cordon::classify::Finding& finding : findings) {
    expected.append(text.substr(in, finding.start - in));
    at += finding.start - in;
    const std::size_t close = pseudonymized.find('>', at);
    check(close != std::string::npos);
    const std::string* original =
        map.find(std::string_view(pseudonymized).substr(at, close + 1 - at));
    check(original != nullptr);
    expected.append(*original);
    at = close + 1;
    in = finding.end;
  }
  expected.append(text.substr(in));
  check(cordon::pseudonymize::restore(pseudonymized, map) == expected);

  std::size_t longest = 0;
  for (const PlaceholderMap::Entry& entry : map.entries()) {
    longest = std::max(longest, entry.placeholder.size() + 4 - 1); // two pads each side, no '>'
  }
  checkStreams(map, pseudonymized, data[2], data[3], longest);
  checkStreams(map, text, data[3], data[2], longest);
  return 0;
}
