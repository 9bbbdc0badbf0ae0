// Builders shared by the pseudonymize tests: findings located by value (as the classifier would
// report them), maps made through the public API only, and an independent reference restore.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cordon/classify/classifier.h"
#include "cordon/pseudonymize/pseudonymizer.h"

namespace cordon::pseudonymize::testing {

struct Value {
  std::string_view type;
  std::string_view value;
};

/// Every occurrence of every value in `text`, sorted by start, overlaps resolved longest first
/// (what the classifier guarantees).
inline std::vector<classify::Finding> findingsFor(std::string_view text,
                                                  const std::vector<Value>& values) {
  std::vector<classify::Finding> all;
  for (const Value& value : values) {
    for (std::size_t pos = text.find(value.value); pos != std::string_view::npos;
         pos = text.find(value.value, pos + 1)) {
      all.push_back({value.type, static_cast<std::uint32_t>(pos),
                     static_cast<std::uint32_t>(pos + value.value.size()), 1.0F});
    }
  }
  std::sort(all.begin(), all.end(), [](const classify::Finding& a, const classify::Finding& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  std::vector<classify::Finding> chosen;
  for (const classify::Finding& finding : all) {
    if (chosen.empty() || finding.start >= chosen.back().end) {
      chosen.push_back(finding);
    }
  }
  return chosen;
}

inline bool replaceAll(std::string_view /*type*/) {
  return true;
}

/// A map holding `values` in order (placeholders numbered as they come), after reserving
/// `reserved` (text the user wrote).
inline PlaceholderMap makeMap(const std::vector<Value>& values, std::string_view reserved = {}) {
  Pseudonymizer pseudonymizer;
  pseudonymizer.reserve(reserved);
  for (const Value& value : values) {
    const classify::Finding finding{value.type, 0, static_cast<std::uint32_t>(value.value.size()),
                                    1.0F};
    pseudonymizer.apply(value.value, std::span(&finding, 1), replaceAll);
  }
  return std::move(pseudonymizer).take();
}

/// The tolerance rule written as a regex, for comparison with the hand-written scanner: every
/// match whose name, upper-cased, is a placeholder of the map is replaced.
inline std::string referenceRestore(std::string_view text, const PlaceholderMap& map,
                                    Context context) {
  static const std::regex spelling("<[ \\t]{0,2}([A-Za-z0-9_]+)[ \\t]{0,2}>");
  std::string out;
  const std::string subject(text);
  std::size_t copied = 0;
  for (auto it = std::sregex_iterator(subject.begin(), subject.end(), spelling);
       it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1].str();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
    const std::string* original = map.find("<" + name + ">");
    if (original == nullptr) {
      continue;
    }
    const auto at = static_cast<std::size_t>(it->position());
    out.append(subject, copied, at - copied);
    if (context == Context::Text) {
      out.append(*original);
    } else {
      for (const char c : *original) {
        switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            constexpr std::string_view kHex = "0123456789abcdef";
            out += "\\u00";
            out += kHex[static_cast<unsigned char>(c) >> 4U];
            out += kHex[static_cast<unsigned char>(c) & 0xFU];
          } else {
            out += c;
          }
        }
      }
    }
    copied = at + static_cast<std::size_t>(it->length());
  }
  out.append(subject, copied);
  return out;
}

} // namespace cordon::pseudonymize::testing
