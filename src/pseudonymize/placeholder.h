// The placeholder grammar shared by reserve() (which must see every spelling restore accepts)
// and the restore scanner, and the map's lookup structure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/pseudonymize/pseudonymizer.h"

namespace cordon::pseudonymize {

/// Spaces or tabs accepted right after '<' and right before '>'. Bounded so that the longest
/// accepted spelling, and with it what a StreamRestorer may hold back, is bounded too.
inline constexpr std::size_t kMaxPads = 2;

constexpr bool isPad(char c) noexcept {
  return c == ' ' || c == '\t';
}

constexpr bool isNameChar(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

constexpr char upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

/// A placeholder spelling in the tolerant grammar: '<' pad{0,kMaxPads} NAME pad{0,kMaxPads} '>'.
struct Spelling {
  std::size_t end = 0;   ///< One past the '>' (0: no spelling at the given position).
  std::string_view name; ///< NAME as written (any case).
};

/// The spelling starting at text[pos] == '<', if any; otherwise end == 0 and `end_of_scan` says
/// where scanning stopped (the first byte that broke the grammar), so that a caller looking for
/// the next '<' never scans a byte twice.
Spelling spellingAt(std::string_view text, std::size_t pos, std::size_t& end_of_scan) noexcept;

/// JSON string escaping for a value restored inside a JSON string: quote, backslash and control
/// characters; everything else (UTF-8 included) is copied.
void appendJsonEscaped(std::string_view value, std::string& out);

struct PlaceholderMap::Index {
  struct Name {
    std::string name;        ///< "PERSON_1": the placeholder without its brackets.
    std::uint32_t entry = 0; ///< Into PlaceholderMap::entries_.
  };
  /// Sorted by name, so that the names sharing a prefix form one range.
  std::vector<Name> names;
  /// entries_[i].original escaped for Context::JsonString, made once per request.
  std::vector<std::string> json_originals;
};

} // namespace cordon::pseudonymize
