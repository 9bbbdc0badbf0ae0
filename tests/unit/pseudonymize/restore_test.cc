#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/pseudonymize/pseudonymizer.h"
#include "unit/pseudonymize/support.h"

namespace cordon::pseudonymize {
namespace {

using testing::makeMap;
using testing::referenceRestore;

// PERSON_1 .. PERSON_11 (so that <PERSON_1> and <PERSON_10> / <PERSON_11> share a prefix), one
// e-mail address, a codename, and a value that needs JSON escaping.
const PlaceholderMap& map() {
  static const PlaceholderMap built = makeMap({{"PERSON", "Ann"},
                                               {"PERSON", "Ann Lee"},
                                               {"PERSON", "Bob"},
                                               {"PERSON", "Cy"},
                                               {"PERSON", "Di"},
                                               {"PERSON", "Ed"},
                                               {"PERSON", "Flo"},
                                               {"PERSON", "Gus"},
                                               {"PERSON", "Hal"},
                                               {"PERSON", "Ivy"},
                                               {"PERSON", "Jo"},
                                               {"EMAIL_ADDRESS", "ann@example.com"},
                                               {"PROJECT_CODENAME", "Bluebird"},
                                               {"NOTE", "say \"hi\" C:\\tmp\n\t\x01 \xC3\xA9"},
                                               {"ID_2", "id-two"}});
  return built;
}

struct Row {
  std::string_view input;
  std::string_view expected;
};

TEST(Restore, MapIsWhatTheTableAssumes) {
  ASSERT_EQ(map().size(), 15U);
  EXPECT_EQ(*map().find("<PERSON_10>"), "Ivy");
  EXPECT_EQ(*map().find("<NOTE_1>"), "say \"hi\" C:\\tmp\n\t\x01 \xC3\xA9");
  EXPECT_EQ(*map().find("<ID_2_1>"), "id-two");
}

TEST(Restore, Table) {
  const std::vector<Row> rows{
      // Exact placeholders, alone, adjacent to text and to each other.
      {"", ""},
      {"no placeholder here", "no placeholder here"},
      {"<PERSON_1>", "Ann"},
      {"Hi <PERSON_2>!", "Hi Ann Lee!"},
      {"x<PERSON_1>y", "xAnny"},
      {"<PERSON_1><PERSON_2>", "AnnAnn Lee"},
      {"<PERSON_1> <PERSON_3>,<EMAIL_ADDRESS_1>", "Ann Bob,ann@example.com"},
      {"<PROJECT_CODENAME_1>", "Bluebird"},
      {"<ID_2_1>", "id-two"},
      // Prefixes of each other: the whole placeholder decides.
      {"<PERSON_10>", "Ivy"},
      {"<PERSON_11>", "Jo"},
      {"<PERSON_1>0", "Ann0"},
      {"<PERSON_1>1>", "Ann1>"},
      {"<PERSON_12>", "<PERSON_12>"},
      {"<PERSON_100>", "<PERSON_100>"},
      // The tolerance rule: type in any case, up to two spaces or tabs inside the brackets.
      {"<person_1>", "Ann"},
      {"<Person_1>", "Ann"},
      {"<pErSoN_10>", "Ivy"},
      {"<email_address_1>", "ann@example.com"},
      {"< PERSON_1>", "Ann"},
      {"<PERSON_1 >", "Ann"},
      {"< PERSON_1 >", "Ann"},
      {"<\tPERSON_1\t>", "Ann"},
      {"<  PERSON_1 \t>", "Ann"},
      {"< person_10  >", "Ivy"},
      // Nothing else is accepted.
      {"<   PERSON_1>", "<   PERSON_1>"},
      {"<PERSON_1   >", "<PERSON_1   >"},
      {"<PERSON-1>", "<PERSON-1>"},
      {"<PERSON 1>", "<PERSON 1>"},
      {"<PERSON__1>", "<PERSON__1>"},
      {"<PERSON_01>", "<PERSON_01>"},
      {"<PERSON_ 1>", "<PERSON_ 1>"},
      {"<_PERSON_1>", "<_PERSON_1>"},
      {"<PERSON_1x>", "<PERSON_1x>"},
      {"<PERSON_1\n>", "<PERSON_1\n>"},
      {"<\nPERSON_1>", "<\nPERSON_1>"},
      {"PERSON_1", "PERSON_1"},
      {"PERSON_1>", "PERSON_1>"},
      {"<PERSON_1", "<PERSON_1"},
      {"[PERSON_1]", "[PERSON_1]"},
      {"{PERSON_1}", "{PERSON_1}"},
      {"&lt;PERSON_1&gt;", "&lt;PERSON_1&gt;"},
      {"\xEF\xBC\x9CPERSON_1\xEF\xBC\x9E", "\xEF\xBC\x9CPERSON_1\xEF\xBC\x9E"}, // full-width
      {"<PERSON>", "<PERSON>"},
      {"<PERSON_>", "<PERSON_>"},
      {"<>", "<>"},
      {"<", "<"},
      {">", ">"},
      // Unknown placeholders stay exactly as they are, in whatever spelling.
      {"<LOCATION_1>", "<LOCATION_1>"},
      {"< location_1 >", "< location_1 >"},
      {"<PERSON_0>", "<PERSON_0>"},
      // Brackets and comparisons around placeholders.
      {"<<PERSON_1>>", "<Ann>"},
      {"<< PERSON_1 >>", "<Ann>"},
      {"<PERSON_1<PERSON_2>>", "<PERSON_1Ann Lee>"},
      {"a < b and c > d", "a < b and c > d"},
      {"if (x<PERSON_1 && y>2)", "if (x<PERSON_1 && y>2)"},
      {"<PERSON_1>>", "Ann>"},
      {"<<<", "<<<"},
      // Multi-byte UTF-8 around placeholders.
      {"Grüße an <PERSON_1> — 東京<PERSON_3>さん", "Grüße an Ann — 東京Bobさん"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(restore(row.input, map()), row.expected) << "input: " << row.input;
    EXPECT_EQ(referenceRestore(row.input, map(), Context::Text), row.expected)
        << "reference, input: " << row.input;
  }
}

TEST(Restore, JsonStringContextEscapesTheOriginal) {
  const std::vector<Row> rows{
      {R"({"note":"<NOTE_1>"})", R"({"note":"say \"hi\" C:\\tmp\n\t\u0001 )"
                                 "\xC3\xA9"
                                 R"("})"},
      {R"({"to":"<EMAIL_ADDRESS_1>","cc":["<person_1>","< PERSON_2 >"]})",
       R"({"to":"ann@example.com","cc":["Ann","Ann Lee"]})"},
      {R"({"who":"<LOCATION_1>"})", R"({"who":"<LOCATION_1>"})"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(restore(row.input, map(), Context::JsonString), row.expected);
    EXPECT_EQ(referenceRestore(row.input, map(), Context::JsonString), row.expected);
  }
  // In plain text the same value is copied as it is.
  EXPECT_EQ(restore("<NOTE_1>", map()), "say \"hi\" C:\\tmp\n\t\x01 \xC3\xA9");
}

TEST(Restore, EveryControlCharacterIsEscaped) {
  std::string value;
  for (int c = 1; c < 0x20; ++c) {
    value.push_back(static_cast<char>(c));
  }
  value += "\"\\/\x7F";
  const PlaceholderMap controls = makeMap({{"SECRET", value}});
  const std::string escaped = restore("<SECRET_1>", controls, Context::JsonString);
  EXPECT_EQ(escaped, "\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
                     "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
                     "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\\"\\\\/\x7F");
  EXPECT_EQ(escaped, referenceRestore("<SECRET_1>", controls, Context::JsonString));
}

TEST(Restore, EmptyMapLeavesEverythingAlone) {
  const PlaceholderMap empty = makeMap({});
  for (const std::string_view text : {"", "<PERSON_1>", "< person_1 >", "a<b>c<<"}) {
    EXPECT_EQ(restore(text, empty), text);
    EXPECT_EQ(restore(text, empty, Context::JsonString), text);
  }
}

// Random text made of placeholder pieces, near misses and plain bytes, against the regex
// reference: the scanner and the documented grammar agree.
TEST(Restore, AgreesWithTheRegexReferenceOnGeneratedText) {
  const std::vector<std::string_view> pieces{
      "<",        ">",          " ",         "\t",    "PERSON",
      "person",   "_",          "1",         "0",     "2",
      "x",        "<PERSON_1>", "Pe",        "RSON_", "EMAIL_ADDRESS",
      "<NOTE_1>", "ID_2_",      "é",         "\n",    "<<",
      "_1>",      "  ",         "<ID_2_1 >", "\""};
  std::mt19937 random(20240517); // NOLINT(cert-msc51-cpp): reproducible on purpose
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 24);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (int n = length(random); n > 0; --n) {
      text += pieces[pick(random)];
    }
    for (const Context context : {Context::Text, Context::JsonString}) {
      ASSERT_EQ(restore(text, map(), context), referenceRestore(text, map(), context))
          << "text: " << text;
    }
  }
}

} // namespace
} // namespace cordon::pseudonymize
