// Fuzzes the guardrail library on arbitrary bytes: assessInjection, stripHiddenText and redact
// must never crash and must keep their contracts (score in [0, 1], spans inside the text,
// stripping never grows the text and is idempotent), and a StreamScreen fed the input in
// input-chosen pieces must release exactly the input when its scan finds nothing, and the input
// with every "@@" redacted when its scan reports those.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/guard/guard.h"

namespace {

using cordon::guard::Span;

/// A trivial detector: every "@@" is a finding.
cordon::Result<std::vector<cordon::classify::Finding>> atAt(std::string_view text) {
  std::vector<cordon::classify::Finding> out;
  std::size_t pos = text.find("@@");
  while (pos != std::string_view::npos) {
    out.push_back({"AT", static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(pos + 2), 1});
    pos = text.find("@@", pos + 2);
  }
  return out;
}

std::string redactAtAt(std::string_view text) {
  std::string out;
  std::size_t next = 0;
  std::size_t pos = text.find("@@");
  while (pos != std::string_view::npos) {
    out.append(text.substr(next, pos - next));
    out += "[REDACTED:AT]";
    next = pos + 2;
    pos = text.find("@@", next);
  }
  out.append(text.substr(next));
  return out;
}

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const cordon::guard::InjectionAssessment a = cordon::guard::assessInjection(text);
  check(a.score >= 0.0 && a.score <= 1.0);
  std::vector<Span> spans;
  for (const auto& s : a.signals) {
    check(s.span.start < s.span.end && s.span.end <= size);
    spans.push_back(s.span);
  }

  const std::string stripped = cordon::guard::stripHiddenText(text);
  check(stripped.size() <= size);
  check(cordon::guard::stripHiddenText(stripped) == stripped);

  spans.push_back({size / 2, size + 10});
  spans.push_back({size, size / 3});
  const std::string redacted = cordon::guard::redact(text, spans, "[X]");
  check(redacted.size() <= size + 3 * spans.size());

  // The first byte seeds the piece sizes and the hold-back.
  const std::size_t seed = size == 0 ? 1 : data[0];
  // At least the longest finding ("@@"): a hold-back shorter than an entity is outside the
  // contract.
  const std::size_t hold = 2 + seed % 24;
  for (const auto action :
       {cordon::config::GuardAction::Redact, cordon::config::GuardAction::Flag}) {
    cordon::guard::StreamScreen screen(atAt, {}, {}, action, hold);
    std::string out;
    std::size_t i = 0;
    std::size_t step = seed;
    while (i < size) {
      step = (step * 1103515245U + 12345U) % 2147483648U;
      const std::size_t n = 1 + step % 17;
      auto released = screen.push(text.substr(i, n));
      check(released.has_value());
      out += *released;
      i += n;
    }
    auto rest = screen.finish();
    check(rest.has_value());
    out += *rest;
    check(out ==
          (action == cordon::config::GuardAction::Redact ? redactAtAt(text) : std::string(text)));
  }
  return 0;
}
