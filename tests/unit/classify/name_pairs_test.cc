// findCapitalisedPairs and the find*Anchors passes against Hyperscan running the rows they replace
// (NameExpressions::given, ::title, ::closing): the same (leftmost start, end) pairs, each end
// once.
#include <array>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "classify/names.h"
#include "hs_oracle.h"

namespace cordon::classify {
namespace {

/// What one of the passes reports for `text`, each (start, end) once.
std::set<Span> anchorSpans(void (*find)(std::string_view, std::vector<NameAnchor>&),
                           std::string_view text) {
  std::vector<NameAnchor> anchors;
  find(text, anchors);
  std::set<Span> spans;
  for (const NameAnchor& a : anchors) {
    EXPECT_TRUE(spans.emplace(a.start, a.end).second) << "end reported twice: " << a.end;
  }
  return spans;
}

std::set<Span> pairSpans(std::string_view text) {
  return anchorSpans(findCapitalisedPairs, text);
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

std::set<Span> titleSpans(std::string_view text) {
  return anchorSpans(findTitleAnchors, text);
}

constexpr std::string_view kTitleTexts[] = {
    "",
    "Mr",
    "Mr.",
    "Mr. X",
    "Dear Mr. Smith, Mrs.Jones and Ms  Lee met Dr.\tWho, Prof. Dr. Anna Weber and Sir Ian.",
    "Herr M\xC3\xBCller, Frau \xC3\x96zt\xC3\xBCrk, Mme \xC3\x89lise, Mlle \u010Cech",
    "Sr. \u017Bak, Sra \xC3\x97, Dott. \xC5\x81, Mx \xC4",
    "AMr. Smith, Drive, Dr.smith, Dr .Smith, MrMrs. X, Mr\nX, Mr \t \tX, Mr.. X, Dame  \t Judi",
    "Miss Marple, Mr. 5, Mr. x, Dr. \xC3\x9F, Dr. \xC3\x9E, Sir\xC3\x80, Sir \xC3\x80",
    "The Director of Sales, DRIVE, MR. SMITH, Messrs. Holmes, Doctor Who, Sirs, Prof.Dr.Anna",
};

TEST(NameTitlesTest, ReportsWhatHyperscanReports) {
  const HyperscanOracle oracle(nameExpressions().title, false);
  for (const std::string_view text : kTitleTexts) {
    EXPECT_EQ(titleSpans(text), oracle.spans(text)) << '"' << text << '"';
  }
}

/// Random texts of `pieces` against the row's Hyperscan oracle.
void expectRandomTextsAgree(std::span<const std::string_view> pieces, const std::string& regex,
                            void (*find)(std::string_view, std::vector<NameAnchor>&),
                            unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 40);
  const HyperscanOracle oracle(regex, false);
  std::size_t found = 0;
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    for (int k = length(rng); k > 0; --k) {
      text += pieces[piece(rng)];
    }
    const std::set<Span> expected = oracle.spans(text);
    ASSERT_EQ(anchorSpans(find, text), expected) << '"' << text << '"';
    found += expected.size();
  }
  EXPECT_GT(found, 300U) << "the texts hold too few matches to show anything";
}

TEST(NameTitlesTest, RandomTextsToo) {
  // Titles, their separators, letters of both cases and the lead bytes of the two-byte capitals,
  // in random order: every cut and every neighbour a title can have.
  constexpr std::array<std::string_view, 26> kPieces{
      "Mr",   "Mrs",  "Ms",  "Miss", "Mx",       "Dr",       "Prof", "Sir",     "Dame",
      "Herr", "Frau", "Mme", "Mlle", "Sr",       "Sra",      "Dott", ".",       " ",
      "\t",   "\n",   "A",   "s",    "\xC3\x80", "\xC3\x9F", "\xC5", "\xC4\xBF"};
  expectRandomTextsAgree(kPieces, nameExpressions().title, findTitleAnchors, 20261207U);
}

constexpr std::string_view kClosingTexts[] = {
    "",
    "Regards,\nAnna",
    "Thanks\n\nBest regards,\nAnna Schmidt\n",
    "  Kind Regards ! \r\n  \tBob\nKIND REGARDS,\nCarl\nkind regards,\ndora\nCheers.\n\xC3\x89mile",
    "Mit freundlichen Gr\u00FC\u00DFen\nJ\xC3\xBCrgen\nBest\nAl\nBest,, \nAl\nBest\r\r\nAl",
    "see you.\nRegards\nAnna\nregards\n Bob\nregards\nbob\n\nThank you\n\u010Cech",
    "\nSincerely yours,\nTed\nyours sincerely\nTim\nBest wishes\tand more\nTom",
};

TEST(NameClosingsTest, ReportsWhatHyperscanReports) {
  const HyperscanOracle oracle(nameExpressions().closing, false);
  for (const std::string_view text : kClosingTexts) {
    EXPECT_EQ(anchorSpans(findClosingAnchors, text), oracle.spans(text)) << '"' << text << '"';
  }
}

TEST(NameClosingsTest, RandomTextsToo) {
  // Closings, whole lines of them and their cuts, the bytes allowed between a closing and the
  // next line, and capitals, so that closings meet line breaks and capitals at every distance.
  constexpr std::array<std::string_view, 26> kPieces{"regards",
                                                     "Regards",
                                                     "best",
                                                     "Best ",
                                                     "kind",
                                                     "Kind regards",
                                                     "thanks",
                                                     "Thank you",
                                                     "cheers",
                                                     "Gru\xC3\x9F",
                                                     "\nRegards,\n",
                                                     "\nBest\r\n",
                                                     ",",
                                                     ".",
                                                     "!",
                                                     ";",
                                                     " ",
                                                     "\t",
                                                     "\n",
                                                     "\n",
                                                     "\r",
                                                     "A",
                                                     "Bob",
                                                     "b",
                                                     "\xC3\x89",
                                                     "\xC5"};
  expectRandomTextsAgree(kPieces, nameExpressions().closing, findClosingAnchors, 20261208U);
}

} // namespace
} // namespace cordon::classify
