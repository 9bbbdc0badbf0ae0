// PERSON and LOCATION: each PERSON row matches only an anchor (a title, a capitalised word, a
// naming phrase, a closing line) and the first letter after it, each LOCATION row one place;
// refineName() (names.cc) reads the words and sets the span, so every row has Check::Name and no
// boundary.
#include <vector>

#include "classify/names.h"
#include "classify/patterns.h"

namespace cordon::classify {

std::span<const PatternSpec> namePatterns() noexcept {
  static const std::vector<PatternSpec> patterns = [] {
    const NameExpressions& e = nameExpressions();
    const auto row = [](std::string_view type, const std::string& regex) {
      return PatternSpec{.type = type,
                         .regex = regex,
                         .check = Check::Name,
                         .boundary = Boundary::None,
                         .score = 0.85F};
    };
    PatternSpec pair = row("PERSON", e.given);
    pair.extend = Extend::CapitalisedPair;
    PatternSpec title = row("PERSON", e.title);
    title.extend = Extend::TitleAnchor;
    PatternSpec closing = row("PERSON", e.closing);
    closing.extend = Extend::ClosingAnchor;
    std::vector<PatternSpec> rows{title, pair, row("PERSON", e.trigger), closing};
    for (const std::string& place : e.places) {
      rows.push_back(row("LOCATION", place));
    }
    return rows;
  }();
  return patterns;
}

} // namespace cordon::classify
