// The stream transcoder on each front door / backend pair: the same protocol passes events
// through, the others are translated; the end of the stream is held back until finish(); broken
// streams end with an error event in the client's protocol; placeholders split across events are
// restored.
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "cordon/pseudonymize/pseudonymizer.h"
#include "gateway/stream_relay.h"

namespace cordon::gateway {
namespace {

using protocol::SseEvent;
using protocol::Wire;

std::vector<SseEvent> openAiEvents(const std::vector<std::string>& pieces) {
  std::vector<SseEvent> events;
  events.push_back(
      {{},
       R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",)"
       R"("choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]})"});
  for (const auto& piece : pieces) {
    events.push_back({{},
                      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",)"
                      R"("choices":[{"index":0,"delta":{"content":")" +
                          piece + R"("},"finish_reason":null}]})"});
  }
  events.push_back({{},
                    R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",)"
                    R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"});
  events.push_back({{}, "[DONE]"});
  return events;
}

std::vector<SseEvent> anthropicEvents(const std::vector<std::string>& pieces) {
  std::vector<SseEvent> events;
  events.push_back({"message_start",
                    R"({"type":"message_start","message":{"id":"msg_1","type":"message",)"
                    R"("role":"assistant","model":"c","content":[],"stop_reason":null,)"
                    R"("stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":0}}})"});
  events.push_back({"content_block_start", R"({"type":"content_block_start","index":0,)"
                                           R"("content_block":{"type":"text","text":""}})"});
  for (const auto& piece : pieces) {
    events.push_back({"content_block_delta", R"({"type":"content_block_delta","index":0,)"
                                             R"("delta":{"type":"text_delta","text":")" +
                                                 piece + R"("}})"});
  }
  events.push_back({"content_block_stop", R"({"type":"content_block_stop","index":0})"});
  events.push_back({"message_delta", R"({"type":"message_delta","delta":{"stop_reason":)"
                                     R"("end_turn","stop_sequence":null},)"
                                     R"("usage":{"output_tokens":3}})"});
  events.push_back({"message_stop", R"({"type":"message_stop"})"});
  return events;
}

/// The text a client of `front` reads from `events`.
std::string textOf(Wire front, const std::vector<SseEvent>& events) {
  std::string text;
  for (const auto& event : events) {
    boost::system::error_code ec;
    const auto json = boost::json::parse(event.data, ec);
    if (ec) {
      continue;
    }
    if (front == Wire::OpenAi) {
      if (const auto* content = json.find_pointer("/choices/0/delta/content", ec);
          content != nullptr && content->is_string()) {
        text += content->get_string();
      }
    } else if (const auto* delta = json.find_pointer("/delta/text", ec);
               delta != nullptr && delta->is_string()) {
      text += delta->get_string();
    }
  }
  return text;
}

struct Pair {
  Wire backend;
  Wire front;
};

class TranscoderPairs : public ::testing::TestWithParam<Pair> {};

TEST_P(TranscoderPairs, TranslatesAndHoldsTheEndUntilFinish) {
  const auto [backend, front] = GetParam();
  StreamTranscoder transcoder(backend, front, nullptr, true);
  EXPECT_EQ(transcoder.transcodes(), backend != front);
  auto events = backend == Wire::OpenAi ? openAiEvents({"Hello", " world"})
                                        : anthropicEvents({"Hello", " world"});
  std::vector<SseEvent> out;
  ASSERT_TRUE(transcoder.convert(events, out));
  EXPECT_TRUE(transcoder.complete());
  EXPECT_EQ(textOf(front, out), "Hello world");
  for (const auto& event : out) {
    EXPECT_NE(event.data, "[DONE]");
    EXPECT_NE(event.event, "message_stop");
  }
  std::vector<SseEvent> end;
  ASSERT_TRUE(transcoder.finish(end));
  ASSERT_FALSE(end.empty());
  if (front == Wire::OpenAi) {
    EXPECT_EQ(end.back().data, "[DONE]");
  } else {
    EXPECT_EQ(end.back().event, "message_stop");
  }
}

TEST_P(TranscoderPairs, BrokenStreamEndsWithAnErrorInTheClientsProtocol) {
  const auto [backend, front] = GetParam();
  StreamTranscoder transcoder(backend, front, nullptr, false);
  std::vector<SseEvent> events{{{}, "not json at all"}};
  if (backend == Wire::Anthropic) {
    events = {{"content_block_delta", R"({"type":"content_block_delta","index":0,)"
                                      R"("delta":{"type":"text_delta","text":"x"}})"}};
  }
  std::vector<SseEvent> out;
  const auto converted = transcoder.convert(events, out);
  if (backend == front && backend == Wire::OpenAi) {
    // The fast path does not parse content events: garbage passes, the missing end is caught.
    EXPECT_TRUE(converted);
    EXPECT_FALSE(transcoder.complete());
  } else {
    ASSERT_FALSE(converted);
    EXPECT_EQ(converted.error().code, Errc::UpstreamFailed);
    EXPECT_EQ(converted.error().detail.find("text_delta"), std::string::npos);
  }
  out.clear();
  transcoder.fail(makeError(Errc::UpstreamFailed, "backend b ended the stream early"), out);
  ASSERT_EQ(out.size(), 1U);
  const auto error = boost::json::parse(out.back().data);
  if (front == Wire::OpenAi) {
    EXPECT_NE(error.as_object().if_contains("error"), nullptr);
  } else {
    EXPECT_EQ(out.back().event, "error");
    EXPECT_EQ(error.at("type").as_string(), "error");
  }
}

INSTANTIATE_TEST_SUITE_P(AllPairs, TranscoderPairs,
                         ::testing::Values(Pair{Wire::OpenAi, Wire::OpenAi},
                                           Pair{Wire::OpenAi, Wire::Anthropic},
                                           Pair{Wire::Anthropic, Wire::OpenAi},
                                           Pair{Wire::Anthropic, Wire::Anthropic}));

TEST(StreamTranscoder, RestoresPlaceholdersSplitAcrossEventsForEitherClient) {
  pseudonymize::Pseudonymizer pseudonymizer;
  const std::vector<classify::Finding> findings{{"PERSON", 0, 8, 1.0F}};
  EXPECT_EQ(pseudonymizer.apply("Jane Roe", findings, [](std::string_view) { return true; }),
            "<PERSON_1>");
  const auto map = std::move(pseudonymizer).take();
  for (const Wire front : {Wire::OpenAi, Wire::Anthropic}) {
    for (const Wire backend : {Wire::OpenAi, Wire::Anthropic}) {
      StreamTranscoder transcoder(backend, front, &map, false);
      EXPECT_TRUE(transcoder.transcodes());
      const std::vector<std::string> pieces{"Dear <PER", "SON_1>, thanks"};
      auto events = backend == Wire::OpenAi ? openAiEvents(pieces) : anthropicEvents(pieces);
      std::vector<SseEvent> out;
      ASSERT_TRUE(transcoder.convert(events, out));
      ASSERT_TRUE(transcoder.finish(out));
      EXPECT_EQ(textOf(front, out), "Dear Jane Roe, thanks");
    }
  }
}

TEST(StreamTranscoder, CountsUsageFromEitherBackend) {
  StreamTranscoder from_anthropic(Wire::Anthropic, Wire::Anthropic, nullptr, false);
  auto events = anthropicEvents({"hi"});
  std::vector<SseEvent> out;
  ASSERT_TRUE(from_anthropic.convert(events, out));
  ASSERT_TRUE(from_anthropic.usage());
  EXPECT_EQ(from_anthropic.usage()->input_tokens, 7);
  EXPECT_EQ(from_anthropic.usage()->output_tokens, 3);

  StreamTranscoder to_openai(Wire::Anthropic, Wire::OpenAi, nullptr, false);
  events = anthropicEvents({"hi"});
  out.clear();
  ASSERT_TRUE(to_openai.convert(events, out));
  ASSERT_TRUE(to_openai.usage());
  EXPECT_EQ(to_openai.usage()->output_tokens, 3);
  // Not asked for: no usage reaches an OpenAI client.
  for (const auto& event : out) {
    EXPECT_EQ(event.data.find("\"usage\""), std::string::npos) << event.data;
  }
}

} // namespace
} // namespace cordon::gateway
