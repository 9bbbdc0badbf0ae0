#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/protocol/sse.h"

namespace cordon::protocol {
namespace {

std::string dump(const std::vector<SseEvent>& events) {
  std::string out;
  for (const SseEvent& event : events) {
    out += "[" + event.event + "|" + event.data + "]";
  }
  return out;
}

/// Feeds `pieces` in order and returns the events; fails the test on an error.
std::vector<SseEvent> parseAll(const std::vector<std::string_view>& pieces) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (const std::string_view piece : pieces) {
    const auto fed = parser.feed(piece, events);
    EXPECT_TRUE(fed.has_value()) << fed.error().detail;
  }
  return events;
}

constexpr std::string_view kStream = "\xEF\xBB\xBF"
                                     ": keep-alive\r\n"
                                     "event: message_start\r\n"
                                     "data: {\"a\":1}\r\n"
                                     "\r\n"
                                     "data: line one\n"
                                     "data:line two\n"
                                     "data:  indented\n"
                                     "id: 7\n"
                                     "retry: 100\n"
                                     "\n"
                                     "event: ignored-no-data\r"
                                     "\r"
                                     "data\r"
                                     "\r"
                                     "data: [DONE]\n\n";

constexpr std::string_view kExpected =
    "[message_start|{\"a\":1}][|line one\nline two\n indented][|][|[DONE]]";

TEST(SseParser, ParsesAMixedStream) {
  EXPECT_EQ(dump(parseAll({kStream})), kExpected);
}

TEST(SseParser, EverySplitPointGivesTheSameEvents) {
  for (std::size_t split = 0; split <= kStream.size(); ++split) {
    EXPECT_EQ(dump(parseAll({kStream.substr(0, split), kStream.substr(split)})), kExpected)
        << "split at " << split;
  }
}

TEST(SseParser, EveryPairOfSplitPointsGivesTheSameEvents) {
  for (std::size_t first = 0; first <= kStream.size(); ++first) {
    for (std::size_t second = first; second <= kStream.size(); ++second) {
      const auto events = parseAll({kStream.substr(0, first), kStream.substr(first, second - first),
                                    kStream.substr(second)});
      ASSERT_EQ(dump(events), kExpected) << "splits at " << first << ", " << second;
    }
  }
}

TEST(SseParser, ByteAtATime) {
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < kStream.size(); ++i) {
    bytes.push_back(kStream.substr(i, 1));
  }
  EXPECT_EQ(dump(parseAll(bytes)), kExpected);
}

TEST(SseParser, CrLfSplitAcrossFeedsIsOneLineEnd) {
  // If the "\n" were a second line end, the blank line would dispatch "a" alone.
  EXPECT_EQ(dump(parseAll({"data: a\r", "\ndata: b\r", "\n\r", "\n"})), "[|a\nb]");
}

TEST(SseParser, CarriageReturnOnlyLineEnds) {
  EXPECT_EQ(dump(parseAll({"event: e\rdata: x\rdata: y\r\r"})), "[e|x\ny]");
}

TEST(SseParser, CommentsAreIgnored) {
  EXPECT_EQ(dump(parseAll({": ping\n\n:\ndata: x\n: in the middle\ndata: y\n\n"})), "[|x\ny]");
}

TEST(SseParser, FieldSyntax) {
  // No colon: the whole line is the field name. Only one space after the colon is stripped.
  EXPECT_EQ(dump(parseAll({"data\n\n"})), "[|]");
  EXPECT_EQ(dump(parseAll({"data:x\n\n"})), "[|x]");
  EXPECT_EQ(dump(parseAll({"data:  x \n\n"})), "[| x ]");
  EXPECT_EQ(dump(parseAll({"data: a: b\n\n"})), "[|a: b]");
  EXPECT_EQ(dump(parseAll({"Data: x\nDATA: y\n\n"})), ""); // names are case-sensitive
  EXPECT_EQ(dump(parseAll({"dat", "a: spl", "it\n", "\n"})), "[|split]");
}

TEST(SseParser, EventTypeResetsAfterEachEvent) {
  EXPECT_EQ(dump(parseAll({"event: a\ndata: 1\n\ndata: 2\n\n"})), "[a|1][|2]");
  EXPECT_EQ(dump(parseAll({"event: a\n\ndata: 2\n\n"})), "[|2]");
}

TEST(SseParser, BlankLinesWithoutDataDispatchNothing) {
  EXPECT_EQ(dump(parseAll({"\n\n\r\n\r\r"})), "");
  EXPECT_EQ(dump(parseAll({"id: 1\nretry: 5\nfoo: bar\n\n"})), "");
}

TEST(SseParser, SkipsABomOnlyAtTheStart) {
  EXPECT_EQ(dump(parseAll({"\xEF\xBB\xBF"
                           "data: x\n\n"})),
            "[|x]");
  EXPECT_EQ(dump(parseAll({"\xEF", "\xBB",
                           "\xBF"
                           "data: x\n\n"})),
            "[|x]");
  // A second BOM is part of the field name, which makes it an unknown field.
  EXPECT_EQ(dump(parseAll({"\xEF\xBB\xBF\xEF\xBB\xBF"
                           "data: x\n\ndata: y\n\n"})),
            "[|y]");
  // Bytes that only start like a BOM are content.
  EXPECT_EQ(dump(parseAll({"data: \xEF", "\xBB\n\n"})), "[|\xEF\xBB]");
  EXPECT_EQ(dump(parseAll({"\xEF", "data: x\n\ndata: y\n\n"})), "[|y]");
}

TEST(SseParser, EventsLargerThanTheBoundFail) {
  SseParser parser(64);
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: small\n\n", events).has_value());
  ASSERT_EQ(events.size(), 1U);
  const auto failed = parser.feed("data: " + std::string(100, 'x'), events);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, Errc::UpstreamFailed);
  EXPECT_EQ(failed.error().detail, "upstream event exceeds 64 bytes");
  // The parser stays failed, even for input that would be fine on its own.
  const auto again = parser.feed("\n\ndata: ok\n\n", events);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().detail, "upstream event exceeds 64 bytes");
  EXPECT_EQ(events.size(), 1U);
}

TEST(SseParser, ManySmallDataLinesCountTowardsTheBound) {
  SseParser parser(64);
  std::vector<SseEvent> events;
  Result<void> fed;
  for (int i = 0; i < 20 && fed.has_value(); ++i) {
    fed = parser.feed("data: 0123456789\n", events);
  }
  ASSERT_FALSE(fed.has_value());
  EXPECT_EQ(fed.error().detail, "upstream event exceeds 64 bytes");
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, EndlessCommentLineIsBounded) {
  SseParser parser(32);
  std::vector<SseEvent> events;
  Result<void> fed;
  for (int i = 0; i < 10 && fed.has_value(); ++i) {
    fed = parser.feed(": keep talking", events);
  }
  EXPECT_FALSE(fed.has_value());
}

TEST(SseParser, AnEventExactlyAtTheBoundPasses) {
  SseParser parser(10);
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: 1234\n\n", events).has_value()); // 10-byte line
  EXPECT_EQ(dump(events), "[|1234]");
}

TEST(SseParser, ReportsPartialEvents) {
  SseParser parser;
  std::vector<SseEvent> events;
  EXPECT_FALSE(parser.hasPartialEvent());
  ASSERT_TRUE(parser.feed("data: x", events).has_value());
  EXPECT_TRUE(parser.hasPartialEvent());
  ASSERT_TRUE(parser.feed("\n", events).has_value());
  EXPECT_TRUE(parser.hasPartialEvent());
  ASSERT_TRUE(parser.feed("\n", events).has_value());
  EXPECT_FALSE(parser.hasPartialEvent());
  EXPECT_EQ(dump(events), "[|x]");
}

TEST(SseEncode, WritesEventAndDataLines) {
  EXPECT_EQ(encodeSseEvent(SseEvent{"", "{\"a\":1}"}), "data: {\"a\":1}\n\n");
  EXPECT_EQ(encodeSseEvent(SseEvent{"message_stop", "x\ny"}),
            "event: message_stop\ndata: x\ndata: y\n\n");
  EXPECT_EQ(encodeSseEvent(SseEvent{"", ""}), "data: \n\n");
  EXPECT_EQ(encodeSseEvent(SseEvent{"", "a\r\nb\rc"}), "data: a\ndata: b\ndata: c\n\n");
}

TEST(SseEncode, RoundTripsThroughTheParser) {
  const std::vector<SseEvent> events = {
      {"", "[DONE]"}, {"ping", ""}, {"delta", " leading space\n\ntwo blank"}, {"", "a:b"}};
  std::string stream;
  for (const SseEvent& event : events) {
    stream += encodeSseEvent(event);
  }
  EXPECT_EQ(dump(parseAll({stream})), dump(events));
}

} // namespace
} // namespace cordon::protocol
