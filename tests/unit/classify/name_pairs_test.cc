// findCapitalisedPairs against Hyperscan running the row it replaces (NameExpressions::given):
// the same (leftmost start, end) pairs, each end once.
#include <set>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "classify/names.h"
#include "hs_oracle.h"

namespace cordon::classify {
namespace {

std::set<Span> pairSpans(std::string_view text) {
  std::vector<NameAnchor> anchors;
  findCapitalisedPairs(text, anchors);
  std::set<Span> spans;
  for (const NameAnchor& a : anchors) {
    EXPECT_TRUE(spans.emplace(a.start, a.end).second) << "end reported twice: " << a.end;
  }
  return spans;
}

constexpr std::string_view kTexts[] = {
    "",
    "A",
    "Anna",
    "Anna Schmidt met Jean-Luc Picard and Kate's friend.",
    "Ludwig van Beethoven, Leonardo da Vinci, Vincent Van Gogh, Anna della Rosa, Abu al Hasan",
    "Ludwig vanBeethoven, Ludwig  van Beethoven, ludwig van Beethoven, Ludwig van  Beethoven",
    "Émile Zola, Ölaf Øster, Łukasz Żółw, Anna \xC3\x97x, Anna \xC3\x9F, Anna \xC4",
    "McDonald Smith, O'Brien Jones, Mary-Ann Lee, A-Bc Def, Ab-Cd Ef, Ab-cd Ef, -Ab Cd",
    "Smith\xE2\x80\x99s car, Smith\xE2\x80\x99, Smith\xE2\x80\x99t, Jones's, Jones'S, JONES's",
    "THE END Of It. The Quarterly Report Shows. Der Bericht in München. xAnna Bob",
    "Anna Maria Schmidt-Meyer von Habsburg zu Lothringen Ibn Saud bin Laden el Greco",
    "  Anna   B\nC Dd\tEe Ff 's Gg ’s Hh-Ii 's",
    "Aa Bb Cc Dd Ee Ff Gg Hh Ii Jj Kk Ll Mm Nn Oo Pp Qq Rr Ss Tt Uu Vv Ww Xx Yy Zz Aa",
};

TEST(NamePairsTest, ReportsWhatHyperscanReports) {
  const std::string& regex = nameExpressions().given;
  for (const std::string_view text : kTexts) {
    EXPECT_EQ(pairSpans(text), hyperscanSpans(regex, false, text)) << '"' << text << '"';
  }
}

TEST(NamePairsTest, EveryCutOfALongTextToo) {
  // The vector loop takes sixteen bytes at a time: matches across and at every cut must agree.
  const std::string_view text = kTexts[4];
  const std::string& regex = nameExpressions().given;
  for (std::size_t from = 0; from < 40; ++from) {
    const std::string_view part = text.substr(from);
    EXPECT_EQ(pairSpans(part), hyperscanSpans(regex, false, part)) << from;
  }
}

} // namespace
} // namespace cordon::classify
