// Streaming: server-sent events relayed as they arrive, byte-exact content, usage, tool-call
// deltas, and streams that break half-way end instead of hanging.
#include <optional>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

namespace json = boost::json;

class StreamingTest : public IntegrationTest {
protected:
  void SetUp() override {
    const auto fast = startSimulator("fast");
    const auto slow = startSimulator("slow", {"--token-delay-ms", "120"});
    const auto broken = startSimulator("broken", {"--reset-mid-stream", "--token-delay-ms", "20"});
    port = startGateway(config(backend("fast", "onprem", fast) + backend("slow", "onprem", slow) +
                                   backend("broken", "onprem", broken),
                               "  assistant: { targets: [fast:m] }\n"
                               "  slow: { targets: [slow:m] }\n"
                               "  broken: { targets: [broken:m] }\n"));
  }

  std::uint16_t port = 0;
};

/// Checks the SSE framing of a finished stream: every data line but [DONE] is a JSON chunk, and
/// [DONE] comes last.
void expectWellFormedStream(const HttpResponse& response) {
  const auto events = sseData(response.body);
  ASSERT_FALSE(events.empty()) << response.body;
  EXPECT_EQ(events.back(), "[DONE]");
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    json::error_code ec;
    const json::value chunk = json::parse(events[i], ec);
    ASSERT_FALSE(ec) << "not JSON: " << events[i];
    EXPECT_EQ(str(chunk, "/object"), "chat.completion.chunk") << events[i];
  }
}

std::optional<std::string> finishReason(const HttpResponse& response) {
  for (const auto& data : sseData(response.body)) {
    json::error_code ec;
    const json::value chunk = json::parse(data, ec);
    if (!ec) {
      if (const auto* reason = at(chunk, "/choices/0/finish_reason");
          reason && reason->is_string()) {
        return str(chunk, "/choices/0/finish_reason");
      }
    }
  }
  return std::nullopt;
}

TEST_F(StreamingTest, StreamRelaysTheAnswerByteExact) {
  const std::string text =
      "h\xc3\xa9llo   w\xc3\xb6rld\n\"quoted\"\tand \xe6\x97\xa5\xe6\x9c\xac end";
  const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", text, true));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(response.complete) << response.failure;
  EXPECT_NE(response.header("content-type").find("text/event-stream"), std::string::npos);
  EXPECT_EQ(response.header("x-cordon-backend"), "fast");
  EXPECT_EQ(response.header("x-cordon-boundary"), "onprem");
  EXPECT_EQ(response.header("x-cordon-region"), "eu-de");
  EXPECT_EQ(response.header("x-cordon-level"), "public");
  EXPECT_FALSE(response.header("x-cordon-request-id").empty());
  expectWellFormedStream(response);
  EXPECT_EQ(streamedContent(response.body), "[fast] " + text);
  EXPECT_GE(sseData(response.body).size(), 8U) << "the answer was not streamed word by word";
  EXPECT_EQ(finishReason(response), "stop");
}

TEST_F(StreamingTest, ChunksArriveAsTheyAreProduced) {
  // Six words 120 ms apart: the first word must reach the client long before the last.
  std::optional<Clock::time_point> first_word;
  const std::string body = chatBody("slow", "one two three four five", true);
  HttpConnection connection(port);
  ASSERT_TRUE(connection.send(rawRequest(
      "POST", "/v1/chat/completions",
      {{"Authorization", "Bearer " + std::string(kAcmeKey)}, {"Content-Type", "application/json"}},
      body)));
  std::string seen;
  const HttpResponse response =
      connection.readResponse(kDefaultTimeout, [&](std::string_view piece) {
        seen.append(piece);
        if (!first_word && streamedContent(seen).find("[slow]") != std::string::npos) {
          first_word = Clock::now();
        }
      });
  const auto finished = Clock::now();
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(response.complete) << response.failure;
  EXPECT_EQ(streamedContent(response.body), "[slow] one two three four five");
  ASSERT_TRUE(first_word.has_value());
  EXPECT_GE(finished - *first_word, 300ms) << "the stream was buffered, not relayed";
}

TEST_F(StreamingTest, UsageChunkWhenAsked) {
  const HttpResponse response = chat(
      port, kAcmeKey,
      chatBody("assistant", "count my tokens", true, R"("stream_options":{"include_usage":true})"));
  ASSERT_EQ(response.status, 200) << response.body;
  expectWellFormedStream(response);
  bool found = false;
  for (const auto& data : sseData(response.body)) {
    json::error_code ec;
    const json::value chunk = json::parse(data, ec);
    if (!ec && at(chunk, "/usage/total_tokens") != nullptr) {
      found = true;
      EXPECT_GT(at(chunk, "/usage/total_tokens")->to_number<std::int64_t>(), 0);
    }
  }
  EXPECT_TRUE(found) << response.body;
}

TEST_F(StreamingTest, StreamedToolCallIsRelayed) {
  const std::string tools =
      R"("tools":[{"type":"function","function":{"name":"lookup_weather","parameters":{"type":"object","properties":{}}}}])";
  const HttpResponse response =
      chat(port, kAcmeKey, chatBody("assistant", "stream CALL_TOOL for me", true, tools));
  ASSERT_EQ(response.status, 200) << response.body;
  expectWellFormedStream(response);
  std::string name;
  std::string arguments;
  for (const auto& data : sseData(response.body)) {
    json::error_code ec;
    const json::value chunk = json::parse(data, ec);
    if (ec) {
      continue;
    }
    name += str(chunk, "/choices/0/delta/tool_calls/0/function/name");
    arguments += str(chunk, "/choices/0/delta/tool_calls/0/function/arguments");
  }
  EXPECT_EQ(name, "lookup_weather");
  json::error_code ec;
  const json::value parsed = json::parse(arguments, ec);
  ASSERT_FALSE(ec) << arguments;
  EXPECT_EQ(str(parsed, "/echo"), "stream CALL_TOOL for me");
  EXPECT_EQ(finishReason(response), "tool_calls");
}

TEST_F(StreamingTest, UpstreamResetMidStreamEndsTheStream) {
  const HttpResponse response =
      chat(port, kAcmeKey, chatBody("broken", "this answer will be cut off", true), {}, 5s);
  EXPECT_NE(response.failure, "timeout") << "the stream hung after the upstream reset";
  EXPECT_LT(response.elapsed, 4s);
  if (response.status != 0 && response.status != 200) {
    // Cut before anything was relayed: an error answer is fine too.
    expectOpenAiError(response, response.status);
  } else if (response.complete) {
    EXPECT_EQ(response.body.find("[DONE]"), std::string::npos)
        << "a cut-off stream was presented as complete";
    EXPECT_NE(response.body.find("error"), std::string::npos)
        << "the stream ended cleanly without an error event: " << response.body;
  }
  expectStillServes(port);
}

TEST_F(StreamingTest, ClientGoingAwayMidStreamDoesNotHurt) {
  {
    HttpConnection connection(port);
    ASSERT_TRUE(connection.send(rawRequest("POST", "/v1/chat/completions",
                                           {{"Authorization", "Bearer " + std::string(kAcmeKey)},
                                            {"Content-Type", "application/json"}},
                                           chatBody("slow", "a b c d e f g h i j", true))));
    // Read until the first word, then hang up.
    bool got_word = false;
    const auto deadline = Clock::now() + 5s;
    while (!got_word && Clock::now() < deadline) {
      connection.waitClosed(100ms);
      got_word = connection.received().find("[slow]") != std::string::npos;
    }
    EXPECT_TRUE(got_word);
  }
  expectStillServes(port);
  const HttpResponse again = chat(port, kAcmeKey, chatBody("slow", "x y", true));
  EXPECT_EQ(streamedContent(again.body), "[slow] x y");
}

TEST_F(StreamingTest, ManyStreamsInARow) {
  for (int i = 0; i < 10; ++i) {
    const std::string text = "stream number " + std::to_string(i);
    const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", text, true));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(streamedContent(response.body), "[fast] " + text);
  }
}

} // namespace
} // namespace cordon::itest
