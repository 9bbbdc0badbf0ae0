// `cordon simulate` itself: the Anthropic Messages API, embeddings and the stream faults. The
// gateway's tests trust these answers, so their exact shape is pinned here.
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

namespace json = boost::json;

/// One server-sent event: its `event:` name (empty without one) and its data.
struct Event {
  std::string name;
  std::string data;
};

/// Parses an SSE body by hand (not with the harness' sseData, which drops the event names).
std::vector<Event> sseEvents(std::string_view body) {
  std::vector<Event> events;
  Event current;
  bool any = false;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string_view::npos) {
      end = body.size();
    }
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      if (any) {
        events.push_back(std::move(current));
      }
      current = Event{};
      any = false;
      continue;
    }
    const auto field = [&line](std::string_view name) {
      std::string_view value = line.substr(name.size());
      if (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      return std::string(value);
    };
    if (line.rfind("event:", 0) == 0) {
      current.name = field("event:");
      any = true;
    } else if (line.rfind("data:", 0) == 0) {
      current.data += field("data:");
      any = true;
    }
  }
  if (any) {
    events.push_back(std::move(current));
  }
  return events;
}

std::vector<std::string> names(const std::vector<Event>& events) {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const auto& event : events) {
    out.push_back(event.name);
  }
  return out;
}

json::value parse(std::string_view text) {
  json::error_code ec;
  json::value value = json::parse(text, ec);
  return ec ? json::value{} : value;
}

/// The text_delta pieces of an Anthropic stream, joined.
std::string streamedText(const std::vector<Event>& events) {
  std::string text;
  for (const auto& event : events) {
    text += str(parse(event.data), "/delta/text");
  }
  return text;
}

std::string messagesBody(std::string_view content, bool stream = false,
                         std::string_view extra_fields = "") {
  std::string body =
      R"({"model":"claude-sim","max_tokens":64,"messages":[{"role":"user","content":)";
  body += content;
  body += "}]";
  if (stream) {
    body += R"(,"stream":true)";
  }
  if (!extra_fields.empty()) {
    body += ",";
    body += extra_fields;
  }
  body += "}";
  return body;
}

constexpr std::string_view kTools =
    R"("tools":[{"name":"lookup","description":"d","input_schema":{"type":"object"}},)"
    R"({"name":"other","input_schema":{"type":"object"}}])";

HttpResponse messages(std::uint16_t port, const std::string& body) {
  return httpRequest(port, "POST", "/v1/messages",
                     {{"content-type", "application/json"}, {"anthropic-version", "2023-06-01"}},
                     body);
}

HttpResponse embeddings(std::uint16_t port, const std::string& body) {
  return httpRequest(port, "POST", "/v1/embeddings", {{"content-type", "application/json"}}, body);
}

/// Checks Anthropic's error form and returns error.type.
std::string expectAnthropicError(const HttpResponse& response, int status) {
  EXPECT_EQ(response.status, status) << response.body;
  const auto body = response.json();
  EXPECT_EQ(str(body, "/type"), "error") << response.body;
  EXPECT_FALSE(str(body, "/error/message").empty()) << response.body;
  return str(body, "/error/type");
}

class SimulateTest : public IntegrationTest {
protected:
  std::uint16_t startAnthropic(const std::string& name, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--protocol", "anthropic"});
    return startSimulator(name, extra);
  }
};

TEST_F(SimulateTest, AnthropicEchoesTheLastUserMessage) {
  const auto port = startAnthropic("claude");
  const auto response = messages(
      port, R"({"model":"claude-sim","max_tokens":64,"system":[{"type":"text","text":"be brief"}],)"
            R"("messages":[{"role":"user","content":"first"},)"
            R"({"role":"assistant","content":[{"type":"text","text":"ok"}]},)"
            R"({"role":"user","content":[{"type":"text","text":"hello "},)"
            R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA=="}},)"
            R"({"type":"text","text":"there"}]}]})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("content-type"), "application/json");
  const auto body = response.json();
  EXPECT_EQ(str(body, "/id").rfind("msg_sim_", 0), 0U) << response.body;
  EXPECT_EQ(str(body, "/type"), "message");
  EXPECT_EQ(str(body, "/role"), "assistant");
  EXPECT_EQ(str(body, "/model"), "claude-sim");
  ASSERT_EQ(at(body, "/content")->as_array().size(), 1U);
  EXPECT_EQ(str(body, "/content/0/type"), "text");
  EXPECT_EQ(str(body, "/content/0/text"), "[claude] hello there");
  EXPECT_EQ(str(body, "/stop_reason"), "end_turn");
  EXPECT_TRUE(at(body, "/stop_sequence")->is_null());
  // Words stand in for tokens: "be brief" + "first" + "ok" + "hello there".
  EXPECT_EQ(at(body, "/usage/input_tokens")->to_number<int>(), 6);
  EXPECT_EQ(at(body, "/usage/output_tokens")->to_number<int>(), 3);
}

TEST_F(SimulateTest, AnthropicAcceptsAnyKeyAndNone) {
  const auto port = startAnthropic("claude", {"--mode", "fixed", "--fixed-text", "fixed answer"});
  const auto keyed =
      httpRequest(port, "POST", "/v1/messages", {{"x-api-key", "whatever"}}, messagesBody("\"a\""));
  ASSERT_EQ(keyed.status, 200) << keyed.body;
  EXPECT_EQ(str(keyed.json(), "/content/0/text"), "fixed answer");
  const auto bare = httpRequest(port, "POST", "/v1/messages", {}, messagesBody("\"a\""));
  EXPECT_EQ(bare.status, 200) << bare.body;
}

TEST_F(SimulateTest, AnthropicStreamFollowsTheEventOrder) {
  const auto port = startAnthropic("claude");
  const auto response = messages(port, messagesBody(R"("one two")", true));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(response.complete) << response.failure;
  EXPECT_EQ(response.header("content-type"), "text/event-stream");
  const auto events = sseEvents(response.body);
  EXPECT_EQ(names(events), (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                                     "content_block_delta", "content_block_delta",
                                                     "content_block_delta", "content_block_stop",
                                                     "message_delta", "message_stop"}));
  for (const auto& event : events) {
    EXPECT_EQ(str(parse(event.data), "/type"), event.name) << event.data;
  }
  EXPECT_EQ(streamedText(events), "[claude] one two");
  const auto start = parse(events.at(0).data);
  EXPECT_EQ(str(start, "/message/model"), "claude-sim");
  EXPECT_EQ(at(start, "/message/content")->as_array().size(), 0U);
  EXPECT_TRUE(at(start, "/message/stop_reason")->is_null());
  EXPECT_EQ(str(parse(events.at(1).data), "/content_block/type"), "text");
  EXPECT_EQ(str(parse(events.at(3).data), "/delta/type"), "text_delta");
  const auto delta = parse(events.at(7).data);
  EXPECT_EQ(str(delta, "/delta/stop_reason"), "end_turn");
  EXPECT_TRUE(at(delta, "/delta/stop_sequence")->is_null());
  EXPECT_EQ(at(delta, "/usage/output_tokens")->to_number<int>(), 3);
}

TEST_F(SimulateTest, AnthropicChunkBytesSplitTheText) {
  const auto port = startAnthropic("c", {"--chunk-bytes", "2"});
  const auto events = sseEvents(messages(port, messagesBody(R"("abcdef")", true)).body);
  std::size_t deltas = 0;
  for (const auto& event : events) {
    if (event.name == "content_block_delta") {
      ++deltas;
      EXPECT_LE(str(parse(event.data), "/delta/text").size(), 2U) << event.data;
    }
  }
  EXPECT_EQ(deltas, 5U); // "[c] abcdef" in 2-byte pieces
  EXPECT_EQ(streamedText(events), "[c] abcdef");
}

TEST_F(SimulateTest, AnthropicToolUseRoundTrip) {
  const auto port = startAnthropic("claude");
  const auto call = messages(port, messagesBody(R"("please CALL_TOOL now")", false, kTools));
  ASSERT_EQ(call.status, 200) << call.body;
  const auto body = call.json();
  EXPECT_EQ(str(body, "/stop_reason"), "tool_use");
  ASSERT_EQ(at(body, "/content")->as_array().size(), 1U);
  EXPECT_EQ(str(body, "/content/0/type"), "tool_use");
  EXPECT_EQ(str(body, "/content/0/id"), "toolu_sim_1");
  EXPECT_EQ(str(body, "/content/0/name"), "lookup");
  EXPECT_EQ(str(body, "/content/0/input/echo"), "please CALL_TOOL now");

  // Without tools CALL_TOOL is plain text.
  const auto plain = messages(port, messagesBody(R"("please CALL_TOOL now")"));
  EXPECT_EQ(str(plain.json(), "/content/0/text"), "[claude] please CALL_TOOL now");

  // The tool result comes back: echoed, and no second call although it contains CALL_TOOL.
  const auto result = messages(
      port, R"({"model":"claude-sim","max_tokens":64,)" + std::string(kTools) +
                R"(,"messages":[{"role":"user","content":"please CALL_TOOL now"},)"
                R"({"role":"assistant","content":[{"type":"tool_use","id":"toolu_sim_1",)"
                R"("name":"lookup","input":{"echo":"please CALL_TOOL now"}}]},)"
                R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_sim_1",)"
                R"("content":[{"type":"text","text":"result: CALL_TOOL done"}]}]}]})");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(str(result.json(), "/stop_reason"), "end_turn");
  EXPECT_EQ(str(result.json(), "/content/0/text"), "[claude] result: CALL_TOOL done");
}

TEST_F(SimulateTest, AnthropicStreamedToolUse) {
  const auto port = startAnthropic("claude", {"--chunk-bytes", "4"});
  const auto response = messages(port, messagesBody(R"("CALL_TOOL x")", true, kTools));
  ASSERT_EQ(response.status, 200) << response.body;
  const auto events = sseEvents(response.body);
  ASSERT_GE(events.size(), 7U) << response.body;
  const auto start = parse(events.at(1).data);
  EXPECT_EQ(str(start, "/content_block/type"), "tool_use");
  EXPECT_EQ(str(start, "/content_block/id"), "toolu_sim_1");
  EXPECT_EQ(str(start, "/content_block/name"), "lookup");
  EXPECT_TRUE(at(start, "/content_block/input")->as_object().empty());
  std::string partial;
  for (const auto& event : events) {
    if (event.name == "content_block_delta") {
      const auto data = parse(event.data);
      EXPECT_EQ(str(data, "/delta/type"), "input_json_delta") << event.data;
      partial += str(data, "/delta/partial_json");
    }
  }
  EXPECT_EQ(str(parse(partial), "/echo"), "CALL_TOOL x") << partial;
  EXPECT_EQ(str(parse(events.at(events.size() - 2).data), "/delta/stop_reason"), "tool_use");
  EXPECT_EQ(events.back().name, "message_stop");
}

TEST_F(SimulateTest, AnthropicRefusesWhatTheApiRefuses) {
  const auto port = startAnthropic("claude");
  const auto no_max =
      messages(port, R"({"model":"claude-sim","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(expectAnthropicError(no_max, 400), "invalid_request_error");
  EXPECT_NE(str(no_max.json(), "/error/message").find("max_tokens"), std::string::npos);
  EXPECT_EQ(expectAnthropicError(messages(port, "{not json"), 400), "invalid_request_error");
  EXPECT_EQ(
      expectAnthropicError(messages(port, R"({"model":"m","max_tokens":5,"messages":[]})"), 400),
      "invalid_request_error");
  EXPECT_EQ(expectAnthropicError(
                httpRequest(port, "POST", "/v1/chat/completions", {}, messagesBody("\"a\"")), 404),
            "not_found_error");
}

TEST_F(SimulateTest, AnthropicFailStatusUsesAnthropicErrors) {
  const auto overloaded = startAnthropic("a", {"--fail-status", "529"});
  EXPECT_EQ(expectAnthropicError(messages(overloaded, messagesBody("\"a\"")), 529),
            "overloaded_error");
  const auto limited = startAnthropic("b", {"--fail-status", "429", "--fail-every", "2"});
  EXPECT_EQ(messages(limited, messagesBody("\"a\"")).status, 200);
  EXPECT_EQ(expectAnthropicError(messages(limited, messagesBody("\"a\"")), 429),
            "rate_limit_error");
  const auto broken = startAnthropic("c", {"--fail-status", "500"});
  EXPECT_EQ(expectAnthropicError(messages(broken, messagesBody("\"a\"")), 500), "api_error");
  const auto denied = startAnthropic("d", {"--fail-status", "403"});
  EXPECT_EQ(expectAnthropicError(messages(denied, messagesBody("\"a\"")), 403), "permission_error");
}

TEST_F(SimulateTest, AnthropicResetMidStream) {
  const auto port = startAnthropic("a", {"--reset-mid-stream"});
  const auto response = messages(port, messagesBody(R"("one two three")", true));
  EXPECT_FALSE(response.complete);
  EXPECT_EQ(names(sseEvents(response.body)),
            (std::vector<std::string>{"message_start", "content_block_start"}));
}

TEST_F(SimulateTest, RecordKeepsMessagesAndEmbeddingsBodies) {
  const std::string record = dir.path() + "/record.jsonl";
  const auto anthropic = startAnthropic("a", {"--record", record});
  const auto openai = startSimulator("o", {"--record", record});
  ASSERT_EQ(messages(anthropic, messagesBody(R"("recorded")")).status, 200);
  ASSERT_EQ(embeddings(openai, R"({"model":"e","input":"vector me"})").status, 200);
  std::ifstream file(record);
  std::vector<json::value> lines;
  for (std::string line; std::getline(file, line);) {
    lines.push_back(parse(line));
  }
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(str(lines[0], "/messages/0/content"), "recorded");
  EXPECT_EQ(str(lines[1], "/input"), "vector me");
}

TEST_F(SimulateTest, EmbeddingsAreDeterministic) {
  const auto port = startSimulator("emb");
  const auto first = embeddings(
      port, R"({"model":"text-embedding-sim","input":["same text","other text","same text"]})");
  ASSERT_EQ(first.status, 200) << first.body;
  const auto body = first.json();
  EXPECT_EQ(str(body, "/object"), "list");
  EXPECT_EQ(str(body, "/model"), "text-embedding-sim");
  const auto& data = at(body, "/data")->as_array();
  ASSERT_EQ(data.size(), 3U);
  for (std::size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(str(data[i], "/object"), "embedding");
    EXPECT_EQ(at(data[i], "/index")->to_number<std::size_t>(), i);
    EXPECT_EQ(at(data[i], "/embedding")->as_array().size(), 8U);
  }
  EXPECT_EQ(json::serialize(data[0].at("embedding")), json::serialize(data[2].at("embedding")));
  EXPECT_NE(json::serialize(data[0].at("embedding")), json::serialize(data[1].at("embedding")));
  EXPECT_EQ(at(body, "/usage/prompt_tokens")->to_number<int>(), 6);
  EXPECT_EQ(at(body, "/usage/total_tokens")->to_number<int>(), 6);

  // Another request, alone: the same vector.
  const auto again = embeddings(port, R"({"model":"text-embedding-sim","input":"same text"})");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::serialize(*at(again.json(), "/data/0/embedding")),
            json::serialize(data[0].at("embedding")));
}

TEST_F(SimulateTest, EmbeddingsHonourDimensionsAndFormats) {
  const auto port = startSimulator("emb");
  const auto wide = embeddings(port, R"({"model":"e","input":"x","dimensions":300})");
  ASSERT_EQ(wide.status, 200) << wide.body;
  const auto answer = wide.json(); // kept: `vector` points into it
  const auto& vector = at(answer, "/data/0/embedding")->as_array();
  ASSERT_EQ(vector.size(), 300U);
  double norm = 0;
  for (const auto& value : vector) {
    norm += value.to_number<double>() * value.to_number<double>();
  }
  EXPECT_NEAR(norm, 1.0, 1e-4);

  // base64: the float32s, 4 bytes each.
  const auto packed =
      embeddings(port, R"({"model":"e","input":"x","dimensions":6,"encoding_format":"base64"})");
  ASSERT_EQ(packed.status, 200) << packed.body;
  EXPECT_EQ(str(packed.json(), "/data/0/embedding").size(), 32U); // 24 bytes

  const auto tokens = embeddings(port, R"({"model":"e","input":[[1,2,3],[4]]})");
  ASSERT_EQ(tokens.status, 200) << tokens.body;
  EXPECT_EQ(at(tokens.json(), "/data")->as_array().size(), 2U);
  EXPECT_EQ(at(tokens.json(), "/usage/prompt_tokens")->to_number<int>(), 4);

  EXPECT_EQ(
      expectOpenAiError(embeddings(port, R"({"model":"e","input":"x","dimensions":4097})"), 400),
      "invalid_request_error");
  EXPECT_EQ(expectOpenAiError(embeddings(port, R"({"model":"e"})"), 400), "invalid_request_error");
  EXPECT_EQ(expectOpenAiError(embeddings(port, R"({"model":"e","input":[]})"), 400),
            "invalid_request_error");
}

TEST_F(SimulateTest, EmbeddingsFailureInjection) {
  const auto failing = startSimulator("emb", {"--fail-status", "503"});
  EXPECT_EQ(expectOpenAiError(embeddings(failing, R"({"model":"e","input":"x"})"), 503),
            "server_error");
  const auto resetting = startSimulator("emb2", {"--reset-mid-stream"});
  EXPECT_FALSE(embeddings(resetting, R"({"model":"e","input":"x"})").complete);
}

// Stream faults.

TEST_F(SimulateTest, AnthropicTruncatedStream) {
  const auto port = startAnthropic("a", {"--stream-fault", "truncate"});
  const auto response = messages(port, messagesBody(R"("one two three")", true));
  ASSERT_EQ(response.status, 200);
  EXPECT_TRUE(response.complete) << response.failure; // the HTTP framing is intact
  EXPECT_EQ(names(sseEvents(response.body)),
            (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                      "content_block_delta"}));
}

TEST_F(SimulateTest, AnthropicGarbageEvent) {
  const auto port = startAnthropic("a", {"--stream-fault", "garbage"});
  const auto events = sseEvents(messages(port, messagesBody(R"("one two")", true)).body);
  std::size_t not_json = 0;
  for (const auto& event : events) {
    not_json += parse(event.data).is_null() ? 1U : 0U;
  }
  EXPECT_EQ(not_json, 1U);
  ASSERT_GE(events.size(), 5U);
  EXPECT_TRUE(parse(events.at(4).data).is_null()) << events.at(4).data;
  EXPECT_EQ(events.back().name, "message_stop");
}

TEST_F(SimulateTest, AnthropicErrorEvent) {
  const auto port = startAnthropic("a", {"--stream-fault", "error-event"});
  const auto response = messages(port, messagesBody(R"("one two")", true));
  ASSERT_EQ(response.status, 200);
  EXPECT_TRUE(response.complete) << response.failure;
  const auto events = sseEvents(response.body);
  EXPECT_EQ(names(events), (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                                     "content_block_delta", "error"}));
  const auto error = parse(events.back().data);
  EXPECT_EQ(str(error, "/type"), "error");
  EXPECT_EQ(str(error, "/error/type"), "overloaded_error");
  EXPECT_EQ(str(error, "/error/message"), "simulated overload");
}

TEST_F(SimulateTest, AnthropicBadOrder) {
  const auto port = startAnthropic("a", {"--stream-fault", "bad-order"});
  const auto events = sseEvents(messages(port, messagesBody(R"("one")", true)).body);
  ASSERT_GE(events.size(), 2U);
  EXPECT_EQ(events.at(0).name, "content_block_delta");
  EXPECT_EQ(events.at(1).name, "message_start");
  EXPECT_EQ(events.back().name, "message_stop");
}

TEST_F(SimulateTest, OpenAiTruncatedStream) {
  const auto port = startSimulator("o", {"--stream-fault", "truncate"});
  const auto response = chat(port, "", chatBody("m", "one two three", true));
  ASSERT_EQ(response.status, 200);
  EXPECT_TRUE(response.complete) << response.failure;
  const auto data = sseData(response.body);
  EXPECT_EQ(data.size(), 2U) << response.body; // the role chunk and one word
  EXPECT_EQ(response.body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(response.body.find("finish_reason\":\"stop"), std::string::npos);
}

TEST_F(SimulateTest, OpenAiGarbageEvent) {
  for (const char* fault : {"garbage", "bad-order"}) {
    const auto port = startSimulator(fault, {"--stream-fault", fault});
    const auto response = chat(port, "", chatBody("m", "one two", true));
    const auto data = sseData(response.body);
    ASSERT_GE(data.size(), 3U) << response.body;
    EXPECT_TRUE(parse(data.at(2)).is_null()) << fault << ": " << data.at(2);
    EXPECT_EQ(data.back(), "[DONE]") << fault;
    EXPECT_EQ(streamedContent(response.body), "[" + std::string(fault) + "] one two") << fault;
  }
}

TEST_F(SimulateTest, OpenAiErrorEvent) {
  const auto port = startSimulator("o", {"--stream-fault", "error-event"});
  const auto response = chat(port, "", chatBody("m", "one two", true));
  ASSERT_EQ(response.status, 200);
  const auto data = sseData(response.body);
  ASSERT_EQ(data.size(), 3U) << response.body;
  EXPECT_EQ(str(parse(data.back()), "/error/message"), "simulated overload");
  EXPECT_EQ(str(parse(data.back()), "/error/type"), "server_error");
}

TEST_F(SimulateTest, StreamFaultsLeaveWholeAnswersAlone) {
  const auto port = startAnthropic("a", {"--stream-fault", "truncate"});
  const auto response = messages(port, messagesBody(R"("whole")"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(str(response.json(), "/content/0/text"), "[a] whole");
}

} // namespace
} // namespace cordon::itest
