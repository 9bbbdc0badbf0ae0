// The PERSON / LOCATION gazetteer: given names and place names, generated at build time from the
// Debian package miscfiles by scripts/gen_gazetteer.py (the data is never in the repository).
#pragma once

#include <span>
#include <string_view>

namespace cordon::classify {

struct GazetteerEntry {
  std::string_view name;
  /// A given name that is also an ordinary word (Mark, Will, Dawn), or a place that is also a
  /// given name (Jordan, Victoria): such an entry alone is weak evidence.
  bool ambiguous = false;
};

/// Given names, sorted by their UTF-8 bytes.
std::span<const GazetteerEntry> givenNames() noexcept;

/// Countries, capitals, US states, Canadian provinces and large cities, sorted by UTF-8 bytes.
std::span<const GazetteerEntry> placeNames() noexcept;

} // namespace cordon::classify
