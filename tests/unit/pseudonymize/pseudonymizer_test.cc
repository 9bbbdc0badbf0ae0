#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/pseudonymize/pseudonymizer.h"
#include "unit/pseudonymize/support.h"

namespace cordon::pseudonymize {
namespace {

using testing::findingsFor;
using testing::replaceAll;
using testing::Value;

struct Case {
  std::string_view name;
  std::vector<std::string_view> texts; ///< the request's texts, reserved then applied in order
  std::vector<Value> values;           ///< what the classifier finds in them
  std::vector<std::string_view> expected;
  std::size_t distinct; ///< map size
};

const std::vector<Case>& cases() {
  static const std::vector<Case> table{
      {"same value across texts gets the same placeholder",
       {"Ann wrote to Bob.", "Bob replied to Ann, cc Ann."},
       {{"PERSON", "Ann"}, {"PERSON", "Bob"}},
       {"<PERSON_1> wrote to <PERSON_2>.", "<PERSON_2> replied to <PERSON_1>, cc <PERSON_1>."},
       2},
      {"numbering is per type",
       {"Ann (ann@example.com) met Bob (bob@example.com) in Paris."},
       {{"PERSON", "Ann"},
        {"PERSON", "Bob"},
        {"EMAIL_ADDRESS", "ann@example.com"},
        {"EMAIL_ADDRESS", "bob@example.com"},
        {"LOCATION", "Paris"}},
       {"<PERSON_1> (<EMAIL_ADDRESS_1>) met <PERSON_2> (<EMAIL_ADDRESS_2>) in <LOCATION_1>."},
       5},
      {"e-mail addresses compare case-insensitively",
       {"Write to Ann.Lee@Example.com", "or ann.lee@example.COM, not ann.le@example.com"},
       {{"EMAIL_ADDRESS", "Ann.Lee@Example.com"},
        {"EMAIL_ADDRESS", "ann.lee@example.COM"},
        {"EMAIL_ADDRESS", "ann.le@example.com"}},
       {"Write to <EMAIL_ADDRESS_1>", "or <EMAIL_ADDRESS_1>, not <EMAIL_ADDRESS_2>"},
       2},
      {"phone numbers compare without spaces, dashes, dots and parentheses",
       {"Call +44 20 7946 0958 or +442079460958.", "Also (+44) 20-7946-0958, 20.7946.0958."},
       {{"PHONE_NUMBER", "+44 20 7946 0958"},
        {"PHONE_NUMBER", "+442079460958"},
        {"PHONE_NUMBER", "(+44) 20-7946-0958"},
        {"PHONE_NUMBER", "20.7946.0958"}},
       {"Call <PHONE_NUMBER_1> or <PHONE_NUMBER_1>.", "Also <PHONE_NUMBER_1>, <PHONE_NUMBER_2>."},
       2},
      {"IBANs and IDs compare without spaces and letter case",
       {"Pay GB82 WEST 1234 5698 7654 32 or gb82west12345698765432; NI AB 12 34 56 C = ab123456c"},
       {{"IBAN_CODE", "GB82 WEST 1234 5698 7654 32"},
        {"IBAN_CODE", "gb82west12345698765432"},
        {"UK_NINO", "AB 12 34 56 C"},
        {"UK_NINO", "ab123456c"}},
       {"Pay <IBAN_CODE_1> or <IBAN_CODE_1>; NI <UK_NINO_1> = <UK_NINO_1>"},
       2},
      {"card numbers with dashes and spaces are one value",
       {"4111-1111-1111-1111 and 4111 1111 1111 1111"},
       {{"CREDIT_CARD", "4111-1111-1111-1111"}, {"CREDIT_CARD", "4111 1111 1111 1111"}},
       {"<CREDIT_CARD_1> and <CREDIT_CARD_1>"},
       1},
      {"names and codenames compare exactly",
       {"Ann Lee, ann lee, ANN LEE; Apollo 11 and apollo 11"},
       {{"PERSON", "Ann Lee"},
        {"PERSON", "ann lee"},
        {"PERSON", "ANN LEE"},
        {"PROJECT_CODENAME", "Apollo 11"},
        {"PROJECT_CODENAME", "apollo 11"}},
       {"<PERSON_1>, <PERSON_2>, <PERSON_3>; <PROJECT_CODENAME_1> and <PROJECT_CODENAME_2>"},
       5},
      {"values that are substrings of each other get different placeholders",
       {"Ann Lee and Ann", "Ann, then Ann Lee"},
       {{"PERSON", "Ann Lee"}, {"PERSON", "Ann"}},
       {"<PERSON_1> and <PERSON_2>", "<PERSON_2>, then <PERSON_1>"},
       2},
      {"placeholders the user typed are skipped",
       {"I am <PERSON_1>, my friend is Ann.", "Ann and Bob and Cy; see < person_3 >."},
       {{"PERSON", "Ann"}, {"PERSON", "Bob"}, {"PERSON", "Cy"}},
       {"I am <PERSON_1>, my friend is <PERSON_2>.",
        "<PERSON_2> and <PERSON_4> and <PERSON_5>; see < person_3 >."},
       3},
      {"only accepted spellings are reserved; others cannot collide",
       {"<PERSON_01> <PERSON-2> <   PERSON_3> PERSON_4 Ann Bob Cy Di"},
       {{"PERSON", "Ann"}, {"PERSON", "Bob"}, {"PERSON", "Cy"}, {"PERSON", "Di"}},
       {"<PERSON_01> <PERSON-2> <   PERSON_3> PERSON_4 <PERSON_1> <PERSON_2> <PERSON_3> "
        "<PERSON_4>"},
       4},
      {"a reserved placeholder of another type does not shift this one",
       {"<EMAIL_ADDRESS_1> from Ann"},
       {{"PERSON", "Ann"}},
       {"<EMAIL_ADDRESS_1> from <PERSON_1>"},
       1},
      {"multi-byte UTF-8 around and inside spans",
       {"Grüße an Jürgen Müller aus München — 東京の田中さん"},
       {{"PERSON", "Jürgen Müller"}, {"LOCATION", "München"}, {"PERSON", "田中"}},
       {"Grüße an <PERSON_1> aus <LOCATION_1> — 東京の<PERSON_2>さん"},
       3},
      {"findings at the very start and end, adjacent to each other",
       {"AnnBob"},
       {{"PERSON", "Ann"}, {"PERSON", "Bob"}},
       {"<PERSON_1><PERSON_2>"},
       2},
      {"no findings leave the text unchanged",
       {"Nothing to see here.", ""},
       {},
       {"Nothing to see here.", ""},
       0},
  };
  return table;
}

TEST(Pseudonymizer, Table) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Pseudonymizer pseudonymizer;
    for (const std::string_view text : c.texts) {
      pseudonymizer.reserve(text);
    }
    std::vector<std::string> outputs;
    for (const std::string_view text : c.texts) {
      const auto findings = findingsFor(text, c.values);
      outputs.push_back(pseudonymizer.apply(text, findings, replaceAll));
    }
    const PlaceholderMap map = std::move(pseudonymizer).take();
    ASSERT_EQ(outputs.size(), c.expected.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      EXPECT_EQ(outputs[i], c.expected[i]) << "text " << i;
    }
    EXPECT_EQ(map.size(), c.distinct);
    EXPECT_EQ(map.entries().size(), c.distinct);
    EXPECT_EQ(map.empty(), c.distinct == 0);
  }
}

// Restoring what was pseudonymized gives the request back, each value as its entry's original
// (the first spelling of its normalised form), the user's own placeholder-shaped text untouched.
TEST(Pseudonymizer, RestoreGivesTheRequestBack) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Pseudonymizer pseudonymizer;
    for (const std::string_view text : c.texts) {
      pseudonymizer.reserve(text);
    }
    std::vector<std::string> outputs;
    for (const std::string_view text : c.texts) {
      outputs.push_back(pseudonymizer.apply(text, findingsFor(text, c.values), replaceAll));
    }
    const PlaceholderMap map = std::move(pseudonymizer).take();
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const std::string_view text = c.texts[i];
      const std::string& output = outputs[i];
      std::string expected;
      std::size_t in = 0;
      std::size_t at = 0;
      for (const classify::Finding& finding : findingsFor(text, c.values)) {
        expected.append(text.substr(in, finding.start - in));
        at += finding.start - in;
        const std::size_t close = output.find('>', at);
        ASSERT_NE(close, std::string::npos);
        const std::string* original = map.find(output.substr(at, close + 1 - at));
        ASSERT_NE(original, nullptr) << output.substr(at, close + 1 - at);
        expected.append(*original);
        at = close + 1;
        in = finding.end;
      }
      expected.append(text.substr(in));
      EXPECT_EQ(restore(output, map), expected) << "text " << i;
    }
  }
}

TEST(Pseudonymizer, TheMapKeepsTheFirstSpelling) {
  Pseudonymizer pseudonymizer;
  for (const std::string_view text : {"+442079460958", "+44 20 7946 0958"}) {
    const auto findings = findingsFor(text, {{"PHONE_NUMBER", text}});
    EXPECT_EQ(pseudonymizer.apply(text, findings, replaceAll), "<PHONE_NUMBER_1>");
  }
  const PlaceholderMap map = std::move(pseudonymizer).take();
  ASSERT_EQ(map.entries().size(), 1U);
  EXPECT_EQ(map.entries()[0].placeholder, "<PHONE_NUMBER_1>");
  EXPECT_EQ(map.entries()[0].original, "+442079460958");
  EXPECT_EQ(map.entries()[0].type, "PHONE_NUMBER");
  ASSERT_NE(map.find("<PHONE_NUMBER_1>"), nullptr);
  EXPECT_EQ(*map.find("<PHONE_NUMBER_1>"), "+442079460958");
  // find() takes the placeholder exactly as written by cordon; restore() is the tolerant one.
  EXPECT_EQ(map.find("<phone_number_1>"), nullptr);
  EXPECT_EQ(map.find("PHONE_NUMBER_1"), nullptr);
  EXPECT_EQ(map.find("<PHONE_NUMBER_2>"), nullptr);
  EXPECT_EQ(map.find(""), nullptr);
}

TEST(Pseudonymizer, OnlyTypesThePredicateChoosesAreReplaced) {
  const std::string_view text = "Ann <ann@example.com> called +44 20 7946 0958 from Paris.";
  const auto findings = findingsFor(text, {{"PERSON", "Ann"},
                                           {"EMAIL_ADDRESS", "ann@example.com"},
                                           {"PHONE_NUMBER", "+44 20 7946 0958"},
                                           {"LOCATION", "Paris"}});
  struct Row {
    std::vector<std::string_view> types;
    std::string_view expected;
  };
  const std::vector<Row> rows{
      {{}, "Ann <ann@example.com> called +44 20 7946 0958 from Paris."},
      {{"PERSON"}, "<PERSON_1> <ann@example.com> called +44 20 7946 0958 from Paris."},
      {{"EMAIL_ADDRESS", "LOCATION"},
       "Ann <<EMAIL_ADDRESS_1>> called +44 20 7946 0958 from <LOCATION_1>."},
      {{"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "LOCATION"},
       "<PERSON_1> <<EMAIL_ADDRESS_1>> called <PHONE_NUMBER_1> from <LOCATION_1>."},
  };
  for (const Row& row : rows) {
    Pseudonymizer pseudonymizer;
    pseudonymizer.reserve(text);
    const auto chosen = [&](std::string_view type) {
      return std::find(row.types.begin(), row.types.end(), type) != row.types.end();
    };
    EXPECT_EQ(pseudonymizer.apply(text, findings, chosen), row.expected);
    const PlaceholderMap map = std::move(pseudonymizer).take();
    EXPECT_EQ(map.size(), row.types.size());
    EXPECT_EQ(restore(row.expected, map), text);
  }
}

// The classifier promises sorted, disjoint, in-range findings; if one is not, it is clamped so
// that its bytes are still covered, and nothing is read out of range.
TEST(Pseudonymizer, MalformedFindingsAreClampedNotLeaked) {
  const std::string_view text = "Ann Lee and Bob";
  const std::vector<classify::Finding> findings{
      {"PERSON", 0, 7, 1.0F},  // "Ann Lee"
      {"PERSON", 4, 9, 1.0F},  // overlaps: only " a" (7..9) is left
      {"PERSON", 12, 99, 1.0F} // runs past the end
  };
  Pseudonymizer pseudonymizer;
  EXPECT_EQ(pseudonymizer.apply(text, findings, replaceAll), "<PERSON_1><PERSON_2>nd <PERSON_3>");
  const PlaceholderMap map = std::move(pseudonymizer).take();
  EXPECT_EQ(restore("<PERSON_1><PERSON_2>nd <PERSON_3>", map), text);
}

TEST(Pseudonymizer, ReservingEveryAcceptedSpellingKeepsTheUsersTextIntact) {
  // Every spelling restore accepts of <PERSON_1>: reserved, it is never made, so it comes back.
  for (const std::string_view lead : {"", " ", "\t", "  ", " \t"}) {
    for (const std::string_view type : {"PERSON", "person", "PeRsOn"}) {
      for (const std::string_view trail : {"", " ", "\t\t"}) {
        const std::string typed =
            "<" + std::string(lead) + std::string(type) + "_1" + std::string(trail) + ">";
        const std::string text = "I am " + typed + ", Ann is my friend";
        Pseudonymizer pseudonymizer;
        pseudonymizer.reserve(text);
        const std::string out =
            pseudonymizer.apply(text, findingsFor(text, {{"PERSON", "Ann"}}), replaceAll);
        const PlaceholderMap map = std::move(pseudonymizer).take();
        EXPECT_EQ(out, "I am " + typed + ", <PERSON_2> is my friend");
        EXPECT_EQ(restore(out, map), text);
        EXPECT_EQ(restore(out, map, Context::JsonString), text);
      }
    }
  }
}

TEST(Pseudonymizer, TypesWithDigitsAndUnderscores) {
  // The name's last '_' separates type and number, so these never collide.
  const std::string_view text = "<ID_2_1> <ID_2> x y";
  Pseudonymizer pseudonymizer;
  pseudonymizer.reserve(text);
  const auto findings = findingsFor(text, {{"ID_2", "x"}, {"ID", "y"}});
  EXPECT_EQ(pseudonymizer.apply(text, findings, replaceAll), "<ID_2_1> <ID_2> <ID_2_2> <ID_1>");
}

TEST(Pseudonymizer, MovedAndSpentObjectsStayUsable) {
  Pseudonymizer first;
  Pseudonymizer second(std::move(first));
  const std::string_view text = "Ann";
  const auto findings = findingsFor(text, {{"PERSON", "Ann"}});
  EXPECT_EQ(second.apply(text, findings, replaceAll), "<PERSON_1>");
  first = std::move(second);
  EXPECT_EQ(first.apply(text, findings, replaceAll), "<PERSON_1>");
  const PlaceholderMap map = std::move(first).take();
  EXPECT_EQ(map.size(), 1U);
  EXPECT_TRUE(std::move(first).take().empty()); // NOLINT(bugprone-use-after-move): spent is empty
  const PlaceholderMap empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.find("<PERSON_1>"), nullptr);
  EXPECT_EQ(restore("<PERSON_1>", empty), "<PERSON_1>");
}

} // namespace
} // namespace cordon::pseudonymize
