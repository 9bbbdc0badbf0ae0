// PERSON and LOCATION by rules: a title, a given name from the gazetteer, a naming phrase or a
// letter's closing line before a name; a place preposition before a place. Hyperscan finds the
// anchors of the naming-phrase, closing-line and place rows (patterns_names.cc),
// findTitleAnchors() and findCapitalisedPairs() those of the title and capitalised-pair rows;
// refineName() then reads the words after an anchor and decides the span.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::classify {

/// Hyperscan expressions for the rows of namePatterns(), built from the same word lists that
/// refineName() recognises so the two cannot drift apart. Built once, on first use.
struct NameExpressions {
  std::string title;               ///< "Mr. J", "Frau M"
  std::string given;               ///< "Anna S", "Kate's"
  std::string trigger;             ///< "my name is J", "called A"
  std::string closing;             ///< "\nBest regards,\nJ"
  std::vector<std::string> places; ///< "Germany", "New York": one literal per place
};
const NameExpressions& nameExpressions();

/// One match of the capitalised-pair row (NameExpressions::given): its leftmost start and its end.
struct NameAnchor {
  std::uint32_t start = 0;
  std::uint32_t end = 0;
};

/// Every match of NameExpressions::given in `text`, as Hyperscan reports them (each end once, with
/// its leftmost start), appended to `out` in no particular order. The row is not in Hyperscan:
/// an upper-case letter after a word is common in prose, and this loop finds its matches at a
/// fraction of the cost of a start-of-match automaton over every byte.
void findCapitalisedPairs(std::string_view text, std::vector<NameAnchor>& out);

/// Every match of NameExpressions::title in `text` (a title, its dot or blanks, and the first
/// letter after them), as Hyperscan reports them, appended to `out` in start order. The row is
/// not in Hyperscan: its two-letter literals ("Mr", "Dr") cost its literal matcher a quarter of
/// its time on prose, and a title is found here from the few capital letters of a text.
void findTitleAnchors(std::string_view text, std::vector<NameAnchor>& out);

/// Narrows a Check::Name candidate [start, end) to the name or place it introduces (the title,
/// naming phrase, closing line or preposition left out) and checks the words around it. Which
/// rule applies follows from the candidate's first word. False when it is not a name.
bool refineName(std::string_view text, std::uint32_t& start, std::uint32_t& end) noexcept;

} // namespace cordon::classify
