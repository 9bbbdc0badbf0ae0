// PERSON and LOCATION: each row matches only an anchor (a title, a given name, a naming phrase, a
// closing line, a place preposition with a place) and the first letter after it; refineName()
// (names.cc) reads the words and sets the span, so every row has Check::Name and no boundary.
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
    return std::vector<PatternSpec>{
        row("PERSON", e.title),   row("PERSON", e.given),   row("PERSON", e.trigger),
        row("PERSON", e.closing), row("LOCATION", e.place),
    };
  }();
  return patterns;
}

} // namespace cordon::classify
