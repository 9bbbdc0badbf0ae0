#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "cordon/protocol/anthropic.h"
#include "cordon/protocol/openai.h"
#include "cordon/protocol/translate.h"

namespace cordon::protocol {
namespace {

boost::json::value parse(std::string_view text) {
  return boost::json::parse(text);
}

ChatRequest decodeOk(std::string_view body) {
  auto decoded = decodeAnthropicMessagesRequest(body);
  EXPECT_TRUE(decoded) << (decoded ? "" : decoded.error().detail);
  return decoded ? *decoded : ChatRequest{};
}

// ------------------------------------------------------------------------------------------
// Requests

TEST(AnthropicRequest, DecodesSystemAndStringContent) {
  const ChatRequest request = decodeOk(
      R"({"model":"claude","max_tokens":64,"system":"be brief","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]})");
  EXPECT_EQ(request.origin, Wire::Anthropic);
  EXPECT_EQ(request.model, "claude");
  EXPECT_EQ(request.max_tokens, 64);
  ASSERT_EQ(request.messages.size(), 3U);
  EXPECT_EQ(request.messages[0].role, Role::System);
  EXPECT_TRUE(request.messages[0].content_is_string);
  EXPECT_EQ(request.messages[0].content[0].text, "be brief");
  EXPECT_EQ(request.messages[1].role, Role::User);
  EXPECT_EQ(request.messages[2].role, Role::Assistant);
  EXPECT_EQ(request.messages[2].content[0].text, "hello");
}

TEST(AnthropicRequest, KeepsUninterpretedBlockMembersExactly) {
  const ChatRequest request = decodeOk(
      R"({"model":"m","max_tokens":1,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral", "ttl":"1h"}}],)"
      R"("messages":[{"role":"user","content":[{"type":"text","text":"a","citations":null}]}]})");
  ASSERT_EQ(request.messages.size(), 2U);
  EXPECT_FALSE(request.messages[0].content_is_string);
  EXPECT_EQ(request.messages[0].content[0].extra,
            R"("cache_control":{"type":"ephemeral", "ttl":"1h"})");
  EXPECT_EQ(request.messages[1].content[0].extra, R"("citations":null)");
}

TEST(AnthropicRequest, SplitsToolUseAndToolResults) {
  const ChatRequest request = decodeOk(
      R"({"model":"m","max_tokens":10,"messages":[)"
      R"({"role":"user","content":"weather?"},)"
      R"({"role":"assistant","content":[{"type":"text","text":"checking"},{"type":"tool_use","id":"t1","name":"w","input":{"city": "Oslo" }},{"type":"tool_use","id":"t2","name":"w","input":{}}]},)"
      R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"5C","is_error":true},)"
      R"({"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"7C"}],"cache_control":{"type":"ephemeral"}},)"
      R"({"type":"text","text":"thanks"}]}]})");
  ASSERT_EQ(request.messages.size(), 5U);
  const Message& assistant = request.messages[1];
  EXPECT_EQ(assistant.role, Role::Assistant);
  ASSERT_EQ(assistant.content.size(), 1U);
  ASSERT_EQ(assistant.tool_calls.size(), 2U);
  EXPECT_EQ(assistant.tool_calls[0].arguments, R"({"city": "Oslo" })");
  EXPECT_EQ(assistant.tool_calls[1].id, "t2");
  EXPECT_EQ(request.messages[2].role, Role::Tool);
  EXPECT_EQ(request.messages[2].tool_call_id, "t1");
  EXPECT_TRUE(request.messages[2].is_error);
  EXPECT_TRUE(request.messages[2].content_is_string);
  EXPECT_EQ(request.messages[3].role, Role::Tool);
  EXPECT_FALSE(request.messages[3].is_error);
  EXPECT_FALSE(request.messages[3].content_is_string);
  EXPECT_EQ(request.messages[3].extra, R"("cache_control":{"type":"ephemeral"})");
  EXPECT_EQ(request.messages[4].role, Role::User);
  EXPECT_EQ(request.messages[4].content[0].text, "thanks");
}

TEST(AnthropicRequest, DecodesImagesAsUrls) {
  const ChatRequest request = decodeOk(
      R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":[)"
      R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},)"
      R"({"type":"image","source":{"type":"url","url":"https://x.test/a.png"}}]}]})");
  ASSERT_EQ(request.messages[0].content.size(), 2U);
  EXPECT_EQ(request.messages[0].content[0].kind, ContentPart::Kind::ImageUrl);
  EXPECT_EQ(request.messages[0].content[0].image_url, "data:image/png;base64,AAAA");
  EXPECT_EQ(request.messages[0].content[1].image_url, "https://x.test/a.png");
}

TEST(AnthropicRequest, DecodesToolsChoiceAndScalars) {
  const ChatRequest request = decodeOk(
      R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],)"
      R"("tools":[{"name":"w","description":"d","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],)"
      R"("tool_choice":{"type":"tool","name":"w","disable_parallel_tool_use":true},)"
      R"("stop_sequences":["END"],"stream":true,"temperature":0.1,"top_p":0.9,"top_k":5,"metadata":{"user_id":"u1"}})");
  ASSERT_EQ(request.tools.size(), 1U);
  EXPECT_EQ(request.tools[0].parameters, R"({"type":"object"})");
  EXPECT_EQ(request.tools[0].extra, R"("cache_control":{"type":"ephemeral"})");
  ASSERT_TRUE(request.tool_choice);
  EXPECT_EQ(request.tool_choice->mode, ToolChoice::Mode::Named);
  EXPECT_EQ(request.tool_choice->name, "w");
  EXPECT_EQ(request.tool_choice->disable_parallel, true);
  EXPECT_EQ(request.stop, std::vector<std::string>{"END"});
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.stream_include_usage);
  EXPECT_EQ(request.temperature, 0.1);
  EXPECT_EQ(request.top_p, 0.9);
  ASSERT_EQ(request.passthrough.size(), 2U);
  EXPECT_EQ(request.passthrough[0].name, "top_k");
  EXPECT_EQ(request.passthrough[1].json, R"({"user_id":"u1"})");
}

TEST(AnthropicRequest, TypicalRequestsReEncodeByteForByte) {
  const std::vector<std::string> bodies = {
      R"({"model":"m","max_tokens":1024,"messages":[{"role":"user","content":"Hello"}]})",
      R"({"model":"m","max_tokens":1024,"system":"You are terse.","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hey"},{"role":"user","content":[{"type":"text","text":"again","cache_control":{"type":"ephemeral"}}]}],"stream":true,"temperature":0.7,"metadata":{"user_id":"abc"}})",
      R"({"model":"m","max_tokens":200,"system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}},{"type":"text","text":"B"}],"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"text","text":"t"},{"type":"tool_use","id":"toolu_1","name":"get","input":{"a":[1,2.50,{"b":null}]}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"r","is_error":false,"cache_control":{"type":"ephemeral"}},{"type":"tool_result","tool_use_id":"toolu_2","is_error":true},{"type":"text","text":"go on"}]}],"tools":[{"name":"get","description":"gets","input_schema":{"type":"object","properties":{"a":{"type":"array"}}}}],"tool_choice":{"type":"auto"},"stop_sequences":["X","Y"],"top_p":0.5,"top_k":40})",
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}},{"type":"image","source":{"type":"url","url":"https://e.test/i.png"}},{"type":"text","text":"what?"}]}],"thinking":{"type":"disabled"}})",
  };
  for (const std::string& body : bodies) {
    const ChatRequest request = decodeOk(body);
    EXPECT_EQ(encodeAnthropicMessagesRequest(request, "m", 4096), body);
  }
}

TEST(AnthropicRequest, ReEncodeReplacesTheModelAndDecodesTheSame) {
  const ChatRequest first = decodeOk(
      R"({"messages":[{"role":"user","content":"x"}],"model":"front","max_tokens":3,"top_k":1})");
  const std::string encoded = encodeAnthropicMessagesRequest(first, "back", 99);
  const ChatRequest second = decodeOk(encoded);
  EXPECT_EQ(second.model, "back");
  EXPECT_EQ(second.max_tokens, 3);
  EXPECT_EQ(encodeAnthropicMessagesRequest(second, "back", 99), encoded);
}

struct BadRequestCase {
  std::string_view name;
  std::string body;
  std::string_view expected;
};

std::string withMessages(std::string_view messages, std::string_view extra = "") {
  return std::string(R"({"model":"sk-SECRET-4242-model","max_tokens":5,"messages":)") +
         std::string(messages) + std::string(extra) + "}";
}

TEST(AnthropicRequest, RejectsBadInputWithoutEchoingIt) {
  const std::string user = R"([{"role":"user","content":"sk-SECRET-4242"}])";
  const std::vector<BadRequestCase> cases = {
      {"NotJson", "sk-SECRET-4242 {", "request body is not valid JSON"},
      {"NotObject", R"(["sk-SECRET-4242"])", "request body must be a JSON object"},
      {"InvalidUtf8",
       withMessages(std::string(R"([{"role":"user","content":"sk-SECRET-4242 )") + "\xC3\x28" +
                    R"("}])"),
       "request body is not valid JSON"},
      {"MissingMaxTokens",
       R"({"model":"m","messages":[{"role":"user","content":"sk-SECRET-4242"}]})",
       "missing required field: max_tokens"},
      {"ZeroMaxTokens",
       R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"sk-SECRET-4242"}]})",
       "max_tokens must be a positive integer"},
      {"MissingModel",
       R"({"max_tokens":1,"messages":[{"role":"user","content":"sk-SECRET-4242"}]})",
       "missing required field: model"},
      {"MissingMessages", R"({"model":"sk-SECRET-4242","max_tokens":1})",
       "missing required field: messages"},
      {"EmptyMessages", withMessages("[]"), "messages must be a non-empty array"},
      {"SystemRole", withMessages(R"([{"role":"system","content":"sk-SECRET-4242"}])"),
       R"(messages[0].role must be "user" or "assistant")"},
      {"UnknownRole", withMessages(R"([{"role":"sk-SECRET-4242","content":"x"}])"),
       "messages[0].role"},
      {"ExtraMessageMember", withMessages(R"([{"role":"user","content":"x","sk-SECRET-4242":1}])"),
       "messages[0] has members other than role and content"},
      {"ContentObject", withMessages(R"([{"role":"user","content":{"sk-SECRET-4242":1}}])"),
       "messages[0].content must be a string or an array of blocks"},
      {"UnknownBlockType",
       withMessages(R"([{"role":"user","content":[{"type":"sk-SECRET-4242"}]}])"),
       "messages[0].content[0].type: unsupported block type"},
      {"DocumentBlock",
       withMessages(
           R"([{"role":"user","content":[{"type":"document","source":{"data":"sk-SECRET-4242"}}]}])"),
       "messages[0].content[0].type: 'document' blocks are not supported"},
      {"ThinkingBlock",
       withMessages(
           R"([{"role":"assistant","content":[{"type":"thinking","thinking":"sk-SECRET-4242"}]}])"),
       "'thinking' blocks are not supported"},
      {"TextWithoutText", withMessages(R"([{"role":"user","content":[{"type":"text"}]}])"),
       "missing required field: messages[0].content[0].text"},
      {"FileImage",
       withMessages(
           R"([{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"sk-SECRET-4242"}}]}])"),
       "messages[0].content[0].source.type: only base64 and url images are supported"},
      {"ToolUseInUser",
       withMessages(
           R"([{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{"k":"sk-SECRET-4242"}}]}])"),
       "tool_use blocks are only allowed in assistant messages"},
      {"ToolUseInputString",
       withMessages(
           R"([{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"b","input":"sk-SECRET-4242"}]}])"),
       "messages[0].content[0].input must be an object"},
      {"ToolResultInAssistant",
       withMessages(
           R"([{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"sk-SECRET-4242"}]}])"),
       "'tool_result' blocks are not supported"},
      {"ToolResultIsErrorString",
       withMessages(
           R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","is_error":"sk-SECRET-4242"}]}])"),
       "messages[0].content[0].is_error must be a boolean"},
      {"ImageInAssistant",
       withMessages(
           R"([{"role":"assistant","content":[{"type":"image","source":{"type":"url","url":"sk-SECRET-4242"}}]}])"),
       "image blocks are only allowed in user messages and tool results"},
      {"Thinking", withMessages(user, R"(,"thinking":{"type":"enabled","budget_tokens":1024})"),
       "thinking is not supported by cordon"},
      {"ServerTool",
       withMessages(user, R"(,"tools":[{"type":"web_search_20250305","name":"sk-SECRET-4242"}])"),
       "tools[0].type: server tools are not supported by cordon"},
      {"ToolWithoutSchema", withMessages(user, R"(,"tools":[{"name":"sk-SECRET-4242"}])"),
       "missing required field: tools[0].input_schema"},
      {"ToolChoiceUnknown", withMessages(user, R"(,"tool_choice":{"type":"sk-SECRET-4242"})"),
       "tool_choice.type must be"},
      {"ToolChoiceToolWithoutName", withMessages(user, R"(,"tool_choice":{"type":"tool"})"),
       "missing required field: tool_choice.name"},
      {"StopSequencesString", withMessages(user, R"(,"stop_sequences":"sk-SECRET-4242")"),
       "stop_sequences must be an array of strings"},
      {"StreamString", withMessages(user, R"(,"stream":"sk-SECRET-4242")"),
       "stream must be a boolean"},
      {"TemperatureString", withMessages(user, R"(,"temperature":"sk-SECRET-4242")"),
       "temperature must be a number"},
      {"SystemImage",
       withMessages(user, R"(,"system":[{"type":"image","source":"sk-SECRET-4242"}])"),
       "system[0].type: only text blocks are allowed in system"},
  };
  for (const BadRequestCase& test : cases) {
    SCOPED_TRACE(test.name);
    const auto decoded = decodeAnthropicMessagesRequest(test.body);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Errc::BadRequest);
    EXPECT_NE(decoded.error().detail.find(test.expected), std::string::npos)
        << decoded.error().detail;
    EXPECT_EQ(decoded.error().detail.find("SECRET"), std::string::npos) << decoded.error().detail;
  }
}

TEST(AnthropicRequest, DeepNestingIsRefused) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  const auto decoded = decodeAnthropicMessagesRequest(
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"metadata":)" +
      deep + "}");
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().detail, "request body nests too deeply");
}

// ------------------------------------------------------------------------------------------
// Encoding an OpenAI request for an Anthropic backend

TEST(AnthropicRequest, EncodesAnOpenAiRequest) {
  auto decoded = decodeOpenAiChatRequest(
      R"({"model":"gpt","messages":[{"role":"developer","content":"d"},{"role":"system","content":"s"},)"
      R"({"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,QUJD","detail":"high"}}],"name":"bob"},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}},{"id":"c2","type":"function","function":{"name":"g","arguments":"not json"}}]},)"
      R"({"role":"tool","tool_call_id":"c1","content":"one"},{"role":"tool","tool_call_id":"c2","content":"two"},)"
      R"({"role":"user","content":"next"}],)"
      R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}},{"type":"function","function":{"name":"g"}}],)"
      R"("tool_choice":"required","parallel_tool_calls":false,"user":"u-7","n":1,"stop":"END"})");
  ASSERT_TRUE(decoded) << decoded.error().detail;
  ASSERT_TRUE(checkTranslatable(*decoded, Wire::Anthropic));
  const std::string encoded = encodeAnthropicMessagesRequest(*decoded, "claude", 4096);
  EXPECT_EQ(parse(encoded), parse(R"({"model":"claude","max_tokens":4096,
    "system":[{"type":"text","text":"d"},{"type":"text","text":"s"}],
    "messages":[
      {"role":"user","content":[{"type":"text","text":"look"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"QUJD"}}]},
      {"role":"assistant","content":[{"type":"tool_use","id":"c1","name":"f","input":{"x":1}},{"type":"tool_use","id":"c2","name":"g","input":{"arguments":"not json"}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"c1","content":"one"},{"type":"tool_result","tool_use_id":"c2","content":"two"}]},
      {"role":"user","content":"next"}],
    "tools":[{"name":"f","input_schema":{"type":"object"}},{"name":"g","input_schema":{"type":"object","properties":{}}}],
    "tool_choice":{"type":"any","disable_parallel_tool_use":true},
    "stop_sequences":["END"],
    "metadata":{"user_id":"u-7"}})"))
      << encoded;
}

// ------------------------------------------------------------------------------------------
// Responses

TEST(AnthropicResponse, DecodesAMessage) {
  const auto response = decodeAnthropicMessagesResponse(
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"tool_use","id":"t","name":"f","input":{"k": 1}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":3}})");
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->id, "msg_1");
  ASSERT_EQ(response->choices.size(), 1U);
  const Choice& choice = response->choices[0];
  EXPECT_EQ(choice.message.content.at(0).text, "ab");
  ASSERT_EQ(choice.message.tool_calls.size(), 1U);
  EXPECT_EQ(choice.message.tool_calls[0].arguments, R"({"k": 1})");
  EXPECT_EQ(choice.finish_reason, "tool_calls");
  EXPECT_EQ(choice.native_finish_reason, "tool_use");
  ASSERT_TRUE(response->usage);
  EXPECT_EQ(response->usage->input_tokens, 15);
  EXPECT_EQ(response->usage->output_tokens, 3);
}

TEST(AnthropicResponse, MapsStopReasons) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"end_turn", "stop"},       {"stop_sequence", "stop"},     {"max_tokens", "length"},
      {"tool_use", "tool_calls"}, {"refusal", "content_filter"}, {"pause_turn", "stop"}};
  for (const auto& [native, finish] : cases) {
    const auto response = decodeAnthropicMessagesResponse(
        R"({"type":"message","content":[],"stop_reason":")" + native + R"("})");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->choices[0].finish_reason, finish) << native;
    // The native word comes back to an Anthropic client unchanged.
    EXPECT_EQ(parse(encodeAnthropicMessagesResponse(*response)).at("stop_reason"),
              boost::json::value(native));
  }
}

TEST(AnthropicResponse, RoundTripsExactly) {
  const std::string body =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"t","name":"f","input":{"k":1}}],"stop_reason":"stop_sequence","stop_sequence":"END","usage":{"input_tokens":10,"cache_creation_input_tokens":0,"output_tokens":3}})";
  const auto response = decodeAnthropicMessagesResponse(body);
  ASSERT_TRUE(response);
  EXPECT_EQ(encodeAnthropicMessagesResponse(*response), body);
}

TEST(AnthropicResponse, EncodesAnOpenAiAnswer) {
  const auto response = decodeOpenAiChatResponse(
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":2}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9},"system_fingerprint":"fp"})");
  ASSERT_TRUE(response);
  EXPECT_EQ(
      parse(encodeAnthropicMessagesResponse(*response)),
      parse(
          R"({"id":"chatcmpl-1","type":"message","role":"assistant","model":"gpt","content":[{"type":"tool_use","id":"c","name":"f","input":{"a":2}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":2}})"));
}

TEST(AnthropicResponse, RejectsGarbageWithoutEchoingIt) {
  for (const std::string_view body :
       {std::string_view("sk-SECRET-4242"), std::string_view(R"(["sk-SECRET-4242"])"),
        std::string_view(R"({"error":"sk-SECRET-4242"})")}) {
    const auto response = decodeAnthropicMessagesResponse(body);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::UpstreamFailed);
    EXPECT_EQ(response.error().detail.find("SECRET"), std::string::npos);
  }
}

// ------------------------------------------------------------------------------------------
// Streams

SseEvent event(std::string_view name, std::string_view data) {
  return SseEvent{std::string(name), std::string(data)};
}

const std::vector<SseEvent>& backendEvents() {
  static const std::vector<SseEvent> events = {
      event(
          "message_start",
          R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}})"),
      event("ping", R"({"type":"ping"})"),
      event(
          "content_block_start",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"),
      event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}})"),
      event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}})"),
      event("content_block_stop", R"({"type":"content_block_stop","index":0})"),
      event(
          "content_block_start",
          R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get","input":{}}})"),
      event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}})"),
      event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}})"),
      event("content_block_stop", R"({"type":"content_block_stop","index":1})"),
      event(
          "message_delta",
          R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":9}})"),
      event("message_stop", R"({"type":"message_stop"})"),
  };
  return events;
}

TEST(AnthropicStream, DecodesEvents) {
  AnthropicStreamDecoder decoder;
  std::vector<ChatChunk> chunks;
  for (const SseEvent& sse : backendEvents()) {
    ASSERT_TRUE(decoder.feed(sse, chunks));
  }
  EXPECT_TRUE(decoder.finished());
  ASSERT_EQ(chunks.size(), 8U);
  EXPECT_EQ(chunks[0].id, "msg_1");
  EXPECT_EQ(chunks[0].choices[0].role, Role::Assistant);
  EXPECT_EQ(chunks[1].choices[0].content, "Hel");
  EXPECT_EQ(chunks[2].choices[0].content, "lo");
  ASSERT_EQ(chunks[3].choices[0].tool_calls.size(), 1U);
  EXPECT_EQ(chunks[3].choices[0].tool_calls[0].id, "toolu_1");
  EXPECT_EQ(chunks[3].choices[0].tool_calls[0].index, 0);
  EXPECT_EQ(chunks[4].choices[0].tool_calls[0].arguments, R"({"a":)");
  EXPECT_EQ(chunks[6].choices[0].finish_reason, "tool_calls");
  EXPECT_EQ(chunks[6].choices[0].native_finish_reason, "tool_use");
  EXPECT_FALSE(chunks[6].usage);
  EXPECT_TRUE(chunks[7].choices.empty());
  ASSERT_TRUE(chunks[7].usage);
  EXPECT_EQ(chunks[7].usage->input_tokens, 12);
  EXPECT_EQ(chunks[7].usage->output_tokens, 9);
}

TEST(AnthropicStream, RefusesOutOfOrderEventsWithoutEchoingData) {
  const SseEvent start = backendEvents()[0];
  const SseEvent block_start = backendEvents()[2];
  const SseEvent delta = backendEvents()[3];
  const SseEvent stop = backendEvents().back();
  const std::vector<std::pair<std::string_view, std::vector<SseEvent>>> cases = {
      {"DeltaBeforeStart", {delta}},
      {"DeltaBeforeBlockStart", {start, delta}},
      {"SecondMessageStart", {start, start}},
      {"AfterStop", {start, stop, delta}},
      {"BlockIndexSkipped",
       {start,
        event(
            "content_block_start",
            R"({"type":"content_block_start","index":3,"content_block":{"type":"text","text":""}})")}},
      {"DeltaAfterBlockStop",
       {start, block_start,
        event("content_block_stop", R"({"type":"content_block_stop","index":0})"), delta}},
      {"ToolDeltaOnText",
       {start, block_start,
        event(
            "content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"sk-SECRET-4242"}})")}},
      {"Thinking",
       {start,
        event(
            "content_block_start",
            R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"sk-SECRET-4242"}})")}},
      {"ErrorEvent",
       {start,
        event(
            "error",
            R"({"type":"error","error":{"type":"overloaded_error","message":"sk-SECRET-4242"}})")}},
      {"NotJson", {event("sk-SECRET-4242", "sk-SECRET-4242")}},
  };
  for (const auto& [name, events] : cases) {
    SCOPED_TRACE(name);
    AnthropicStreamDecoder decoder;
    std::vector<ChatChunk> chunks;
    Result<void> result;
    for (const SseEvent& sse : events) {
      result = decoder.feed(sse, chunks);
      if (!result) {
        break;
      }
    }
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::UpstreamFailed);
    EXPECT_EQ(result.error().detail.find("SECRET"), std::string::npos) << result.error().detail;
  }
}

TEST(AnthropicStream, ErrorEventNamesItsType) {
  AnthropicStreamDecoder decoder;
  std::vector<ChatChunk> chunks;
  const auto result = decoder.feed(
      event("error", R"({"type":"error","error":{"type":"overloaded_error","message":"m"}})"),
      chunks);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().detail.find("overloaded_error"), std::string::npos);
}

TEST(AnthropicStream, IgnoresUnknownEventsAndPings) {
  AnthropicStreamDecoder decoder;
  std::vector<ChatChunk> chunks;
  EXPECT_TRUE(decoder.feed(event("ping", R"({"type":"ping"})"), chunks));
  EXPECT_TRUE(decoder.feed(backendEvents()[0], chunks));
  EXPECT_TRUE(decoder.feed(event("future", R"({"type":"future_event"})"), chunks));
  EXPECT_EQ(chunks.size(), 1U);
}

std::vector<boost::json::value> dataOf(const std::vector<SseEvent>& events) {
  std::vector<boost::json::value> out;
  for (const SseEvent& sse : events) {
    auto data = parse(sse.data);
    EXPECT_EQ(data.at("type"), boost::json::value(sse.event));
    out.push_back(std::move(data));
  }
  return out;
}

TEST(AnthropicStream, EncodesOpenAiChunks) {
  const std::vector<std::string> chunks = {
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]})",
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}]})",
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}]})",
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"g","arguments":"{\"x\""}}]},"finish_reason":null}]})",
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6,"total_tokens":10}})",
  };
  AnthropicStreamEncoder encoder;
  std::vector<SseEvent> events;
  for (const std::string& text : chunks) {
    auto chunk = decodeOpenAiChatChunk(text);
    ASSERT_TRUE(chunk);
    encoder.encode(*chunk, events);
  }
  EXPECT_TRUE(encoder.started());
  encoder.finish(events);
  const std::size_t count = events.size();
  encoder.finish(events);
  EXPECT_EQ(events.size(), count) << "finish() is idempotent";
  const std::vector<boost::json::value> expected = {
      parse(
          R"({"type":"message_start","message":{"id":"c1","type":"message","role":"assistant","model":"gpt","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}})"),
      parse(
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"),
      parse(
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})"),
      parse(R"({"type":"content_block_stop","index":0})"),
      parse(
          R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_1","name":"f","input":{}}})"),
      parse(
          R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{}"}})"),
      parse(R"({"type":"content_block_stop","index":1})"),
      parse(
          R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_2","name":"g","input":{}}})"),
      parse(
          R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"x\""}})"),
      parse(R"({"type":"content_block_stop","index":2})"),
      parse(
          R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":4,"output_tokens":6}})"),
      parse(R"({"type":"message_stop"})"),
  };
  EXPECT_EQ(dataOf(events), expected);
}

TEST(AnthropicStream, FinishAloneGivesAValidEmptyMessage) {
  AnthropicStreamEncoder encoder;
  std::vector<SseEvent> events;
  encoder.finish(events);
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0].event, "message_start");
  EXPECT_EQ(events[1].event, "message_delta");
  EXPECT_EQ(events[2].event, "message_stop");
}

TEST(AnthropicStream, BackendEventsRoundTripThroughTheCanonicalChunks) {
  AnthropicStreamDecoder decoder;
  AnthropicStreamEncoder encoder;
  std::vector<SseEvent> events;
  for (const SseEvent& sse : backendEvents()) {
    std::vector<ChatChunk> chunks;
    ASSERT_TRUE(decoder.feed(sse, chunks));
    for (const ChatChunk& chunk : chunks) {
      encoder.encode(chunk, events);
    }
  }
  ASSERT_TRUE(decoder.finished());
  encoder.finish(events);
  std::vector<SseEvent> expected;
  for (const SseEvent& sse : backendEvents()) {
    if (sse.event != "ping") {
      expected.push_back(sse);
    }
  }
  ASSERT_EQ(events.size(), expected.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].event, expected[i].event);
    auto got = parse(events[i].data);
    auto want = parse(expected[i].data);
    if (i == 0) {
      // The input count moves from message_start to message_delta (chunks carry usage last).
      want.at("message").at("usage") = parse(R"({"input_tokens":0,"output_tokens":0})");
    }
    if (events[i].event == "message_delta") {
      want.at("usage").as_object()["input_tokens"] = 12;
      EXPECT_EQ(got.at("usage").at("input_tokens"), boost::json::value(12));
      got.at("usage").as_object()["input_tokens"] = 12;
    }
    EXPECT_EQ(got, want) << events[i].data;
  }
}

TEST(AnthropicStream, ErrorEventHasAnthropicsShape) {
  const SseEvent error = AnthropicStreamEncoder::errorEvent(Errc::Unavailable, "busy");
  EXPECT_EQ(error.event, "error");
  EXPECT_EQ(parse(error.data),
            parse(R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})"));
}

// ------------------------------------------------------------------------------------------
// Errors

TEST(AnthropicError, MapsCodesToTypes) {
  const std::vector<std::pair<Errc, std::string_view>> cases = {
      {Errc::BadRequest, "invalid_request_error"},  {Errc::Unauthorized, "authentication_error"},
      {Errc::PolicyViolation, "permission_error"},  {Errc::NotFound, "not_found_error"},
      {Errc::PayloadTooLarge, "request_too_large"}, {Errc::RateLimited, "rate_limit_error"},
      {Errc::UpstreamFailed, "api_error"},          {Errc::Unavailable, "overloaded_error"},
  };
  for (const auto& [code, type] : cases) {
    const auto body = parse(encodeAnthropicError(code, "m \"q\""));
    EXPECT_EQ(body.at("type"), boost::json::value("error"));
    EXPECT_EQ(body.at("error").at("type"), boost::json::value(type));
    EXPECT_EQ(body.at("error").at("message"), boost::json::value("m \"q\""));
  }
}

TEST(AnthropicError, ReadsUpstreamMessagesOfEitherProtocol) {
  EXPECT_EQ(upstreamErrorMessage(R"({"type":"error","error":{"type":"x","message":"a"}})"), "a");
  EXPECT_EQ(upstreamErrorMessage(R"({"error":{"message":"b","type":"y","code":null}})"), "b");
  EXPECT_EQ(upstreamErrorMessage("<html>"), std::nullopt);
  EXPECT_EQ(upstreamErrorMessage(R"({"error":"c"})"), std::nullopt);
}

} // namespace
} // namespace cordon::protocol
