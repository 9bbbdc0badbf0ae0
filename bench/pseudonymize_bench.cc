// Pseudonymization on the request path: placeholders for a ~2 KB chat text with 6 findings
// (5 distinct values, one of them twice), restore of a ~2 KB answer holding placeholders,
// and the same answer stream-restored in 4-byte fragments, as a model streams tokens. The first
// feed() of a stream is what the gateway adds to the time to first token.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "cordon/classify/classifier.h"
#include "cordon/pseudonymize/pseudonymizer.h"

namespace {

using cordon::classify::Finding;
using cordon::pseudonymize::Context;
using cordon::pseudonymize::PlaceholderMap;
using cordon::pseudonymize::Pseudonymizer;
using cordon::pseudonymize::StreamRestorer;

constexpr std::size_t kTargetBytes = 2048;
constexpr std::size_t kFragment = 4;

struct Value {
  std::string_view type;
  std::string_view value;
};

constexpr Value kValues[] = {{"PERSON", "Ann Lee"},
                             {"EMAIL_ADDRESS", "ann.lee@example.com"},
                             {"PHONE_NUMBER", "+44 20 7946 0958"},
                             {"PERSON", "Bob Stone"},
                             {"IBAN_CODE", "GB82 WEST 1234 5698 7654 32"},
                             {"PERSON", "Ann Lee"}};

constexpr std::string_view kFiller =
    "Please review the attached statement before Friday's meeting and list the open action "
    "items for each owner, with the amounts that are still disputed. ";

/// ~2 KB of prose with the six values spread through it, and the findings the classifier would
/// report for it.
void chatText(std::string& text, std::vector<Finding>& findings) {
  const std::size_t gap = kTargetBytes / std::size(kValues);
  for (const Value& value : kValues) {
    const std::size_t end = text.size() + gap;
    while (text.size() + kFiller.size() < end) {
      text += kFiller;
    }
    text += "Contact ";
    findings.push_back({value.type, static_cast<std::uint32_t>(text.size()),
                        static_cast<std::uint32_t>(text.size() + value.value.size()), 1.0F});
    text += value.value;
    text += ". ";
  }
}

bool all(std::string_view /*type*/) {
  return true;
}

struct Fixture {
  std::string text;
  std::vector<Finding> findings;
  std::string answer; // what a model answers: the pseudonymized text
  PlaceholderMap map;

  Fixture() {
    chatText(text, findings);
    Pseudonymizer pseudonymizer;
    pseudonymizer.reserve(text);
    answer = pseudonymizer.apply(text, findings, all);
    map = std::move(pseudonymizer).take();
  }
};

const Fixture& fixture() {
  static const Fixture built;
  return built;
}

void bmPseudonymize(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) {
    Pseudonymizer pseudonymizer;
    pseudonymizer.reserve(f.text);
    std::string out = pseudonymizer.apply(f.text, f.findings, all);
    PlaceholderMap map = std::move(pseudonymizer).take();
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(map.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(f.text.size()));
}
BENCHMARK(bmPseudonymize);

void bmRestore(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) {
    std::string out = cordon::pseudonymize::restore(f.answer, f.map);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(f.answer.size()));
}
BENCHMARK(bmRestore);

/// The answer in 4-byte fragments; the "fragment" counter is the time per feed().
void bmStreamRestore(benchmark::State& state) {
  const Fixture& f = fixture();
  const std::string_view answer = f.answer;
  const std::size_t fragments = (answer.size() + kFragment - 1) / kFragment;
  std::string out;
  out.reserve(f.text.size());
  for (auto _ : state) {
    out.clear();
    StreamRestorer restorer(f.map, Context::Text);
    for (std::size_t pos = 0; pos < answer.size(); pos += kFragment) {
      restorer.feed(answer.substr(pos, kFragment), out);
    }
    restorer.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  if (out != f.text) {
    state.SkipWithError("stream restore did not give the text back");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(answer.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(fragments));
  state.SetLabel("events = 4-byte fragments");
  state.counters["per_fragment"] = benchmark::Counter(
      static_cast<double>(fragments),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(bmStreamRestore);

/// What the gateway adds to the time to first token: a restorer for the stream and the feed()
/// of its first fragment.
void bmStreamFirstFragment(benchmark::State& state) {
  const Fixture& f = fixture();
  const std::string_view first = std::string_view(f.answer).substr(0, kFragment);
  std::string out;
  out.reserve(64);
  for (auto _ : state) {
    out.clear();
    StreamRestorer restorer(f.map, Context::Text);
    restorer.feed(first, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(bmStreamFirstFragment);

} // namespace
