// TokenRows, TldRow and EmailRow against Hyperscan running the rows they replace: the same
// (leftmost start, end) pairs, each end once, on texts built to put matches, near-matches and
// their edges at every offset of the sixteen-byte blocks.
#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "classify/patterns.h"
#include "classify/token_rows.h"
#include "hs_oracle.h"

namespace cordon::classify {
namespace {

constexpr std::uint32_t kAws = 1;
constexpr std::uint32_t kAzure = 2;
constexpr std::uint32_t kDiscord = 3;

/// Spans of one row's reports; a second report of the same end fails the test.
std::set<Span> spansOf(const std::vector<RowMatch>& matches, std::uint32_t id) {
  std::set<Span> spans;
  std::set<std::uint32_t> ends;
  for (const RowMatch& m : matches) {
    if (m.id == id) {
      EXPECT_TRUE(ends.insert(m.end).second)
          << "row " << id << " reports end " << m.end << " twice";
      spans.emplace(m.start, m.end);
    }
  }
  return spans;
}

TokenRows allTokenRows() {
  TokenRows rows;
  EXPECT_TRUE(rows.add(kAws, kAwsSecretKeyRegex));
  EXPECT_TRUE(rows.add(kAzure, kAzureStorageKeyRegex));
  EXPECT_TRUE(rows.add(kDiscord, kDiscordTokenRegex));
  return rows;
}

/// Compares the three rows with Hyperscan on one text; counts the matches per row.
void expectTokenRowsAgree(const TokenRows& rows, std::string_view text,
                          std::array<std::size_t, 4>* found = nullptr) {
  static const HyperscanOracle aws(kAwsSecretKeyRegex, false);
  static const HyperscanOracle azure(kAzureStorageKeyRegex, false);
  static const HyperscanOracle discord(kDiscordTokenRegex, false);
  std::vector<RowMatch> matches;
  rows.scan(reinterpret_cast<const unsigned char*>(text.data()), text.size(), matches);
  EXPECT_EQ(spansOf(matches, kAws), aws.spans(text)) << text;
  EXPECT_EQ(spansOf(matches, kAzure), azure.spans(text)) << text;
  EXPECT_EQ(spansOf(matches, kDiscord), discord.spans(text)) << text;
  for (const RowMatch& m : matches) {
    if (found != nullptr) {
      ++(*found)[m.id];
    }
  }
}

std::string pick(std::mt19937& rng, std::string_view alphabet, std::size_t n) {
  std::string out;
  std::uniform_int_distribution<std::size_t> at(0, alphabet.size() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(alphabet[at(rng)]);
  }
  return out;
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafe =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Pieces that build the rows' matches and their near misses: runs of every length around the
/// rows' widths, padding, dots, the bytes one class has and the other lacks.
std::string tokenText(std::mt19937& rng) {
  std::string text;
  std::uniform_int_distribution<int> kind(0, 11);
  std::uniform_int_distribution<std::size_t> len(0, 100);
  const int pieces = std::uniform_int_distribution<int>(1, 12)(rng);
  for (int p = 0; p < pieces; ++p) {
    switch (kind(rng)) {
    case 0:
      text += pick(rng, kBase64, len(rng));
      break;
    case 1:
      text += pick(rng, kUrlSafe, len(rng));
      break;
    case 2:
      text += pick(rng, kBase64, std::uniform_int_distribution<std::size_t>(84, 90)(rng)) +
              pick(rng, "==+ ", std::uniform_int_distribution<std::size_t>(0, 3)(rng));
      break;
    case 3: // Discord-shaped, with every part's length near its bounds
      text += pick(rng, "MNOmZ_", 1) +
              pick(rng, kUrlSafe, std::uniform_int_distribution<std::size_t>(20, 30)(rng)) + "." +
              pick(rng, kUrlSafe, std::uniform_int_distribution<std::size_t>(5, 7)(rng)) + "." +
              pick(rng, kUrlSafe, std::uniform_int_distribution<std::size_t>(25, 42)(rng));
      break;
    case 4:
      text += pick(rng, "MNO", std::uniform_int_distribution<std::size_t>(1, 40)(rng));
      break;
    case 5:
      text += pick(rng, ".=_-+/ ,", std::uniform_int_distribution<std::size_t>(1, 3)(rng));
      break;
    case 6:
      text += pick(rng, kBase64, std::uniform_int_distribution<std::size_t>(38, 44)(rng));
      break;
    case 7:
      text += pick(rng, "\xC3\xA9\n\t\x80\xFF", 1);
      break;
    case 8:
      text +=
          pick(rng, "0123456789abcdef", std::uniform_int_distribution<std::size_t>(30, 70)(rng));
      break;
    case 9:
      text += pick(rng, "N.M.O.", std::uniform_int_distribution<std::size_t>(1, 10)(rng));
      break;
    default:
      text += ' ';
      break;
    }
  }
  return text;
}

TEST(TokenRowsTest, TakesOnlyItsShapes) {
  TokenRows rows;
  EXPECT_TRUE(rows.empty());
  EXPECT_FALSE(rows.add(0, "[A-Za-z0-9/+]{41}"));
  EXPECT_FALSE(rows.add(0, R"(AIza[A-Za-z0-9_-]{35})"));
  EXPECT_TRUE(rows.add(0, kAwsSecretKeyRegex));
  EXPECT_FALSE(rows.add(1, kAwsSecretKeyRegex)); // one row per shape
  EXPECT_FALSE(rows.empty());
}

TEST(TokenRowsTest, TheTableUsesTheShapes) {
  int taken = 0;
  for (const PatternSpec& spec : builtinPatterns()) {
    taken += spec.regex == kAwsSecretKeyRegex || spec.regex == kAzureStorageKeyRegex ||
                     spec.regex == kDiscordTokenRegex
                 ? 1
                 : 0;
  }
  EXPECT_EQ(taken, 3);
}

TEST(TokenRowsTest, ReportsWhatHyperscanReports) {
  const TokenRows rows = allTokenRows();
  for (const std::string_view text :
       {std::string_view(""), std::string_view("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        std::string_view("key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+more/andmore."),
        std::string_view("MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"),
        std::string_view("4b825dc642cb6eb9a060e54bf8d69288fbee4904 123e4567-e89b-12d3-a456")}) {
    expectTokenRowsAgree(rows, text);
  }
  std::mt19937 rng(20240517);
  std::array<std::size_t, 4> found{};
  for (int i = 0; i < 20000; ++i) {
    expectTokenRowsAgree(rows, tokenText(rng), &found);
  }
  // The texts do hold matches of every row.
  EXPECT_GT(found[kAws], 1000U);
  EXPECT_GT(found[kAzure], 100U);
  EXPECT_GT(found[kDiscord], 100U);
}

TEST(TokenRowsTest, EveryCutOfALongText) {
  // Runs are found by whole sixteen-byte blocks: the same matches at every offset.
  const TokenRows rows = allTokenRows();
  std::mt19937 rng(7);
  std::string text;
  while (text.size() < 600) {
    text += tokenText(rng);
  }
  for (std::size_t from = 0; from < 40; ++from) {
    expectTokenRowsAgree(rows, std::string_view(text).substr(from));
    expectTokenRowsAgree(rows, std::string_view(text).substr(0, text.size() - from));
  }
}

std::string_view tldRegex() {
  for (const PatternSpec& spec : builtinPatterns()) {
    if (spec.extend == Extend::Hostname) {
      return spec.regex;
    }
  }
  ADD_FAILURE() << "no Extend::Hostname row";
  return {};
}

std::size_t expectTldAgrees(const TldRow& row, std::string_view text) {
  static const HyperscanOracle oracle(tldRegex(), false);
  std::vector<RowMatch> matches;
  row.scan(reinterpret_cast<const unsigned char*>(text.data()), text.size(), matches);
  EXPECT_EQ(spansOf(matches, 9), oracle.spans(text)) << text;
  return matches.size();
}

std::string tldText(std::mt19937& rng) {
  static constexpr std::string_view kPieces[] = {
      ".",  ".",  "..",       "/",    "//",  "com", "co",       "de",      "dev",  "news",
      "io", "uk", "online",   "ne",   "Com", "x",   "ab",       "a1",      " ",    "\n",
      "\v", "\t", "<",        ">",    "\"",  "'",   "`",        "\\",      "?q=1", "#f",
      "-",  "_",  "\xC3\xA9", "\xFF", ":",   "@",   "https://", "example", "www"};
  std::string text;
  const int pieces = std::uniform_int_distribution<int>(1, 30)(rng);
  std::uniform_int_distribution<std::size_t> at(0, std::size(kPieces) - 1);
  for (int p = 0; p < pieces; ++p) {
    text += kPieces[at(rng)];
  }
  return text;
}

TEST(TldRowTest, TakesOnlyItsShape) {
  TldRow row;
  EXPECT_FALSE(row.add(9, R"(\.(?:com|org))"));
  EXPECT_FALSE(row.add(9, R"(\.(?:com|Org)(?:/[^\s<>"'`\\]*)?)"));
  EXPECT_TRUE(row.add(9, tldRegex()));
  EXPECT_FALSE(row.add(10, tldRegex())); // one row
}

TEST(TldRowTest, ReportsWhatHyperscanReports) {
  TldRow row;
  ASSERT_TRUE(row.add(9, tldRegex()));
  for (const std::string_view text :
       {std::string_view(""), std::string_view("."), std::string_view("see example.com."),
        std::string_view("https://www.example.co.uk/a/b.de/c?d=e.com/f g.io"),
        std::string_view("a.com/x.de/y.net/z\v.dev/q<.news/ .co/.com/"),
        std::string_view("x.de/.de/.de/.de/.de/.de/.de/.de/.de/.de/.de/.de/.de/.de/.de/")}) {
    expectTldAgrees(row, text);
  }
  std::mt19937 rng(20240517);
  std::size_t found = 0;
  for (int i = 0; i < 20000; ++i) {
    found += expectTldAgrees(row, tldText(rng));
  }
  EXPECT_GT(found, 1000U);
  std::string text;
  while (text.size() < 600) {
    text += tldText(rng);
  }
  for (std::size_t from = 0; from < 20; ++from) {
    expectTldAgrees(row, std::string_view(text).substr(from));
  }
}

std::size_t expectEmailAgrees(const EmailRow& row, std::string_view text) {
  static const HyperscanOracle oracle(kEmailDomainRegex, false);
  std::vector<RowMatch> matches;
  row.scan(reinterpret_cast<const unsigned char*>(text.data()), text.size(), matches);
  EXPECT_EQ(spansOf(matches, 4), oracle.spans(text)) << text;
  return matches.size();
}

TEST(EmailRowTest, TakesOnlyItsShape) {
  EmailRow row;
  EXPECT_TRUE(row.empty());
  EXPECT_FALSE(row.add(4, R"(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"));
  EXPECT_TRUE(row.add(4, kEmailDomainRegex));
  EXPECT_FALSE(row.add(5, kEmailDomainRegex)); // one row
  EXPECT_FALSE(row.empty());
  int taken = 0;
  for (const PatternSpec& spec : builtinPatterns()) {
    taken += spec.regex == kEmailDomainRegex ? 1 : 0;
  }
  EXPECT_EQ(taken, 1);
}

TEST(EmailRowTest, ReportsWhatHyperscanReports) {
  EmailRow row;
  ASSERT_TRUE(row.add(4, kEmailDomainRegex));
  for (const std::string_view text :
       {std::string_view(""), std::string_view("@"), std::string_view("a@b.co"),
        std::string_view("john.doe@mail.example.com, x@y.z, a@-b.com, a@b-.com, a@b..com"),
        std::string_view(
            "a@b.c0m a@b.co1 a@1.2.de a@a-b-c.d-e.fg a@b.abcdefghijklmnopqrstuvwxyzab"),
        std::string_view("a@b@c.de @@x.io a@b.de@c.fr a@\xC3\xA9.de a@b.d\xC3\xA9 a@B.DE.")}) {
    expectEmailAgrees(row, text);
  }
  // Domains from labels, dots, dashes and the bytes around them in random order.
  constexpr std::array<std::string_view, 16> kPieces{
      "@", "@", "a", "Z", "7", "ab", "com", "de", "-", ".", ".", "x1", " ", "\xC3\xA9", "_", "+"};
  std::mt19937 rng(20261207);
  std::uniform_int_distribution<std::size_t> piece(0, kPieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 40);
  std::size_t found = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    for (int k = length(rng); k > 0; --k) {
      text += kPieces[piece(rng)];
    }
    found += expectEmailAgrees(row, text);
  }
  EXPECT_GT(found, 1000U);
}

} // namespace
} // namespace cordon::classify
