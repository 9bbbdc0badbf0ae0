#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/guard/guard.h"

namespace cordon::guard {
namespace {

config::Guardrail words(std::string name, std::vector<std::string> list) {
  config::Guardrail g;
  g.name = std::move(name);
  g.kind = config::GuardKind::DenyWords;
  g.words = std::move(list);
  return g;
}

config::Guardrail regex(std::string name, std::string re) {
  config::Guardrail g;
  g.name = std::move(name);
  g.kind = config::GuardKind::DenyRegex;
  g.regex = std::move(re);
  return g;
}

struct Hit {
  std::size_t guardrail;
  std::string text;
  friend bool operator==(const Hit&, const Hit&) = default;
};

class DenyListsTest : public ::testing::Test {
protected:
  void SetUp() override {
    config::Config config;
    config::Guardrail limit;
    limit.name = "size";
    limit.kind = config::GuardKind::MaxPromptBytes;
    limit.limit = 10;
    config.guardrails = {
        limit,
        words("codenames", {"Blue Falcon", "apollo", "c++", "über", ""}),
        regex("tickets", "TCK-[0-9]{4,6}"),
        regex("secret_words", "(?i)secret\\w*"),
    };
    auto built = DenyLists::build(config);
    ASSERT_TRUE(built.has_value()) << built.error().detail;
    lists_ = *built;
    scratch_ = lists_->makeScratch();
    ASSERT_NE(scratch_, nullptr);
  }

  std::vector<Hit> hits(std::string_view text) {
    std::vector<DenyLists::Match> out;
    EXPECT_TRUE(lists_->scan(text, *scratch_, out).has_value());
    std::vector<Hit> result;
    for (const DenyLists::Match& m : out) {
      EXPECT_LE(m.span.end, text.size());
      result.push_back(
          Hit{m.guardrail, std::string(text.substr(m.span.start, m.span.end - m.span.start))});
    }
    return result;
  }

  std::shared_ptr<const DenyLists> lists_;
  DenyLists::ScratchPtr scratch_{nullptr, nullptr};
};

TEST_F(DenyListsTest, FindsWholeWordsCaselessAndRegexSpans) {
  struct Case {
    std::string text;
    std::vector<Hit> want;
  };
  const std::vector<Case> cases = {
      {"Project APOLLO starts", {{1, "APOLLO"}}},
      {"the blue falcon flies", {{1, "blue falcon"}}},
      {"apollo.", {{1, "apollo"}}},
      {"(apollo)", {{1, "apollo"}}},
      {"we use C++ here", {{1, "C++"}}},
      {"\xC3\xBC"
       "ber alles",
       {{1, "\xC3\xBC"
            "ber"}}},
      {"\xE2\x80\x9C\xC3\xBC"
       "ber\xE2\x80\x9D",
       {{1, "\xC3\xBC"
            "ber"}}}, // in curly quotes
      {"see TCK-12345 now", {{2, "TCK-12345"}}},
      {"Secretive SECRETS", {{3, "Secretive"}, {3, "SECRETS"}}},
      {"apollo TCK-1234", {{1, "apollo"}, {2, "TCK-1234"}}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(hits(c.text), c.want) << c.text;
  }
}

TEST_F(DenyListsTest, OrdinaryProseAndPartialWordsPassEveryList) {
  const std::vector<std::string> texts = {
      "",
      "apollonian architecture",
      "the apollos",
      "xapollo",
      "apollo_1",
      std::string("dr\xC3\xBC") + "ber",
      "Please ignore my previous email, the address changed to 12 Elm Street.",
      "The patient should disregard the previous dosage instructions from the pharmacy.",
      "TCK-12 is too short",
      "blue  falcon", // two spaces: the word is a literal
      "\xFF\xFE apoll\xC3",
  };
  for (const std::string& text : texts) {
    EXPECT_TRUE(hits(text).empty()) << text;
  }
}

TEST_F(DenyListsTest, HugeInput) {
  std::string text;
  while (text.size() < (1U << 20U)) {
    text += "ordinary support text about an order and a refund. ";
  }
  EXPECT_TRUE(hits(text).empty());
  text += "apollo";
  EXPECT_EQ(hits(text), (std::vector<Hit>{{1, "apollo"}}));
}

TEST_F(DenyListsTest, ScratchOfAnotherMatcherIsAnInternalError) {
  config::Config other;
  other.guardrails = {words("w", {"x"})};
  auto built = DenyLists::build(other);
  ASSERT_TRUE(built.has_value());
  auto scratch = (*built)->makeScratch();
  std::vector<DenyLists::Match> out;
  const auto result = lists_->scan("apollo", *scratch, out);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::Internal);
}

TEST(DenyLists, EmptyConfigFindsNothing) {
  const config::Config config;
  auto built = DenyLists::build(config);
  ASSERT_TRUE(built.has_value());
  auto scratch = (*built)->makeScratch();
  ASSERT_NE(scratch, nullptr);
  std::vector<DenyLists::Match> out;
  EXPECT_TRUE((*built)->scan("anything at all", *scratch, out).has_value());
  EXPECT_TRUE(out.empty());
}

TEST(DenyLists, BadRegexNamesItsGuardrail) {
  config::Config config;
  config.guardrails = {words("fine", {"ok"}), regex("broken_rule", "(unclosed"),
                       regex("empty_rule", "")};
  auto built = DenyLists::build(config);
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().code, Errc::BadRequest);
  EXPECT_NE(built.error().detail.find("guardrails.broken_rule"), std::string::npos);
  config.guardrails.erase(config.guardrails.begin() + 1);
  built = DenyLists::build(config);
  ASSERT_FALSE(built.has_value());
  EXPECT_NE(built.error().detail.find("guardrails.empty_rule"), std::string::npos);
}

} // namespace
} // namespace cordon::guard
