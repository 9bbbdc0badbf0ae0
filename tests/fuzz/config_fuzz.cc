// libFuzzer target for the config loader: any input must either parse or throw ConfigError.
// Anything else escaping (another exception type, a crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cordon/config/config.h"

namespace {

std::optional<std::string> noEnv(const char* /*name*/) {
  return std::nullopt;
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const cordon::config::ConfigConstSharedPtr config =
        cordon::config::parseConfig(text, "fuzz.yaml", noEnv);
    // Touch the lookups so they run on every config that loads.
    for (const auto& model : config->models) {
      if (config->findModel(model.name) == nullptr) {
        __builtin_trap();
      }
    }
    for (const auto& backend : config->backends) {
      (void)config->boundaryOf(backend);
    }
  } catch (const cordon::config::ConfigError&) {
  }
  return 0;
}
