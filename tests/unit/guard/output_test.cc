#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/classify/classifier.h"
#include "cordon/guard/guard.h"

namespace cordon::guard {
namespace {

TEST(Redact, MergesUnsortedOverlappingSpans) {
  struct Case {
    std::string text;
    std::vector<Span> spans;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"", {}, ""},
      {"", {{0, 3}}, ""},
      {"hello world", {}, "hello world"},
      {"hello world", {{6, 11}}, "hello [X]"},
      {"hello world", {{6, 11}, {0, 5}}, "[X] [X]"},
      {"hello world", {{0, 4}, {2, 7}}, "[X]orld"},
      {"hello world", {{0, 5}, {5, 6}}, "[X]world"}, // touching spans are one
      {"hello world", {{3, 3}}, "hello world"},      // empty span
      {"hello", {{2, 99}}, "he[X]"},                 // clamped to the text
      {"hello", {{99, 120}}, "hello"},
      {"a\xFF\xFE z", {{1, 3}}, "a[X] z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(redact(c.text, c.spans, "[X]"), c.want) << c.text;
  }
}

TEST(IsValidJson, AcceptsOneValueOnly) {
  const std::vector<std::string> valid = {
      "{}",    "[]",
      "0",     "\"x\"",
      "null",  " {\"a\": [1, 2.5, true, null]} \n",
      "-1e10", std::string(5000, '[') + std::string(5000, ']'),
  };
  for (const std::string& text : valid) {
    EXPECT_TRUE(isValidJson(text)) << text.substr(0, 40);
  }
  const std::vector<std::string> invalid = {
      "",
      "   ",
      "{",
      "{\"a\":1,}",
      "[1,]",
      "{} {}",
      "{}x",
      "{} // c",
      "/* c */ {}",
      "'a'",
      "{a: 1}",
      "NaN",
      "\"\xFF\"",
      "[1] garbage",
      "01",
      "tru",
      "Here is JSON: {\"a\": 1}",
      "```json\n{}\n```",
  };
  for (const std::string& text : invalid) {
    EXPECT_FALSE(isValidJson(text)) << text;
  }
  std::string big = "[";
  while (big.size() < (1U << 20U)) {
    big += "{\"k\":\"value\"},";
  }
  big += "1]";
  EXPECT_TRUE(isValidJson(big));
}

class ClassifierTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto built = classify::Classifier::build({});
    ASSERT_TRUE(built.has_value()) << built.error().detail;
    classifier_ = *built;
    scratch_ = std::shared_ptr<classify::Scratch>(classifier_->makeScratch().release(),
                                                  classify::ScratchDeleter());
  }

  StreamScreen::Scan scanFn() const {
    return [classifier = classifier_,
            scratch = scratch_](std::string_view text) -> Result<std::vector<classify::Finding>> {
      std::vector<classify::Finding> out;
      auto scanned = classifier->scan(text, *scratch, out);
      if (!scanned) {
        return scanned.error();
      }
      return out;
    };
  }

  std::vector<classify::Finding> findings(std::string_view text) const {
    auto result = scanFn()(text);
    EXPECT_TRUE(result.has_value());
    return result.has_value() ? *result : std::vector<classify::Finding>{};
  }

  classify::ClassifierConstSharedPtr classifier_;
  std::shared_ptr<classify::Scratch> scratch_;
};

using UnseenFindingsTest = ClassifierTest;

TEST_F(UnseenFindingsTest, DropsValuesTheRequestSentAndUnwatchedTypes) {
  const std::string answer = "Mail alice@example.com or bob@example.org, card 4111 1111 1111 1111.";
  const auto all = findings(answer);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(unseenFindings(answer, all, {}, {}).size(), 3U);
  const auto unseen = unseenFindings(answer, all, {"alice@example.com"}, {});
  ASSERT_EQ(unseen.size(), 2U);
  EXPECT_EQ(answer.substr(unseen[0].start, unseen[0].end - unseen[0].start), "bob@example.org");
  const auto cards = unseenFindings(answer, all, {}, {"CREDIT_CARD"});
  ASSERT_EQ(cards.size(), 1U);
  EXPECT_EQ(cards[0].type, "CREDIT_CARD");
  EXPECT_TRUE(unseenFindings(answer, all, {}, {"US_SSN"}).empty());
  // Ordinary support and medical prose has nothing to report.
  const std::string prose = "The patient should take 5 mg daily; please ignore my previous email.";
  EXPECT_TRUE(unseenFindings(prose, findings(prose), {}, {}).empty());
  // Out-of-range findings are ignored rather than read past the answer.
  const classify::Finding bogus{"EMAIL_ADDRESS", 5, 500, 1.0F};
  EXPECT_TRUE(unseenFindings("short", {bogus}, {}, {}).empty());
}

constexpr std::string_view kAnswer =
    "Thanks for waiting. Your receipt was sent to carol.smith@example.com "
    "and the card 4111 1111 1111 1111 was charged. Anything else?";

using StreamScreenTest = ClassifierTest;

/// The whole answer redacted at once: what any split of the stream must produce.
std::string redactedWhole(std::string_view text, const std::vector<classify::Finding>& unseen) {
  std::string out;
  std::size_t next = 0;
  for (const classify::Finding& f : unseen) {
    out.append(text.substr(next, f.start - next));
    out += "[REDACTED:" + std::string(f.type) + "]";
    next = f.end;
  }
  out.append(text.substr(next));
  return out;
}

TEST_F(StreamScreenTest, RedactsAValueSplitAtEveryByte) {
  const auto unseen = unseenFindings(kAnswer, findings(kAnswer), {}, {});
  ASSERT_EQ(unseen.size(), 2U);
  const std::string want = redactedWhole(kAnswer, unseen);
  for (const std::size_t hold : {std::size_t{32}, std::size_t{64}, std::size_t{256}}) {
    for (std::size_t cut = 0; cut <= kAnswer.size(); ++cut) {
      StreamScreen screen(scanFn(), {}, {}, config::GuardAction::Redact, hold);
      std::string got;
      for (const std::string_view piece : {kAnswer.substr(0, cut), kAnswer.substr(cut)}) {
        auto released = screen.push(piece);
        ASSERT_TRUE(released.has_value());
        got += *released;
      }
      auto rest = screen.finish();
      ASSERT_TRUE(rest.has_value());
      got += *rest;
      EXPECT_EQ(got, want) << "hold " << hold << ", split at " << cut;
      EXPECT_EQ(screen.found(), (std::vector<std::string>{"EMAIL_ADDRESS", "CREDIT_CARD"}));
    }
    // One byte at a time.
    StreamScreen screen(scanFn(), {}, {}, config::GuardAction::Redact, hold);
    std::string got;
    for (const char c : kAnswer) {
      auto released = screen.push(std::string_view(&c, 1));
      ASSERT_TRUE(released.has_value());
      EXPECT_EQ(released->find("4111"), std::string::npos);
      got += *released;
    }
    got += screen.finish().value();
    EXPECT_EQ(got, want) << "hold " << hold << ", byte by byte";
  }
}

TEST_F(StreamScreenTest, ValuesFromTheRequestPassAndOtherTypesAreNotWatched) {
  StreamScreen screen(scanFn(), {"carol.smith@example.com"}, {}, config::GuardAction::Redact, 32);
  std::string got = screen.push(kAnswer).value();
  got += screen.finish().value();
  EXPECT_NE(got.find("carol.smith@example.com"), std::string::npos);
  EXPECT_EQ(got.find("4111"), std::string::npos);
  EXPECT_EQ(screen.found(), (std::vector<std::string>{"CREDIT_CARD"}));

  StreamScreen emails(scanFn(), {}, {"EMAIL_ADDRESS"}, config::GuardAction::Redact, 32);
  got = emails.push(kAnswer).value();
  got += emails.finish().value();
  EXPECT_EQ(got.find("carol.smith"), std::string::npos);
  EXPECT_NE(got.find("4111 1111 1111 1111"), std::string::npos);
}

TEST_F(StreamScreenTest, DenyStopsBeforeTheValueIsReleased) {
  const std::size_t value_start = kAnswer.find("carol");
  for (std::size_t cut = 0; cut <= kAnswer.size(); cut += 7) {
    StreamScreen screen(scanFn(), {}, {}, config::GuardAction::Deny, 32);
    std::string released;
    bool denied = false;
    for (const std::string_view piece : {kAnswer.substr(0, cut), kAnswer.substr(cut)}) {
      auto r = screen.push(piece);
      if (!r) {
        EXPECT_EQ(r.error().code, Errc::PolicyViolation);
        EXPECT_NE(r.error().detail.find("EMAIL_ADDRESS"), std::string::npos);
        EXPECT_EQ(r.error().detail.find("carol"), std::string::npos);
        denied = true;
        break;
      }
      released += *r;
    }
    if (!denied) {
      auto r = screen.finish();
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, Errc::PolicyViolation);
    }
    EXPECT_LE(released.size(), value_start) << "split at " << cut;
  }
}

TEST_F(StreamScreenTest, FlagReleasesEverythingAndRecordsTypes) {
  StreamScreen screen(scanFn(), {}, {}, config::GuardAction::Flag, 32);
  std::string got;
  for (std::size_t i = 0; i < kAnswer.size(); i += 5) {
    got += screen.push(kAnswer.substr(i, 5)).value();
  }
  got += screen.finish().value();
  EXPECT_EQ(got, kAnswer);
  EXPECT_EQ(screen.found(), (std::vector<std::string>{"EMAIL_ADDRESS", "CREDIT_CARD"}));
}

TEST(StreamScreen, EdgeCases) {
  const auto nothing = [](std::string_view) -> Result<std::vector<classify::Finding>> {
    return std::vector<classify::Finding>{};
  };
  // Empty stream, empty pieces.
  StreamScreen empty(nothing, {}, {}, config::GuardAction::Redact, 8);
  EXPECT_EQ(empty.push("").value(), "");
  EXPECT_EQ(empty.finish().value(), "");
  // A multi-byte character is never cut.
  StreamScreen utf8(nothing, {}, {}, config::GuardAction::Redact, 1);
  const std::string text = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";
  std::string got;
  for (const char c : text) {
    const std::string out = utf8.push(std::string_view(&c, 1)).value();
    if (!out.empty()) {
      EXPECT_NE(static_cast<unsigned char>(out[0]) & 0xC0U, 0x80U);
    }
    got += out;
  }
  got += utf8.finish().value();
  EXPECT_EQ(got, text);
  // Invalid UTF-8 passes through.
  StreamScreen bytes(nothing, {}, {}, config::GuardAction::Redact, 2);
  got = bytes.push("\xFF\xFE\x80\x80 abc \x80").value();
  got += bytes.finish().value();
  EXPECT_EQ(got, "\xFF\xFE\x80\x80 abc \x80");
  // A failing scan is an internal error.
  StreamScreen failing(
      [](std::string_view) -> Result<std::vector<classify::Finding>> {
        return makeError(Errc::Internal, "boom");
      },
      {}, {}, config::GuardAction::Redact, 4);
  EXPECT_EQ(failing.push("0123456789").error().code, Errc::Internal);
}

TEST(StreamScreen, AdjacentFindingsAndStrayContinuationBytes) {
  // Found by guard_fuzz: back-to-back findings followed by stray continuation bytes once let a
  // cut land inside a finding and a rescan start inside one.
  const auto at_at = [](std::string_view text) -> Result<std::vector<classify::Finding>> {
    std::vector<classify::Finding> out;
    for (std::size_t pos = text.find("@@"); pos != std::string_view::npos;
         pos = text.find("@@", pos + 2)) {
      out.push_back(
          {"AT", static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(pos + 2), 1});
    }
    return out;
  };
  std::string text;
  for (int i = 0; i < 4; ++i) {
    text += "x@ab@y@@@@" + std::string(11, '\x85');
  }
  std::string want;
  for (int i = 0; i < 4; ++i) {
    want += "x@ab@y[REDACTED:AT][REDACTED:AT]" + std::string(11, '\x85');
  }
  for (std::size_t step = 1; step < 20; ++step) {
    StreamScreen screen(at_at, {}, {}, config::GuardAction::Redact, 17);
    std::string got;
    for (std::size_t i = 0; i < text.size(); i += step) {
      got += screen.push(std::string_view(text).substr(i, step)).value();
    }
    got += screen.finish().value();
    EXPECT_EQ(got, want) << "pieces of " << step;
  }
}

TEST_F(StreamScreenTest, HugeAnswer) {
  std::string big;
  while (big.size() < (1U << 20U)) {
    big += "Your order has shipped and should arrive within three working days. ";
  }
  big += "Questions: help@example.com";
  StreamScreen screen(scanFn(), {}, {}, config::GuardAction::Redact, 256);
  std::string got;
  for (std::size_t i = 0; i < big.size(); i += 4096) {
    got += screen.push(std::string_view(big).substr(i, 4096)).value();
  }
  got += screen.finish().value();
  EXPECT_EQ(got.size(), big.size() - std::string("help@example.com").size() +
                            std::string("[REDACTED:EMAIL_ADDRESS]").size());
}

} // namespace
} // namespace cordon::guard
