// PERSON and LOCATION by rules: a title, a given name from the gazetteer, a naming phrase or a
// letter's closing line before a name; a place preposition before a place. Hyperscan finds the
// anchors of the naming-phrase and place rows (patterns_names.cc), the passes below those of the
// title, capitalised-pair and closing-line rows; refineName() then reads the words after an
// anchor and decides the span. The naming-phrase row stays in Hyperscan on purpose: a C++ pass
// must look behind every capital after a blank, ~45,000 instructions per 16 KB of prose against
// ~3,400 for the row in Hyperscan (callgrind, 2026-12-07).
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

/// Every match of NameExpressions::closing in `text` (a line holding a letter's closing, and a
/// capital on the next), as Hyperscan reports them, appended to `out` in start order. The row is
/// not in Hyperscan: it was over a quarter of the database's bytes (cache misses on every scan),
/// and a match is found here from the text's line breaks.
void findClosingAnchors(std::string_view text, std::vector<NameAnchor>& out);

/// The matches of the two rows found from a text's capital letters (title, capitalised pair), as
/// findTitleAnchors() and findCapitalisedPairs() report them, found in one pass: the classifier's
/// way, since each row alone would read the whole text again.
struct CapitalAnchors {
  std::vector<NameAnchor> titles;
  std::vector<NameAnchor> pairs;
  void clear() noexcept;
};
void findCapitalAnchors(std::string_view text, CapitalAnchors& out);

/// Narrows a Check::Name candidate [start, end) to the name or place it introduces (the title,
/// naming phrase, closing line or preposition left out) and checks the words around it. Which
/// rule applies follows from the candidate's first word. False when it is not a name.
bool refineName(std::string_view text, std::uint32_t& start, std::uint32_t& end) noexcept;

} // namespace cordon::classify
