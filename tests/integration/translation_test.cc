// Any front door to any backend, through the real binary: OpenAI Chat Completions and Anthropic
// Messages clients against `cordon simulate --protocol openai|anthropic` backends, streaming and
// not, pseudonymized and not; embeddings; parameters that cannot cross refused with a 400 naming
// them; broken backend streams ending in a well-formed error in the client's own protocol.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

/// The `type` of every event of a streamed Anthropic answer, in order.
std::vector<std::string> anthropicEventTypes(std::string_view body) {
  std::vector<std::string> types;
  for (const std::string& data : sseData(body)) {
    boost::system::error_code ec;
    const auto event = boost::json::parse(data, ec);
    types.push_back(ec ? std::string("<not json>") : str(event, "/type"));
  }
  return types;
}

/// The concatenated text deltas of a streamed Anthropic answer.
std::string anthropicStreamedText(std::string_view body) {
  std::string text;
  for (const std::string& data : sseData(body)) {
    boost::system::error_code ec;
    const auto event = boost::json::parse(data, ec);
    if (!ec && str(event, "/type") == "content_block_delta") {
      text += str(event, "/delta/text");
    }
  }
  return text;
}

std::string messagesBody(std::string_view model, std::string_view text, bool stream = false,
                         std::string_view extra = "") {
  std::string body = R"({"model":")" + std::string(model) +
                     R"(","max_tokens":256,"messages":[{"role":"user","content":")" +
                     std::string(text) + R"("}])";
  if (stream) {
    body += R"(,"stream":true)";
  }
  body += std::string(extra) + "}";
  return body;
}

class TranslationTest : public IntegrationTest {
protected:
  /// `cordon simulate --protocol anthropic --name claude` plus `extra` flags.
  std::uint16_t startClaude(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{cordonBinary(), "simulate",  "--listen", "127.0.0.1:0",
                                  "--protocol",   "anthropic", "--name",   "claude",
                                  "--mode",       "echo",      "--record", record_path};
    args.insert(args.end(), extra.begin(), extra.end());
    claude_ = std::make_unique<Process>(args);
    return claude_->waitForListening();
  }

  /// An OpenAI backend "gpt" (on-prem) and an Anthropic backend "claude" (us-cloud).
  void startAll(const std::vector<std::string>& claude_flags = {}) {
    const auto gpt = startSimulator("gpt");
    const auto claude = startClaude(claude_flags);
    port = startGateway(config(backend("gpt", "onprem", gpt) +
                                   "  claude: { boundary: us-cloud, protocol: anthropic, url: "
                                   "\"http://127.0.0.1:" +
                                   std::to_string(claude) + "\" }\n",
                               "  gpt: { targets: [gpt:m] }\n"
                               "  claude: { targets: [claude:claude-sonnet] }\n"
                               "  masked: { pseudonymize: auto, targets: [claude:claude-sonnet] }\n"
                               "  either: { targets: [claude:claude-sonnet, gpt:m] }\n"));
  }

  HttpResponse messages(const std::string& body, const Headers& extra = {}) {
    Headers headers{{"x-api-key", std::string(kAcmeKey)},
                    {"anthropic-version", "2023-06-01"},
                    {"content-type", "application/json"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return httpRequest(port, "POST", "/v1/messages", headers, body);
  }

  HttpResponse embeddings(const std::string& body) {
    return httpRequest(port, "POST", "/v1/embeddings",
                       {{"authorization", "Bearer " + std::string(kAcmeKey)},
                        {"content-type", "application/json"}},
                       body);
  }

  std::string claudeSaw() const {
    std::ifstream in(record_path);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }

  /// Checks the Anthropic error shape and returns error.type.
  static std::string expectAnthropicError(const HttpResponse& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    const auto body = response.json();
    EXPECT_EQ(str(body, "/type"), "error") << response.body;
    EXPECT_FALSE(str(body, "/error/message").empty()) << response.body;
    return str(body, "/error/type");
  }

  std::string record_path = dir.path() + "/claude-received.jsonl";
  std::uint16_t port = 0;

private:
  std::unique_ptr<Process> claude_;
};

// --- OpenAI client -> Anthropic backend ---------------------------------------------------------

TEST_F(TranslationTest, OpenAiClientToAnthropicBackend) {
  startAll();
  const HttpResponse whole = chat(port, kAcmeKey, chatBody("claude", "Summarise release 4.2."));
  ASSERT_EQ(whole.status, 200) << whole.body;
  const auto answer = whole.json();
  EXPECT_EQ(str(answer, "/object"), "chat.completion");
  EXPECT_EQ(str(answer, "/choices/0/message/content"), "[claude] Summarise release 4.2.");
  EXPECT_EQ(str(answer, "/choices/0/finish_reason"), "stop");
  EXPECT_EQ(whole.header("x-cordon-backend"), "claude");
  // The backend was spoken to in its own protocol.
  const auto seen = boost::json::parse(claudeSaw());
  EXPECT_EQ(str(seen, "/model"), "claude-sonnet");
  EXPECT_NE(at(seen, "/max_tokens"), nullptr);

  const HttpResponse streamed =
      chat(port, kAcmeKey, chatBody("claude", "Summarise release 4.3.", true));
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(streamedContent(streamed.body), "[claude] Summarise release 4.3.");
  const auto events = sseData(streamed.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
}

TEST_F(TranslationTest, OpenAiParameterAnthropicLacksIsRefusedNamingIt) {
  startAll();
  const HttpResponse refused =
      chat(port, kAcmeKey, chatBody("claude", "hello", false, R"("logit_bias":{"1":5})"));
  EXPECT_EQ(expectOpenAiError(refused, 400), "invalid_request_error");
  EXPECT_NE(refused.body.find("logit_bias"), std::string::npos) << refused.body;
  // With an OpenAI target in the list, the request goes there instead.
  const HttpResponse fallback =
      chat(port, kAcmeKey, chatBody("either", "hello", false, R"("logit_bias":{"1":5})"));
  EXPECT_EQ(fallback.status, 200) << fallback.body;
  EXPECT_EQ(fallback.header("x-cordon-backend"), "gpt");
}

TEST_F(TranslationTest, BackendErrorComesBackInTheClientsProtocol) {
  startAll({"--fail-status", "400"});
  const HttpResponse refused = chat(port, kAcmeKey, chatBody("claude", "hello"));
  EXPECT_EQ(expectOpenAiError(refused, 400), "invalid_request_error");
}

// --- Anthropic client -> Anthropic backend ------------------------------------------------------

TEST_F(TranslationTest, AnthropicClientToAnthropicBackend) {
  startAll();
  const HttpResponse whole = messages(messagesBody("claude", "Plan the offsite."));
  ASSERT_EQ(whole.status, 200) << whole.body;
  const auto answer = whole.json();
  EXPECT_EQ(str(answer, "/type"), "message");
  EXPECT_EQ(str(answer, "/content/0/text"), "[claude] Plan the offsite.");
  EXPECT_EQ(str(answer, "/stop_reason"), "end_turn");

  const HttpResponse streamed = messages(messagesBody("claude", "Plan the party.", true));
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(anthropicStreamedText(streamed.body), "[claude] Plan the party.");
  const auto types = anthropicEventTypes(streamed.body);
  ASSERT_GE(types.size(), 5U) << streamed.body;
  EXPECT_EQ(types.front(), "message_start");
  EXPECT_EQ(types[types.size() - 2], "message_delta");
  EXPECT_EQ(types.back(), "message_stop");
}

TEST_F(TranslationTest, AnthropicClientPseudonymizedStream) {
  startAll({"--chunk-bytes", "3"});
  const std::string text = "Write to jane.roe@example.com about the delay.";
  const HttpResponse streamed = messages(messagesBody("masked", text, true));
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(streamed.header("x-cordon-pseudonymized"), "1");
  EXPECT_EQ(anthropicStreamedText(streamed.body), "[claude] " + text);
  EXPECT_EQ(claudeSaw().find("jane.roe@example.com"), std::string::npos);
  EXPECT_NE(claudeSaw().find("<EMAIL_ADDRESS_1>"), std::string::npos);
  EXPECT_EQ(anthropicEventTypes(streamed.body).back(), "message_stop");
}

// --- Anthropic client -> OpenAI backend ---------------------------------------------------------

TEST_F(TranslationTest, AnthropicClientToOpenAiBackend) {
  startAll();
  const HttpResponse whole = messages(messagesBody("gpt", "Book a room."));
  ASSERT_EQ(whole.status, 200) << whole.body;
  const auto answer = whole.json();
  EXPECT_EQ(str(answer, "/content/0/text"), "[gpt] Book a room.");
  EXPECT_EQ(str(answer, "/stop_reason"), "end_turn");
  EXPECT_EQ(whole.header("x-cordon-backend"), "gpt");

  const HttpResponse streamed = messages(messagesBody("gpt", "Book a desk.", true));
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(anthropicStreamedText(streamed.body), "[gpt] Book a desk.");
  const auto types = anthropicEventTypes(streamed.body);
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "message_start");
  EXPECT_EQ(types.back(), "message_stop");
}

TEST_F(TranslationTest, AnthropicParameterOpenAiLacksIsRefusedNamingIt) {
  startAll();
  const HttpResponse refused = messages(messagesBody("gpt", "hello", false, R"(,"top_k":5)"));
  EXPECT_EQ(expectAnthropicError(refused, 400), "invalid_request_error");
  EXPECT_NE(refused.body.find("top_k"), std::string::npos) << refused.body;
}

TEST_F(TranslationTest, AnthropicClientErrorsAreInAnthropicsForm) {
  startAll();
  EXPECT_EQ(expectAnthropicError(messages(messagesBody("nosuch", "hello")), 404),
            "not_found_error");
  EXPECT_EQ(expectAnthropicError(
                messages(messagesBody("claude", "Card 4111 1111 1111 1111 declined.")), 403),
            "permission_error");
  EXPECT_EQ(expectAnthropicError(messages(R"({"model":"claude","messages":[]})"), 400),
            "invalid_request_error");
  const HttpResponse no_key =
      httpRequest(port, "POST", "/v1/messages", {}, messagesBody("claude", "hello"));
  EXPECT_EQ(expectAnthropicError(no_key, 401), "authentication_error");
}

// --- Tool calls, pseudonymized, across protocols ------------------------------------------------

TEST_F(TranslationTest, PseudonymizedToolCallArgumentsAreRestoredForEitherClient) {
  startAll({"--chunk-bytes", "3"});
  const std::string text = "CALL_TOOL: write to jane.roe@example.com";
  const std::string echoed = R"({"echo":")" + text + R"("})";

  // OpenAI client, Anthropic backend.
  const std::string openai_tools =
      R"("tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}])";
  const HttpResponse whole = chat(port, kAcmeKey, chatBody("masked", text, false, openai_tools));
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(str(whole.json(), "/choices/0/finish_reason"), "tool_calls");
  EXPECT_EQ(
      boost::json::parse(str(whole.json(), "/choices/0/message/tool_calls/0/function/arguments")),
      boost::json::parse(echoed));
  const HttpResponse streamed = chat(port, kAcmeKey, chatBody("masked", text, true, openai_tools));
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  std::string arguments;
  for (const std::string& data : sseData(streamed.body)) {
    boost::system::error_code ec;
    const auto chunk = boost::json::parse(data, ec);
    if (!ec) {
      arguments += str(chunk, "/choices/0/delta/tool_calls/0/function/arguments");
    }
  }
  EXPECT_EQ(boost::json::parse(arguments), boost::json::parse(echoed)) << streamed.body;

  // Anthropic client, Anthropic backend.
  const std::string anthropic_tools =
      R"(,"tools":[{"name":"lookup","input_schema":{"type":"object"}}])";
  const HttpResponse used = messages(messagesBody("masked", text, false, anthropic_tools));
  ASSERT_EQ(used.status, 200) << used.body;
  EXPECT_EQ(str(used.json(), "/stop_reason"), "tool_use");
  const auto used_answer = used.json();
  const auto* input = at(used_answer, "/content/0/input");
  ASSERT_NE(input, nullptr) << used.body;
  EXPECT_EQ(*input, boost::json::parse(echoed));
  const HttpResponse used_stream = messages(messagesBody("masked", text, true, anthropic_tools));
  ASSERT_EQ(used_stream.status, 200) << used_stream.body;
  std::string partial;
  for (const std::string& data : sseData(used_stream.body)) {
    boost::system::error_code ec;
    const auto event = boost::json::parse(data, ec);
    if (!ec) {
      partial += str(event, "/delta/partial_json");
    }
  }
  EXPECT_EQ(boost::json::parse(partial), boost::json::parse(echoed)) << used_stream.body;
  EXPECT_EQ(claudeSaw().find("jane.roe@example.com"), std::string::npos);
}

// --- Embeddings ---------------------------------------------------------------------------------

TEST_F(TranslationTest, EmbeddingsGoThroughTheSamePolicy) {
  startAll();
  const HttpResponse vectors =
      embeddings(R"({"model":"gpt","input":["first text","second text"]})");
  ASSERT_EQ(vectors.status, 200) << vectors.body;
  EXPECT_EQ(str(vectors.json(), "/object"), "list");
  EXPECT_NE(at(vectors.json(), "/data/1/embedding"), nullptr) << vectors.body;
  EXPECT_EQ(vectors.header("x-cordon-level"), "public");

  // Anthropic has no embeddings API.
  EXPECT_EQ(expectOpenAiError(embeddings(R"({"model":"claude","input":"text"})"), 400),
            "invalid_request_error");
  // Token ids cannot be inspected, so they are not forwarded.
  EXPECT_EQ(expectOpenAiError(embeddings(R"({"model":"gpt","input":[[1,2,3]]})"), 400),
            "invalid_request_error");
  // A card number refuses the request for a cloud-only model, as for chat.
  EXPECT_EQ(embeddings(R"({"model":"claude","input":"Card 4111 1111 1111 1111"})").status, 403);
}

// --- Broken backend streams ---------------------------------------------------------------------

class BrokenStreamTest : public TranslationTest,
                         public ::testing::WithParamInterface<std::string> {};

TEST_P(BrokenStreamTest, ClientGetsAnErrorInItsOwnProtocolAndNothingHangs) {
  audit_sink = "jsonl:" + dir.path() + "/audit.jsonl";
  startAll({"--stream-fault", GetParam()});

  const HttpResponse anthropic = messages(messagesBody("claude", "Tell me a story.", true));
  ASSERT_TRUE(anthropic.complete) << anthropic.failure;
  if (anthropic.status == 200) {
    const auto types = anthropicEventTypes(anthropic.body);
    ASSERT_FALSE(types.empty());
    EXPECT_EQ(types.back(), "error") << anthropic.body;
  } else {
    EXPECT_EQ(anthropic.status, 502) << anthropic.body;
    expectAnthropicError(anthropic, 502);
  }

  const HttpResponse openai = chat(port, kAcmeKey, chatBody("claude", "Tell me a story.", true));
  ASSERT_TRUE(openai.complete) << openai.failure;
  if (openai.status == 200) {
    const auto events = sseData(openai.body);
    ASSERT_FALSE(events.empty());
    EXPECT_NE(events.back().find("\"error\""), std::string::npos) << openai.body;
  } else {
    expectOpenAiError(openai, 502);
  }

  expectStillServes(port, "gpt");
  gatewayProcess().terminate();
  // The audit records both broken answers as such, never as answered.
  std::ifstream in(dir.path() + "/audit.jsonl");
  int broken = 0;
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    const auto record = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    if (str(record, "/model") == "claude") {
      EXPECT_NE(str(record, "/outcome"), "answered") << line;
      ++broken;
    }
  }
  EXPECT_EQ(broken, 2);
}

INSTANTIATE_TEST_SUITE_P(Faults, BrokenStreamTest,
                         ::testing::Values("truncate", "garbage", "error-event", "bad-order"));

} // namespace
} // namespace cordon::itest
