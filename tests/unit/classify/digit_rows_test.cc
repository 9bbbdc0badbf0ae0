// DigitRows against Hyperscan as the oracle: for a row it takes, it must report the same
// (start, end) pairs as Hyperscan with leftmost start-of-match, at least wherever the caller's
// edge checks would keep the candidate, and never a pair Hyperscan does not report.
#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "classify/digit_rows.h"
#include "classify/patterns.h"
#include "hs_oracle.h"

namespace cordon::classify {
namespace {

std::set<Span> digitRowSpans(const DigitRows& rows, std::string_view text) {
  DigitScratch work;
  std::vector<RowMatch> matches;
  rows.scan(reinterpret_cast<const unsigned char*>(text.data()), text.size(), work, matches);
  std::set<Span> spans;
  for (const RowMatch& m : matches) {
    EXPECT_TRUE(spans.emplace(m.start, m.end).second) << "end reported twice: " << m.end;
  }
  return spans;
}

bool isAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Whole tokens: no letter or digit next to the candidate, nor a '.' or '-' with one beyond.
EdgeSet wordEdges() {
  EdgeSet edges;
  for (std::size_t c = 0; c < 256; ++c) {
    edges[c] = !isAlnum(static_cast<unsigned char>(c));
  }
  edges[kEdgeText] = true;
  return edges;
}

bool startKept(std::string_view text, std::uint32_t start) {
  if (start == 0) {
    return true;
  }
  const auto prev = static_cast<unsigned char>(text[start - 1]);
  return !isAlnum(prev) && !((prev == '.' || prev == '-') && start >= 2 &&
                             isAlnum(static_cast<unsigned char>(text[start - 2])));
}

bool endKept(std::string_view text, std::uint32_t end) {
  if (end >= text.size()) {
    return true;
  }
  const auto next = static_cast<unsigned char>(text[end]);
  return !isAlnum(next) && !((next == '.' || next == '-') && end + 1 < text.size() &&
                             isAlnum(static_cast<unsigned char>(text[end + 1])));
}

struct Row {
  std::string_view regex;
  bool caseless = false;
};

constexpr std::string_view kTexts[] = {
    "card 4111 1111 1111 1111 and 4111-1111-1111-1111 or 4111 1111 1111 1111 1111 1",
    "ssn 111-22-3333, 111 22 3333; 1111-22-3333 x111-22-3333 111-22-33334 9.111-22-3333",
    "2024-05-17T12:30:45.123Z INFO 2024-05-17 2024-05-17T12:30 2024-05-17T12:30:45+02:00.",
    "at 10:30 am, 7pm, 11:15 PM; 12/05/2024 and 5/21 or 12.05.2024, 1/2024, 3-4-2024",
    "call +44 20 7946 0958 or (555) 123-4567 ext 12, 555-123-4567x9, 0 (212) 555 12 34",
    "IBAN DE89 3704 0044 0532 0130 00, GB29NWBK60161331926819, de89370400440532013000",
    "ip 192.168.1.100 or 1.2.3.4.5 or 10.0.0.1:8080; v1.2.3 build 3.14.2 plate 34 ABC 123",
    "HRB 12345, DE123456789, DE 123 456 789, AB51 ABC, A123 BCD, X1234567L, 12345678Z",
    "4b825dc642cb6eb9a060e54bf8d69288fbee4904 123e4567-e89b-12d3-a456-426614174000 p99",
    "1 12 123 1234 12345 123456 1234567 12345678 123456789 1234567890 12345678901 0",
    "-1-2-3- .1.2.3. /12/34/56/ :12:34: ++90 532 123 45 67 05321234567 +90-532-123-4567",
    "",
    "9",
    "12-",
    "\n2024-01-02 3\n\n811228-9874 19811228-9874 131052-308T 010101A123N 850101-1234567",
    "fe80::1%eth0 ::1 2001:db8::8a2e:370:7334 std::vector<int>::at() a:b:c ::: 1:2:3:4:5:6:7:8:9",
    "::ffff:10.0.0.1 then 1:2::",
    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy x1Boat3",
    "12345:AAH4Ybbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "key 0123456789abcdef0123456789abcdef-us12 f0123456789abcdef0123456789abcdef-us1-us2",
    "7\vam 7\fpm 7\rAM 7\xA0pm 7\205am 12:30\tPM 4111\v1111 1111 1111",
};

constexpr Row kRows[] = {
    {R"(\d{4}(?: \d{3,6}){2,4})"},
    {R"(\d{3}-\d{2}-\d{4})"},
    {R"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})"},
    {R"(\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5})"},
    {R"(\(\d{3}\) ?\d{3}[-. ]\d{4}(?: ?(?:x|ext\.?|extension) ?\d{1,5})?)"},
    {R"([A-Z]{2}\d{2} ?[A-Z0-9]{4})"},
    {R"([0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?)"},
    {R"([0-9]{1,2}(?::[0-9]{2})?\s?[ap]m)", true},
    {R"([0-9]{1,2}/[0-9]{2})"},
    {R"((?:0[1-9]|[1-7][0-9]|8[01]) ?[A-PR-VYZ]{1,3} ?[0-9]{2,4})"},
    {R"(HR[AB] ?[1-9][0-9]{0,5})", true},
    {R"(\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y])"},
    {R"([CFGHJK][0-9CFGHJKLMNPRTVWXYZ]{7}[0-9])", true},
    {R"(/?[0-9]{2,3}/[0-9]{3,4}/[0-9]{4,5})"},
    {R"(\d+-\d)"},
    {R"([0-9a-f]{32}-us\d{1,2})"},
    {R"([a-z]{0,3}\d(?:x\d)*)"},
};

/// Rows whose matches may hold no digit, or long digit-free runs: they stay in Hyperscan.
constexpr Row kRefused[] = {
    {R"([A-Z]{5})"}, {R"(\d?[a-z]{3})"},    {R"(\d{2}[A-Za-z]{50})"},
    {R"([a-z]+\d)"}, {R"(\d(?:[a-z]+)\d)"}, {R"(\d\b)"},
    {R"(^\d{3})"},   {R"(\d{3}.)"},
};

void expectLikeHyperscan(std::string_view regex, bool caseless,
                         std::string_view anchor = "0123456789") {
  EdgeSet all;
  all.set();
  DigitRows every(anchor);
  ASSERT_TRUE(every.add(0, regex, caseless, all, all)) << regex;
  DigitRows words(anchor);
  ASSERT_TRUE(words.add(0, regex, caseless, wordEdges(), wordEdges())) << regex;
  for (const std::string_view text : kTexts) {
    const std::set<Span> want = hyperscanSpans(regex, caseless, text);
    EXPECT_EQ(digitRowSpans(every, text), want) << regex << " over \"" << text << '"';
    // With whole-token edges, each kept pair is reported and nothing Hyperscan does not report.
    const std::set<Span> got = digitRowSpans(words, text);
    for (const Span& span : want) {
      if (startKept(text, span.first) && endKept(text, span.second)) {
        EXPECT_TRUE(got.contains(span)) << regex << " misses [" << span.first << ", " << span.second
                                        << ") in \"" << text << '"';
      }
    }
    for (const Span& span : got) {
      EXPECT_TRUE(want.contains(span))
          << regex << " invents [" << span.first << ", " << span.second << ") in \"" << text << '"';
    }
  }
}

TEST(DigitRowsTest, ReportsWhatHyperscanReports) {
  for (const Row& row : kRows) {
    expectLikeHyperscan(row.regex, row.caseless);
  }
}

TEST(DigitRowsTest, EveryBuiltinRowItTakesMatchesHyperscan) {
  EdgeSet all;
  all.set();
  int taken = 0;
  for (const PatternSpec& spec : builtinPatterns()) {
    for (const std::string_view anchor : {std::string_view("0123456789"), std::string_view(":")}) {
      DigitRows probe(anchor);
      if (spec.extend == Extend::None && probe.add(0, spec.regex, spec.caseless, all, all)) {
        ++taken;
        expectLikeHyperscan(spec.regex, spec.caseless, anchor);
      }
    }
  }
  EXPECT_GT(taken, 40);
}

/// Digit runs of every length from 1 to 20 between the bytes digit rows are made of, and
/// letters, in random order: runs too long or too short for a row's stretches of digits, first
/// and last digits a row cannot start or end with, right next to ones it can.
std::string digitText(std::mt19937& rng) {
  constexpr std::string_view kDigits = "0123456789";
  constexpr std::string_view kGlue = " -./:+()x";
  constexpr std::string_view kLetters = "ACDEFHJKLMNPRTUVWXYZamptbce";
  std::string text;
  const std::size_t pieces = 4 + rng() % 12;
  for (std::size_t i = 0; i < pieces; ++i) {
    switch (rng() % 4) {
    case 0:
    case 1:
      for (std::size_t n = 1 + rng() % (rng() % 3 == 0 ? 20 : 6); n > 0; --n) {
        text.push_back(kDigits[rng() % kDigits.size()]);
      }
      break;
    case 2:
      text.push_back(kGlue[rng() % kGlue.size()]);
      break;
    default:
      for (std::size_t n = 1 + rng() % 3; n > 0; --n) {
        text.push_back(kLetters[rng() % kLetters.size()]);
      }
      break;
    }
  }
  return text;
}

TEST(DigitRowsTest, EveryBuiltinRowMatchesHyperscanOnGeneratedText) {
  // The first, last and middle runs of a chain are checked against the lengths and bytes the
  // row's stretches of digits can have: texts full of near misses.
  std::mt19937 rng(20240517);
  constexpr int kCount = 400;
  std::vector<std::string> texts;
  texts.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    texts.push_back(digitText(rng));
  }
  for (const PatternSpec& spec : builtinPatterns()) {
    DigitRows probe;
    EdgeSet all;
    all.set();
    if (spec.extend != Extend::None || !probe.add(0, spec.regex, spec.caseless, all, all)) {
      continue;
    }
    const HyperscanOracle oracle(spec.regex, spec.caseless);
    DigitRows words;
    ASSERT_TRUE(words.add(0, spec.regex, spec.caseless, wordEdges(), wordEdges()));
    for (const std::string& text : texts) {
      const std::set<Span> want = oracle.spans(text);
      EXPECT_EQ(digitRowSpans(probe, text), want) << spec.regex << " over \"" << text << '"';
      const std::set<Span> got = digitRowSpans(words, text);
      for (const Span& span : want) {
        if (startKept(text, span.first) && endKept(text, span.second)) {
          EXPECT_TRUE(got.contains(span)) << spec.regex << " misses [" << span.first << ", "
                                          << span.second << ") in \"" << text << '"';
        }
      }
      for (const Span& span : got) {
        EXPECT_TRUE(want.contains(span)) << spec.regex << " invents [" << span.first << ", "
                                         << span.second << ") in \"" << text << '"';
      }
    }
  }
}

TEST(DigitRowsTest, FindsRunsAcrossEveryBlockCut) {
  // Digit runs are found sixteen bytes at a time: a run across or at every cut must count.
  const std::string_view text = "4111 1111 1111 1111 and 111-22-3333 12345678901234567890123 4";
  EdgeSet all;
  all.set();
  for (const std::string_view regex : {R"(\d{4}(?: \d{3,6}){2,4})", R"(\d{3}-\d{2}-\d{4})"}) {
    DigitRows rows;
    ASSERT_TRUE(rows.add(0, regex, false, all, all));
    for (std::size_t from = 0; from < 20; ++from) {
      const std::string_view part = text.substr(from);
      EXPECT_EQ(digitRowSpans(rows, part), hyperscanSpans(regex, false, part)) << from;
    }
  }
}

TEST(DigitRowsTest, LetterAndDigitRowsSeeTheirWholeStretch) {
  // A row of letters and digits only is kept from the chain's start unless the stretch of such
  // bytes around the run is as wide as its match. The stretch is walked once for all its runs,
  // and the walk stops at 64 bytes either way: runs with the match at either end of a stretch
  // shorter and longer than that, with a letter or a blank beside it.
  EdgeSet all;
  all.set();
  for (const std::string_view regex :
       {R"([CFGHJK][0-9CFGHJKLMNPRTVWXYZ]{7}[0-9])", R"([13][1-9A-HJ-NP-Za-km-z]{25,34})"}) {
    DigitRows rows;
    ASSERT_TRUE(rows.add(0, regex, false, all, all));
    const HyperscanOracle oracle(regex, false);
    for (const std::string_view match : {std::string_view("CF1234HJ7"), std::string_view("K7"),
                                         std::string_view("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")}) {
      for (std::size_t offset = 0; offset < 140; ++offset) {
        for (const char filler : {' ', 'x', 'Z'}) {
          std::string text(offset, filler);
          text += match;
          text += std::string(offset % 7, filler);
          EXPECT_EQ(digitRowSpans(rows, text), oracle.spans(text))
              << regex << " at " << offset << " after '" << filler << "'";
        }
      }
    }
  }
}

TEST(DigitRowsTest, AnchorsOnOtherBytes) {
  // IPv6 around its colons: "::" is common in prose (std::vector), an address around it rare.
  expectLikeHyperscan(R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})", false, ":");
  DigitRows colons(":");
  EdgeSet all;
  all.set();
  EXPECT_FALSE(colons.add(0, R"(\d{3}-\d{4})", false, all, all)); // no colon in its matches
}

TEST(DigitRowsTest, RefusesRowsNotBoundByDigits) {
  EdgeSet all;
  all.set();
  for (const Row& row : kRefused) {
    DigitRows rows;
    EXPECT_FALSE(rows.add(0, row.regex, row.caseless, all, all)) << row.regex;
    EXPECT_TRUE(rows.empty());
  }
}

TEST(DigitRowsTest, ReportsEachRowUnderItsOwnId) {
  EdgeSet all;
  all.set();
  DigitRows rows;
  ASSERT_TRUE(rows.add(7, R"(\d{3}-\d{2}-\d{4})", false, all, all));
  ASSERT_TRUE(rows.add(9, R"(\d{2}-\d{4})", false, all, all));
  const std::string_view text = "id 111-22-3333.";
  DigitScratch work;
  std::vector<RowMatch> matches;
  rows.scan(reinterpret_cast<const unsigned char*>(text.data()), text.size(), work, matches);
  std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>> got;
  got.reserve(matches.size());
  for (const RowMatch& m : matches) {
    got.emplace_back(m.id, m.start, m.end);
  }
  std::sort(got.begin(), got.end());
  const std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>> want{{7, 3, 14},
                                                                                  {9, 7, 14}};
  EXPECT_EQ(got, want);
}

// Rows past the first kMaxDigitRows live in a second DigitRows that reads the first one's runs:
// matchRuns() over them reports what that DigitRows' own scan() would.
TEST(DigitRowsTest, MatchRunsOverAnotherInstancesRunsReportsAsItsOwnScan) {
  EdgeSet all;
  all.set();
  DigitRows first;
  std::uint32_t id = 0;
  while (first.hasRoom()) {
    ASSERT_TRUE(first.add(id++, R"(\d{3}-\d{2}-\d{4})", false, all, all));
  }
  EXPECT_FALSE(first.add(id, R"(\d{2}-\d{4})", false, all, all));
  DigitRows more;
  ASSERT_TRUE(more.add(id, R"(\d{2}-\d{4})", false, all, all));
  ASSERT_TRUE(more.add(id + 1, R"([A-Z]{2}[0-9]{6})", false, all, all));
  const std::string_view text = "id 111-22-3333, ref AB123456 and 12-3456; 7 8 99-0000.";
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  DigitScratch shared;
  std::vector<RowMatch> from_first;
  first.scan(data, text.size(), shared, from_first);
  std::vector<RowMatch> from_runs;
  more.matchRuns(data, text.size(), shared, from_runs);
  DigitScratch own;
  std::vector<RowMatch> from_scan;
  more.scan(data, text.size(), own, from_scan);
  const auto key = [](const std::vector<RowMatch>& matches) {
    std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>> out;
    out.reserve(matches.size());
    for (const RowMatch& m : matches) {
      out.emplace_back(m.id, m.start, m.end);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_FALSE(from_runs.empty());
  EXPECT_EQ(key(from_runs), key(from_scan));
}

} // namespace
} // namespace cordon::classify
