#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/pseudonymize/pseudonymizer.h"
#include "unit/pseudonymize/support.h"

namespace cordon::pseudonymize {
namespace {

using testing::makeMap;

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
                                               {"EMAIL_ADDRESS", "ann@example.com"},
                                               {"NOTE", "a \"quoted\"\nnote"}});
  return built;
}

// The longest accepted spelling of the map's longest placeholder, less its '>': nothing held
// can be longer.
constexpr std::size_t kLongestHold = 1 + 2 + std::string_view("EMAIL_ADDRESS_1").size() + 2;

const std::vector<std::string_view>& texts() {
  static const std::vector<std::string_view> all{
      "Dear <PERSON_1>, your address <EMAIL_ADDRESS_1> is on file.",
      "<PERSON_1><PERSON_2> <PERSON_10>, <PERSON_1>0 and <PERSON_11>",
      "Near misses: <PERSON_1x> <PERSON-1> a < b, c > d <<PERSON_1>> <PERSON_",
      "Tolerated: < person_1 >, <Person_2\t>, <\tEMAIL_address_1  > and <   PERSON_1>",
      R"({"to":"<EMAIL_ADDRESS_1>","note":"<NOTE_1>","cc":"<LOCATION_1>"})",
      "Grüße, <PERSON_3> — 東京<PERSON_4>さん <PERSON_9",
      "<<<PERSON_1 <PERSON_2 > <PERSON_99> <PERSON_1",
      "plain text without any bracket at all",
  };
  return all;
}

std::string streamed(const std::vector<std::string_view>& fragments, Context context,
                     std::size_t* max_held = nullptr) {
  StreamRestorer restorer(map(), context);
  std::string out;
  for (const std::string_view fragment : fragments) {
    restorer.feed(fragment, out);
    if (max_held != nullptr) {
      *max_held = std::max(*max_held, restorer.held());
    }
  }
  restorer.finish(out);
  EXPECT_EQ(restorer.held(), 0U);
  return out;
}

TEST(StreamRestorer, EveryTwoChunkSplitEqualsTheWholeRestore) {
  for (const std::string_view text : texts()) {
    for (const Context context : {Context::Text, Context::JsonString}) {
      const std::string whole = restore(text, map(), context);
      for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        std::size_t max_held = 0;
        ASSERT_EQ(streamed({text.substr(0, cut), text.substr(cut)}, context, &max_held), whole)
            << "text: " << text << " cut at " << cut;
        EXPECT_LE(max_held, kLongestHold);
      }
    }
  }
}

TEST(StreamRestorer, EveryThreeChunkSplitEqualsTheWholeRestore) {
  for (const std::string_view text : texts()) {
    for (const Context context : {Context::Text, Context::JsonString}) {
      const std::string whole = restore(text, map(), context);
      for (std::size_t first = 0; first <= text.size(); ++first) {
        for (std::size_t second = first; second <= text.size(); ++second) {
          ASSERT_EQ(streamed({text.substr(0, first), text.substr(first, second - first),
                              text.substr(second)},
                             context),
                    whole)
              << "text: " << text << " cuts at " << first << ", " << second;
        }
      }
    }
  }
}

TEST(StreamRestorer, ByteByByteEqualsTheWholeRestore) {
  for (const std::string_view text : texts()) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < text.size(); ++i) {
      bytes.push_back(text.substr(i, 1));
    }
    EXPECT_EQ(streamed(bytes, Context::Text), restore(text, map()));
  }
}

// Whether `suffix` (starting with '<') is a proper prefix of an accepted spelling of one of the
// map's placeholders: written from the rule, independently of the scanner.
bool couldStartAPlaceholder(std::string_view suffix) {
  for (const PlaceholderMap::Entry& entry : map().entries()) {
    const std::string_view name =
        std::string_view(entry.placeholder).substr(1, entry.placeholder.size() - 2);
    std::size_t i = 1;
    std::size_t pads = 0;
    while (i < suffix.size() && (suffix[i] == ' ' || suffix[i] == '\t') && pads < 2) {
      ++i;
      ++pads;
    }
    std::size_t matched = 0;
    while (i < suffix.size() && matched < name.size() &&
           std::toupper(static_cast<unsigned char>(suffix[i])) == name[matched]) {
      ++i;
      ++matched;
    }
    if (i == suffix.size()) {
      return true; // ran out inside the lead pads or the name
    }
    if (matched < name.size()) {
      continue;
    }
    pads = 0;
    while (i < suffix.size() && (suffix[i] == ' ' || suffix[i] == '\t') && pads < 2) {
      ++i;
      ++pads;
    }
    if (i == suffix.size()) {
      return true;
    }
  }
  return false;
}

// After every prefix of every text, what is held is exactly the shortest suffix that could still
// start a placeholder: from the last '<' if that can, nothing otherwise.
TEST(StreamRestorer, HoldsBackOnlyWhatCouldStillBeAPlaceholder) {
  for (const std::string_view text : texts()) {
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
      const std::string_view prefix = text.substr(0, cut);
      StreamRestorer restorer(map());
      std::string out;
      restorer.feed(prefix, out);
      const std::size_t last = prefix.rfind('<');
      const std::size_t expected =
          last != std::string_view::npos && couldStartAPlaceholder(prefix.substr(last))
              ? prefix.size() - last
              : 0;
      EXPECT_EQ(restorer.held(), expected) << "prefix: " << prefix;
    }
  }
}

TEST(StreamRestorer, FinishAfterACutMidPlaceholderEmitsTheHeldBytesUnchanged) {
  for (const std::string_view cut : {"<", "<PER", "<person_1", "<PERSON_1 ", "< EMAIL_ADDRESS_1\t",
                                     "Hello <PERSON_1", "x <PERSON_"}) {
    for (const Context context : {Context::Text, Context::JsonString}) {
      StreamRestorer restorer(map(), context);
      std::string out;
      restorer.feed(cut, out);
      EXPECT_GT(restorer.held(), 0U) << cut;
      restorer.finish(out);
      EXPECT_EQ(out, cut);
      EXPECT_EQ(restorer.held(), 0U);
    }
  }
}

TEST(StreamRestorer, PlainTextIsReleasedAtOnce) {
  StreamRestorer restorer(map());
  std::string out;
  for (const std::string_view fragment : {"Hello", ", ", "world", " — ", "no brackets here", ""}) {
    const std::size_t before = out.size();
    restorer.feed(fragment, out);
    EXPECT_EQ(restorer.held(), 0U);
    EXPECT_EQ(out.substr(before), fragment);
  }
}

TEST(StreamRestorer, ARestoredPlaceholderIsReleasedWithItsClosingBracket) {
  StreamRestorer restorer(map());
  std::string out;
  restorer.feed("Hi <PERS", out);
  EXPECT_EQ(out, "Hi ");
  EXPECT_EQ(restorer.held(), 5U);
  restorer.feed("ON_1", out);
  EXPECT_EQ(out, "Hi ");
  EXPECT_EQ(restorer.held(), 9U);
  restorer.feed(">, how", out);
  EXPECT_EQ(out, "Hi Ann, how");
  EXPECT_EQ(restorer.held(), 0U);
  restorer.feed(" is <LOC", out); // no LOCATION in the map: nothing to wait for
  EXPECT_EQ(out, "Hi Ann, how is <LOC");
  EXPECT_EQ(restorer.held(), 0U);
}

TEST(StreamRestorer, AnEmptyMapNeverHoldsAnything) {
  const PlaceholderMap empty = makeMap({});
  StreamRestorer restorer(empty);
  std::string out;
  restorer.feed("a <PERSON_", out);
  EXPECT_EQ(restorer.held(), 0U);
  restorer.feed("1> <", out);
  EXPECT_EQ(restorer.held(), 0U);
  restorer.finish(out);
  EXPECT_EQ(out, "a <PERSON_1> <");
}

} // namespace
} // namespace cordon::pseudonymize
