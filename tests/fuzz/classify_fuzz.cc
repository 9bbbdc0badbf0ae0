// Fuzzes Classifier::scan on arbitrary bytes: it must never crash, and findings must be sorted,
// non-overlapping, inside the input and scored in (0, 1].
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "cordon/classify/classifier.h"

namespace {

struct Engine {
  cordon::classify::ClassifierConstSharedPtr classifier;
  cordon::classify::ScratchPtr scratch;
};

Engine& engine() {
  static Engine e = [] {
    cordon::config::CustomEntity words;
    words.policy.type = "CODENAME";
    words.words = {"apollo", "blue falcon"};
    cordon::config::CustomEntity regex;
    regex.policy.type = "EMPLOYEE_ID";
    regex.regex = "EMP-[0-9]{4,8}";
    auto built = cordon::classify::Classifier::build({words, regex});
    if (!built) {
      std::abort();
    }
    Engine out{*built, nullptr};
    out.scratch = out.classifier->makeScratch();
    return out;
  }();
  return e;
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Engine& e = engine();
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<cordon::classify::Finding> out;
  if (!e.classifier->scan(text, *e.scratch, out)) {
    std::abort();
  }
  std::uint32_t last_end = 0;
  for (const auto& f : out) {
    if (f.start < last_end || f.end <= f.start || f.end > size || !(f.score > 0.0F) ||
        f.score > 1.0F) {
      std::abort();
    }
    last_end = f.end;
  }
  return 0;
}
