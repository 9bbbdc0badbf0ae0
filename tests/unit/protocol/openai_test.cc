#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "cordon/protocol/openai.h"

namespace cordon::protocol {
namespace {

// ------------------------------------------------------------------------------------------
// Helpers: a field-by-field dump of the canonical types, so equality failures show a diff.

std::string dumpDouble(const std::optional<double>& value) {
  if (!value) {
    return "-";
  }
  std::array<char, 40> buffer{};
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), *value, std::chars_format::hex);
  return {buffer.data(), result.ptr};
}

void dumpMessage(std::string& out, const Message& message) {
  out += "role=" + std::to_string(static_cast<int>(message.role));
  out += " is_string=" + std::to_string(static_cast<int>(message.content_is_string));
  for (const ContentPart& part : message.content) {
    out += " part(" + std::to_string(static_cast<int>(part.kind)) + "|" + part.text + "|" +
           part.image_url + "|" + part.image_detail + ")";
  }
  for (const ToolCall& call : message.tool_calls) {
    out += " call(" + call.id + "|" + call.name + "|" + call.arguments + ")";
  }
  out += " tool_call_id=" + message.tool_call_id + " name=" + message.name +
         " refusal=" + message.refusal + "\n";
}

std::string dump(const ChatRequest& request) {
  std::string out = "model=" + request.model + "\n";
  for (const Message& message : request.messages) {
    dumpMessage(out, message);
  }
  for (const ToolDefinition& tool : request.tools) {
    out += "tool(" + tool.name + "|" + tool.description + "|" + tool.parameters + "|" +
           (tool.strict ? std::to_string(static_cast<int>(*tool.strict)) : "-") + ")\n";
  }
  out += "tool_choice=" + (request.tool_choice ? request.tool_choice->json : std::string()) + "\n";
  out += "stream=" + std::to_string(static_cast<int>(request.stream)) +
         " include_usage=" + std::to_string(static_cast<int>(request.stream_include_usage)) + "\n";
  out += "temperature=" + dumpDouble(request.temperature) + " top_p=" + dumpDouble(request.top_p);
  out += " max_tokens=" + (request.max_tokens ? std::to_string(*request.max_tokens) : "-") +
         " completion=" + std::to_string(static_cast<int>(request.max_tokens_is_completion)) + "\n";
  for (const std::string& stop : request.stop) {
    out += "stop=" + stop + "\n";
  }
  for (const PassthroughField& field : request.passthrough) {
    out += "pass " + field.name + "=" + field.json + "\n";
  }
  return out;
}

std::string dump(const ChatResponse& response) {
  std::string out = "id=" + response.id + " model=" + response.model +
                    " created=" + std::to_string(response.created) + "\n";
  for (const Choice& choice : response.choices) {
    out += "choice " + std::to_string(choice.index) + " finish=" + choice.finish_reason + " ";
    dumpMessage(out, choice.message);
  }
  if (response.usage) {
    out += "usage " + std::to_string(response.usage->input_tokens) + "/" +
           std::to_string(response.usage->output_tokens) + "\n";
  }
  for (const PassthroughField& field : response.passthrough) {
    out += "pass " + field.name + "=" + field.json + "\n";
  }
  return out;
}

std::string dump(const ChatChunk& chunk) {
  std::string out = "id=" + chunk.id + " model=" + chunk.model +
                    " created=" + std::to_string(chunk.created) + "\n";
  for (const ChoiceDelta& delta : chunk.choices) {
    out += "delta " + std::to_string(delta.index) +
           " role=" + (delta.role ? std::to_string(static_cast<int>(*delta.role)) : "-") +
           " content=" + (delta.content ? "[" + *delta.content + "]" : "-") +
           " refusal=" + (delta.refusal ? "[" + *delta.refusal + "]" : "-") +
           " finish=" + delta.finish_reason;
    for (const ToolCallDelta& call : delta.tool_calls) {
      out += " call(" + std::to_string(call.index) + "|" + call.id + "|" + call.name + "|" +
             call.arguments + ")";
    }
    out += "\n";
  }
  if (chunk.usage) {
    out += "usage " + std::to_string(chunk.usage->input_tokens) + "/" +
           std::to_string(chunk.usage->output_tokens) + "\n";
  }
  return out;
}

ChatRequest decodeOk(std::string_view body) {
  auto decoded = decodeOpenAiChatRequest(body);
  EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().detail) << "\n" << body;
  return decoded ? *decoded : ChatRequest{};
}

boost::json::value parseStrict(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  return value;
}

// ------------------------------------------------------------------------------------------
// Decoding good requests

TEST(OpenAiRequest, DecodesStringContent) {
  const ChatRequest request = decodeOk(
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},
          {"role":"user","content":"Hello \u00e9\n","name":"alice"}]})");
  EXPECT_EQ(request.model, "gpt-4o");
  ASSERT_EQ(request.messages.size(), 2U);
  EXPECT_EQ(request.messages[0].role, Role::System);
  EXPECT_TRUE(request.messages[1].content_is_string);
  ASSERT_EQ(request.messages[1].content.size(), 1U);
  EXPECT_EQ(request.messages[1].content[0].kind, ContentPart::Kind::Text);
  EXPECT_EQ(request.messages[1].content[0].text, "Hello \xC3\xA9\n");
  EXPECT_EQ(request.messages[1].name, "alice");
  EXPECT_FALSE(request.stream);
  EXPECT_FALSE(request.temperature.has_value());
  EXPECT_TRUE(request.passthrough.empty());
}

TEST(OpenAiRequest, DecodesContentPartsAndImages) {
  const ChatRequest request = decodeOk(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"text","text":"What is this?"},
      {"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"high"}},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]})");
  const Message& message = request.messages.at(0);
  EXPECT_FALSE(message.content_is_string);
  ASSERT_EQ(message.content.size(), 3U);
  EXPECT_EQ(message.content[0].text, "What is this?");
  EXPECT_EQ(message.content[1].kind, ContentPart::Kind::ImageUrl);
  EXPECT_EQ(message.content[1].image_url, "https://example.com/a.png");
  EXPECT_EQ(message.content[1].image_detail, "high");
  EXPECT_EQ(message.content[2].image_url, "data:image/png;base64,AAAA");
  EXPECT_EQ(message.content[2].image_detail, "");
}

TEST(OpenAiRequest, DecodesEveryRole) {
  const ChatRequest request = decodeOk(R"({"model":"m","messages":[
      {"role":"system","content":"s"},{"role":"developer","content":"d"},
      {"role":"user","content":"u"},{"role":"assistant","content":null},
      {"role":"tool","content":"t","tool_call_id":"call_1"}]})");
  ASSERT_EQ(request.messages.size(), 5U);
  EXPECT_EQ(request.messages[0].role, Role::System);
  EXPECT_EQ(request.messages[1].role, Role::Developer);
  EXPECT_EQ(request.messages[2].role, Role::User);
  EXPECT_EQ(request.messages[3].role, Role::Assistant);
  EXPECT_TRUE(request.messages[3].content.empty());
  EXPECT_FALSE(request.messages[3].content_is_string);
  EXPECT_EQ(request.messages[4].role, Role::Tool);
  EXPECT_EQ(request.messages[4].tool_call_id, "call_1");
}

TEST(OpenAiRequest, KeepsToolCallArgumentsExactly) {
  const ChatRequest request = decodeOk(R"({"model":"m","messages":[
      {"role":"user","content":"weather?"},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},
        {"id":"call_b","type":"function","function":{"name":"broken","arguments":"{not json"}}]},
      {"role":"tool","tool_call_id":"call_a","content":"{\"temp\":21}"}]})");
  const Message& assistant = request.messages.at(1);
  ASSERT_EQ(assistant.tool_calls.size(), 2U);
  EXPECT_EQ(assistant.tool_calls[0].id, "call_a");
  EXPECT_EQ(assistant.tool_calls[0].name, "get_weather");
  EXPECT_EQ(assistant.tool_calls[0].arguments, R"({"city": "Paris"})");
  EXPECT_EQ(assistant.tool_calls[1].arguments, "{not json");
  EXPECT_EQ(request.messages.at(2).content.at(0).text, R"({"temp":21})");

  const std::string encoded = encodeOpenAiChatRequest(request, "m");
  const ChatRequest again = decodeOk(encoded);
  EXPECT_EQ(again.messages.at(1).tool_calls[0].arguments, R"({"city": "Paris"})");
  EXPECT_EQ(again.messages.at(1).tool_calls[1].arguments, "{not json");
}

TEST(OpenAiRequest, DecodesToolsAndToolChoice) {
  const ChatRequest request = decodeOk(R"({"model":"m","messages":[{"role":"user","content":"x"}],
      "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now",
        "parameters":{"type":"object", "properties":{"city":{"type":"string"}},"required":["city"]},
        "strict":true}},
        {"type":"function","function":{"name":"noargs"}}],
      "tool_choice":{"type":"function","function":{"name":"get_weather"}}})");
  ASSERT_EQ(request.tools.size(), 2U);
  EXPECT_EQ(request.tools[0].name, "get_weather");
  EXPECT_EQ(request.tools[0].description, "Weather now");
  // The schema is kept as the client wrote it, whitespace included.
  EXPECT_EQ(request.tools[0].parameters,
            R"({"type":"object", "properties":{"city":{"type":"string"}},"required":["city"]})");
  EXPECT_EQ(request.tools[0].strict, std::optional<bool>(true));
  EXPECT_EQ(request.tools[1].parameters, "");
  EXPECT_FALSE(request.tools[1].strict.has_value());
  ASSERT_TRUE(request.tool_choice);
  EXPECT_EQ(request.tool_choice->json, R"({"type":"function","function":{"name":"get_weather"}})");
  EXPECT_EQ(request.tool_choice->mode, ToolChoice::Mode::Named);
  EXPECT_EQ(request.tool_choice->name, "get_weather");

  const ChatRequest auto_choice =
      decodeOk(R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"auto"})");
  ASSERT_TRUE(auto_choice.tool_choice);
  EXPECT_EQ(auto_choice.tool_choice->json, R"("auto")");
  EXPECT_EQ(auto_choice.tool_choice->mode, ToolChoice::Mode::Auto);
}

TEST(OpenAiRequest, PassthroughKeepsOrderAndExactText) {
  const ChatRequest request = decodeOk(R"({"seed": 42, "model":"m","n":2,
      "messages":[{"role":"user","content":"x"}],
      "response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"minimum":1.0}}},
      "logit_bias":{"50256":-100},"user":"u-1","presence_penalty":0.30000000000000004})");
  ASSERT_EQ(request.passthrough.size(), 6U);
  EXPECT_EQ(request.passthrough[0].name, "seed");
  EXPECT_EQ(request.passthrough[0].json, "42");
  EXPECT_EQ(request.passthrough[1].name, "n");
  EXPECT_EQ(request.passthrough[2].name, "response_format");
  EXPECT_EQ(request.passthrough[2].json,
            R"({"type":"json_schema","json_schema":{"name":"a","schema":{"minimum":1.0}}})");
  EXPECT_EQ(request.passthrough[3].name, "logit_bias");
  EXPECT_EQ(request.passthrough[4].json, R"("u-1")");
  EXPECT_EQ(request.passthrough[5].json, "0.30000000000000004");

  const std::string encoded = encodeOpenAiChatRequest(request, "upstream");
  EXPECT_NE(encoded.find(R"("seed":42,"n":2,"response_format":)"), std::string::npos) << encoded;
  EXPECT_NE(encoded.find(R"("presence_penalty":0.30000000000000004)"), std::string::npos);
}

TEST(OpenAiRequest, StreamOptionsAreConsumedAndReEncoded) {
  const ChatRequest request = decodeOk(R"({"model":"m","messages":[{"role":"user","content":"x"}],
      "stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.stream_include_usage);
  EXPECT_TRUE(request.passthrough.empty());
  const std::string encoded = encodeOpenAiChatRequest(request, "m");
  EXPECT_NE(encoded.find(R"("stream":true,"stream_options":{"include_usage":true})"),
            std::string::npos)
      << encoded;

  const ChatRequest not_streaming = decodeOk(R"({"model":"m","messages":[{"role":"user",
      "content":"x"}],"stream":false,"stream_options":{"include_usage":true}})");
  EXPECT_FALSE(not_streaming.stream_include_usage);
  EXPECT_EQ(encodeOpenAiChatRequest(not_streaming, "m").find("stream"), std::string::npos);
}

TEST(OpenAiRequest, KeepsTheMaxTokensName) {
  const ChatRequest legacy =
      decodeOk(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":100})");
  EXPECT_EQ(legacy.max_tokens, std::optional<std::int64_t>(100));
  EXPECT_FALSE(legacy.max_tokens_is_completion);
  EXPECT_NE(encodeOpenAiChatRequest(legacy, "m").find(R"("max_tokens":100)"), std::string::npos);

  const ChatRequest modern = decodeOk(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":7})");
  EXPECT_EQ(modern.max_tokens, std::optional<std::int64_t>(7));
  EXPECT_TRUE(modern.max_tokens_is_completion);
  const std::string encoded = encodeOpenAiChatRequest(modern, "m");
  EXPECT_NE(encoded.find(R"("max_completion_tokens":7)"), std::string::npos);
  EXPECT_EQ(encoded.find(R"("max_tokens")"), std::string::npos);
}

TEST(OpenAiRequest, DecodesSamplingAndStop) {
  const ChatRequest request = decodeOk(R"({"model":"m","messages":[{"role":"user","content":"x"}],
      "temperature":0.7,"top_p":1,"stop":["\n\n","END"]})");
  EXPECT_EQ(request.temperature, std::optional<double>(0.7));
  EXPECT_EQ(request.top_p, std::optional<double>(1.0));
  EXPECT_EQ(request.stop, (std::vector<std::string>{"\n\n", "END"}));

  const ChatRequest single =
      decodeOk(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":"END"})");
  EXPECT_EQ(single.stop, (std::vector<std::string>{"END"}));

  // 17 significant digits: read exactly (correctly rounded), not approximately.
  const ChatRequest precise = decodeOk(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":2046.1807486296839})");
  EXPECT_EQ(precise.temperature, std::optional<double>(2046.1807486296839));
}

TEST(OpenAiRequest, NullOptionalFieldsMeanAbsent) {
  const ChatRequest request = decodeOk(R"({"model":"m","messages":[{"role":"user","content":"x",
      "name":null,"tool_calls":null}],"temperature":null,"top_p":null,"max_tokens":null,
      "stop":null,"tools":null,"tool_choice":null,"stream":null,"stream_options":null})");
  EXPECT_FALSE(request.temperature.has_value());
  EXPECT_FALSE(request.max_tokens.has_value());
  EXPECT_TRUE(request.stop.empty());
  EXPECT_TRUE(request.tools.empty());
  EXPECT_FALSE(request.tool_choice);
  EXPECT_TRUE(request.passthrough.empty());
}

TEST(OpenAiRequest, EncodeReplacesTheModel) {
  const ChatRequest request =
      decodeOk(R"({"model":"alias","messages":[{"role":"user","content":"x"}]})");
  const std::string encoded = encodeOpenAiChatRequest(request, "gpt-4o-2024-08-06");
  const boost::json::value value = parseStrict(encoded);
  EXPECT_EQ(value.at("model").as_string(), "gpt-4o-2024-08-06");
}

TEST(OpenAiRequest, EncodedStringsAreAlwaysValidJson) {
  ChatRequest request;
  request.model = "m";
  Message& message = request.messages.emplace_back();
  constexpr char kRaw[] = "quote\" back\\ nul\0 ctl\x01 bad\xFF end";
  constexpr char kClean[] = "quote\" back\\ nul\0 ctl\x01 bad\xEF\xBF\xBD end";
  message.content.push_back(
      ContentPart{ContentPart::Kind::Text, std::string(kRaw, sizeof(kRaw) - 1), {}, {}});
  const std::string encoded = encodeOpenAiChatRequest(request, "m");
  const boost::json::value value = parseStrict(encoded);
  EXPECT_EQ(value.at("messages").at(0).at("content").as_string(),
            std::string_view(kClean, sizeof(kClean) - 1));
}

TEST(OpenAiRequest, EncodesBuiltMessages) {
  ChatRequest request;
  request.model = "m";
  Message& assistant = request.messages.emplace_back();
  assistant.role = Role::Assistant; // content left empty, content_is_string left at its default
  assistant.tool_calls.push_back(ToolCall{"call_1", "f", "{}"});
  Message& user = request.messages.emplace_back();
  user.content.push_back(ContentPart{ContentPart::Kind::Text, "a", {}, {}});
  user.content.push_back(ContentPart{ContentPart::Kind::Text, "b", {}, {}});
  const boost::json::value value = parseStrict(encodeOpenAiChatRequest(request, "m"));
  EXPECT_TRUE(value.at("messages").at(0).at("content").is_null());
  EXPECT_EQ(value.at("messages").at(1).at("content").as_string(), "ab");
}

// ------------------------------------------------------------------------------------------
// Bad requests: status, field path, and no echo of anything from the body.

struct BadRequestCase {
  std::string_view name;
  std::string body;
  std::string_view detail;
};

std::string withMessages(std::string_view messages, std::string_view extra = "") {
  return std::string(R"({"model":"sk-SECRET-4242-model","messages":)") + std::string(messages) +
         std::string(extra) + "}";
}

std::vector<BadRequestCase> badRequestCases() {
  const std::string user = R"([{"role":"user","content":"sk-SECRET-4242"}])";
  std::string deep = R"({"model":"m","messages":[{"role":"user","content":"x"}],"x":)";
  for (int i = 0; i < 100; ++i) {
    deep += '[';
  }
  for (int i = 0; i < 100; ++i) {
    deep += ']';
  }
  deep += '}';
  return {
      {"NotJson", "sk-SECRET-4242 {", "request body is not valid JSON"},
      {"TrailingGarbage", withMessages(user) + "sk-SECRET-4242", "request body is not valid JSON"},
      {"Comments", R"({"model":"m", /* sk-SECRET-4242 */ "messages":[]})",
       "request body is not valid JSON"},
      {"NotObject", R"(["sk-SECRET-4242"])", "request body must be a JSON object"},
      {"MissingMessages", R"({"model":"sk-SECRET-4242"})", "missing required field: messages"},
      {"EmptyMessages", withMessages("[]"), "messages must be a non-empty array"},
      {"MessagesNotArray", withMessages(R"("sk-SECRET-4242")"),
       "messages must be a non-empty array"},
      {"MissingModel", R"({"messages":[{"role":"user","content":"sk-SECRET-4242"}]})",
       "missing required field: model"},
      {"EmptyModel", R"({"model":"","messages":[{"role":"user","content":"x"}]})",
       "model must be a non-empty string"},
      {"ModelNotString", R"({"model":42,"messages":[{"role":"user","content":"x"}]})",
       "model must be a non-empty string"},
      {"MessageNotObject", withMessages(R"(["sk-SECRET-4242"])"), "messages[0] must be an object"},
      {"MissingRole", withMessages(R"([{"content":"sk-SECRET-4242"}])"),
       "missing required field: messages[0].role"},
      {"UnknownRole",
       withMessages(
           R"([{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"sk-SECRET-4242","content":"c"}])"),
       "messages[2].role: unknown role"},
      {"RoleNotString", withMessages(R"([{"role":7,"content":"x"}])"),
       "messages[0].role must be a string"},
      {"ContentWrongType", withMessages(R"([{"role":"user","content":{"sk-SECRET-4242":1}}])"),
       "messages[0].content: expected a string, an array of content parts or null"},
      {"AudioPart",
       withMessages(
           R"([{"role":"user","content":[{"type":"text","text":"sk-SECRET-4242"},{"type":"input_audio","input_audio":{"data":"sk-SECRET-4242","format":"wav"}}]}])"),
       "messages[0].content[1].type: unsupported content part type"},
      {"FilePart",
       withMessages(
           R"([{"role":"user","content":[{"type":"file","file":{"file_data":"sk-SECRET-4242"}}]}])"),
       "messages[0].content[0].type: unsupported content part type"},
      {"PartTypeIsSecret",
       withMessages(R"([{"role":"user","content":[{"type":"sk-SECRET-4242"}]}])"),
       "messages[0].content[0].type: unsupported content part type"},
      {"PartWithoutType",
       withMessages(R"([{"role":"user","content":[{"text":"sk-SECRET-4242"}]}])"),
       "missing required field: messages[0].content[0].type"},
      {"TextPartWithoutText", withMessages(R"([{"role":"user","content":[{"type":"text"}]}])"),
       "missing required field: messages[0].content[0].text"},
      {"ImageWithoutUrl",
       withMessages(
           R"([{"role":"user","content":[{"type":"image_url","image_url":{"detail":"sk-SECRET-4242"}}]}])"),
       "missing required field: messages[0].content[0].image_url.url"},
      {"ToolMessageWithoutId", withMessages(R"([{"role":"tool","content":"sk-SECRET-4242"}])"),
       "missing required field: messages[0].tool_call_id"},
      {"ToolCallWithoutFunction",
       withMessages(
           R"([{"role":"assistant","tool_calls":[{"id":"sk-SECRET-4242","type":"function"}]}])"),
       "missing required field: messages[0].tool_calls[0].function"},
      {"ToolCallWrongType",
       withMessages(
           R"([{"role":"assistant","tool_calls":[{"id":"a","type":"sk-SECRET-4242","function":{"name":"f","arguments":"{}"}}]}])"),
       "messages[0].tool_calls[0].type: unsupported tool call type"},
      {"ToolCallArgumentsObject",
       withMessages(
           R"([{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":{"k":"sk-SECRET-4242"}}}]}])"),
       "messages[0].tool_calls[0].function.arguments must be a string"},
      {"TemperatureString", withMessages(user, R"(,"temperature":"sk-SECRET-4242")"),
       "temperature must be a number"},
      {"TopPBool", withMessages(user, R"(,"top_p":true)"), "top_p must be a number"},
      {"TemperatureOverflow", withMessages(user, R"(,"temperature":1e400)"),
       "temperature is out of range"},
      {"MaxTokensNegative", withMessages(user, R"(,"max_tokens":-1)"),
       "max_tokens must be a non-negative integer"},
      {"MaxTokensFraction", withMessages(user, R"(,"max_completion_tokens":1.5)"),
       "max_completion_tokens must be a non-negative integer"},
      {"MaxTokensBoth", withMessages(user, R"(,"max_tokens":1,"max_completion_tokens":2)"),
       "max_tokens and max_completion_tokens cannot both be set"},
      {"StreamString", withMessages(user, R"(,"stream":"sk-SECRET-4242")"),
       "stream must be a boolean"},
      {"IncludeUsageString",
       withMessages(user, R"(,"stream":true,"stream_options":{"include_usage":"sk-SECRET-4242"})"),
       "stream_options.include_usage must be a boolean"},
      {"StopNumbers", withMessages(user, R"(,"stop":[1])"),
       "stop must be a string or an array of strings"},
      {"ToolsNotArray", withMessages(user, R"(,"tools":{"sk-SECRET-4242":1})"),
       "tools must be an array"},
      {"ToolTypeUnknown",
       withMessages(user, R"(,"tools":[{"type":"sk-SECRET-4242","function":{"name":"f"}}])"),
       "tools[0].type: unsupported tool type"},
      {"ToolWithoutName",
       withMessages(
           user, R"(,"tools":[{"type":"function","function":{"description":"sk-SECRET-4242"}}])"),
       "missing required field: tools[0].function.name"},
      {"ToolParametersNotObject",
       withMessages(
           user,
           R"(,"tools":[{"type":"function","function":{"name":"f","parameters":"sk-SECRET-4242"}}])"),
       "tools[0].function.parameters must be an object"},
      {"LegacyFunctionCallInHistory",
       R"({"model":"m","messages":[{"role":"assistant","content":null,)"
       R"("function_call":{"name":"f","arguments":"sk-SECRET-4242"}}]})",
       "messages[0].function_call is not supported by cordon (it would be lost on the way to "
       "the backend)"},
      {"UnknownMessageMemberWithOddName",
       R"({"model":"m","messages":[{"role":"user","content":"x","sk-SECRET-4242":1}]})",
       "messages[0].<member> is not supported by cordon (it would be lost on the way to the "
       "backend)"},
      {"ToolChoiceUnknownWord", withMessages(user, R"(,"tool_choice":"sk-SECRET-4242")"),
       "tool_choice must be \"none\", \"auto\", \"required\" or an object"},
      {"ToolChoiceNumber", withMessages(user, R"(,"tool_choice":5)"),
       "tool_choice must be a string or an object"},
      {"InvalidUtf8InString",
       withMessages(R"([{"role":"user","content":"sk-SECRET-4242 )"
                    "\xC3\x28"
                    R"("}])"),
       "request body is not valid JSON"},
      {"InvalidUtf8InKey", withMessages(user, ",\"\xFF\xFEkey\":1"),
       "request body is not valid JSON"},
      {"OverlongUtf8", withMessages(user, ",\"x\":\"\xC0\xAF\""), "request body is not valid JSON"},
      {"EncodedSurrogate", withMessages(user, ",\"x\":\"\xED\xA0\x80\""),
       "request body is not valid JSON"},
      {"LoneSurrogateEscape", withMessages(user, R"(,"x":"\ud800")"),
       "request body is not valid JSON"},
      {"DeepNesting", deep, "request body nests too deeply"},
  };
}

class OpenAiBadRequest : public testing::TestWithParam<BadRequestCase> {};

TEST_P(OpenAiBadRequest, IsRejectedWithAFieldPathAndNoBodyValue) {
  const BadRequestCase& test_case = GetParam();
  const auto decoded = decodeOpenAiChatRequest(test_case.body);
  ASSERT_FALSE(decoded.has_value()) << test_case.body;
  EXPECT_EQ(decoded.error().code, Errc::BadRequest);
  EXPECT_EQ(httpStatus(decoded.error().code), 400U);
  EXPECT_EQ(decoded.error().detail, test_case.detail);
  EXPECT_EQ(decoded.error().detail.find("SECRET"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Table, OpenAiBadRequest, testing::ValuesIn(badRequestCases()),
                         [](const testing::TestParamInfo<BadRequestCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(OpenAiRequest, ModeratelyDeepSchemasAreAccepted) {
  std::string schema;
  for (int i = 0; i < 40; ++i) {
    schema += R"({"type":"array","items":)";
  }
  schema += R"({"type":"string"})";
  for (int i = 0; i < 40; ++i) {
    schema += '}';
  }
  const ChatRequest request = decodeOk(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function",)"
      R"("function":{"name":"f","parameters":)" +
      schema + "}}]}");
  EXPECT_EQ(request.tools.at(0).parameters, schema);
}

// ------------------------------------------------------------------------------------------
// Round trips: decode(encode(decode(x))) == decode(x), and the encoding is stable.

class OpenAiRoundTrip : public testing::TestWithParam<std::string> {};

TEST_P(OpenAiRoundTrip, DecodeEncodeDecodeIsIdentity) {
  const ChatRequest first = decodeOk(GetParam());
  const std::string encoded = encodeOpenAiChatRequest(first, first.model);
  parseStrict(encoded);
  const ChatRequest second = decodeOk(encoded);
  EXPECT_EQ(dump(first), dump(second)) << encoded;
  EXPECT_EQ(encodeOpenAiChatRequest(second, second.model), encoded);
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, OpenAiRoundTrip,
    testing::Values(
        R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
        R"({"model":"m","messages":[{"role":"user","content":""}],"temperature":0,"top_p":0.1})",
        R"({"model":"m","messages":[{"role":"developer","content":"d"},{"role":"user","content":[
            {"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u","detail":"low"}}]}]})",
        R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"only"}]}]})",
        R"({"model":"m","messages":[{"role":"assistant","content":null,"refusal":"no",
            "tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":[1,2]}"}}]},
            {"role":"tool","tool_call_id":"c","content":"r"}]})",
        R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,
            "stream_options":{"include_usage":true},"max_completion_tokens":5,"stop":["a","b"],
            "tools":[{"type":"function","function":{"name":"f","description":"d",
            "parameters":{ "type" : "object" },"strict":false}}],"tool_choice":"required",
            "temperature":1e-7,"top_p":0.30000000000000004,"n":1,"seed":-3,
            "metadata":{"k":"v"},"\u0075ser":"u"})",
        R"({"model":"m","messages":[{"role":"user","content":"x"}],"":{"":[]},"a":1,"a":2})",
        R"({"model":"m","messages":[{"role":"user","content":"\u0000\u001f\"\\\/\b\f\n\r\t\ud83d\ude00"}],
            "stop":"s","max_tokens":0})"));

// ------------------------------------------------------------------------------------------
// Responses

constexpr std::string_view kResponse = R"({
  "id": "chatcmpl-123", "object": "chat.completion", "created": 1677652288,
  "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_44709d6fcb",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there",
               "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21,
            "completion_tokens_details": {"reasoning_tokens": 0}},
  "service_tier": "default"})";

TEST(OpenAiResponse, DecodesACompletion) {
  const auto decoded = decodeOpenAiChatResponse(kResponse);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().detail;
  const ChatResponse& response = *decoded;
  EXPECT_EQ(response.id, "chatcmpl-123");
  EXPECT_EQ(response.created, 1677652288);
  EXPECT_EQ(response.model, "gpt-4o-2024-08-06");
  ASSERT_EQ(response.choices.size(), 1U);
  EXPECT_EQ(response.choices[0].message.role, Role::Assistant);
  EXPECT_EQ(response.choices[0].message.content.at(0).text, "Hello there");
  EXPECT_EQ(response.choices[0].finish_reason, "stop");
  ASSERT_TRUE(response.usage.has_value());
  EXPECT_EQ(response.usage->input_tokens, 9);
  EXPECT_EQ(response.usage->output_tokens, 12);
  ASSERT_EQ(response.passthrough.size(), 2U);
  EXPECT_EQ(response.passthrough[0].name, "system_fingerprint");
  EXPECT_EQ(response.passthrough[0].json, R"("fp_44709d6fcb")");
  EXPECT_EQ(response.passthrough[1].name, "service_tier");
}

TEST(OpenAiResponse, DecodesToolCallsWithNullContent) {
  const auto decoded = decodeOpenAiChatResponse(R"({"id":"x","object":"chat.completion",
      "created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,
      "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"q\":1}"}}]},
      "finish_reason":"tool_calls"}]})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().detail;
  const Message& message = decoded->choices.at(0).message;
  EXPECT_TRUE(message.content.empty());
  EXPECT_FALSE(message.content_is_string);
  ASSERT_EQ(message.tool_calls.size(), 1U);
  EXPECT_EQ(message.tool_calls[0].arguments, R"({"q":1})");
  EXPECT_EQ(decoded->choices[0].finish_reason, "tool_calls");

  const std::string encoded = encodeOpenAiChatResponse(*decoded);
  const boost::json::value value = parseStrict(encoded);
  EXPECT_TRUE(value.at("choices").at(0).at("message").at("content").is_null());
}

TEST(OpenAiResponse, IsLenientAboutOmittedOptionalFields) {
  const auto decoded = decodeOpenAiChatResponse(
      R"({"choices":[{"message":{"content":"hi"},"finish_reason":null}]})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().detail;
  EXPECT_EQ(decoded->id, "");
  EXPECT_EQ(decoded->created, 0);
  EXPECT_FALSE(decoded->usage.has_value());
  EXPECT_EQ(decoded->choices.at(0).message.role, Role::Assistant);
  EXPECT_EQ(decoded->choices[0].finish_reason, "");
  EXPECT_EQ(decoded->choices[0].message.content.at(0).text, "hi");
}

TEST(OpenAiResponse, RoundTrips) {
  const auto first = decodeOpenAiChatResponse(kResponse);
  ASSERT_TRUE(first.has_value());
  const std::string encoded = encodeOpenAiChatResponse(*first);
  const boost::json::value value = parseStrict(encoded);
  EXPECT_EQ(value.at("object").as_string(), "chat.completion");
  EXPECT_EQ(value.at("usage").at("total_tokens").as_int64(), 21);
  EXPECT_EQ(value.at("system_fingerprint").as_string(), "fp_44709d6fcb");
  const auto second = decodeOpenAiChatResponse(encoded);
  ASSERT_TRUE(second.has_value()) << second.error().detail;
  EXPECT_EQ(dump(*first), dump(*second));
}

TEST(OpenAiResponse, RejectsGarbageWithoutEchoingIt) {
  for (const std::string_view body :
       {std::string_view("sk-SECRET-4242"), std::string_view(R"(["sk-SECRET-4242"])"),
        std::string_view(R"({"error":{"message":"sk-SECRET-4242"}})"),
        std::string_view(R"({"choices":"sk-SECRET-4242"})"),
        std::string_view(R"({"choices":["sk-SECRET-4242"]})"),
        std::string_view(R"({"choices":[{"message":{"role":"sk-SECRET-4242"}}]})")}) {
    const auto decoded = decodeOpenAiChatResponse(body);
    ASSERT_FALSE(decoded.has_value()) << body;
    EXPECT_EQ(decoded.error().code, Errc::UpstreamFailed);
    EXPECT_EQ(decoded.error().detail.find("SECRET"), std::string::npos);
    EXPECT_EQ(decoded.error().detail.rfind("upstream answer", 0), 0U) << decoded.error().detail;
  }
}

// ------------------------------------------------------------------------------------------
// Streamed chunks

TEST(OpenAiChunk, DecodesRoleAndContentDeltas) {
  const auto decoded = decodeOpenAiChatChunk(
      R"({"id":"c1","object":"chat.completion.chunk","created":5,"model":"m",
          "choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,
          "finish_reason":null}]})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().detail;
  const ChoiceDelta& delta = decoded->choices.at(0);
  EXPECT_EQ(delta.role, std::optional<Role>(Role::Assistant));
  EXPECT_EQ(delta.content, std::optional<std::string>(""));
  EXPECT_EQ(delta.finish_reason, "");
  EXPECT_FALSE(decoded->usage.has_value());

  const auto last = decodeOpenAiChatChunk(
      R"({"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})");
  ASSERT_TRUE(last.has_value());
  EXPECT_FALSE(last->choices.at(0).content.has_value());
  EXPECT_EQ(last->choices[0].finish_reason, "stop");
}

TEST(OpenAiChunk, DecodesToolCallDeltas) {
  const auto first = decodeOpenAiChatChunk(R"({"id":"c","choices":[{"index":0,"delta":{
      "role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_x","type":"function",
      "function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]})");
  ASSERT_TRUE(first.has_value()) << first.error().detail;
  const ToolCallDelta& opening = first->choices.at(0).tool_calls.at(0);
  EXPECT_EQ(opening.index, 0);
  EXPECT_EQ(opening.id, "call_x");
  EXPECT_EQ(opening.name, "get_weather");
  EXPECT_EQ(opening.arguments, "");
  EXPECT_FALSE(first->choices[0].content.has_value());

  const auto fragment = decodeOpenAiChatChunk(
      R"({"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"ci"}}]}}]})");
  ASSERT_TRUE(fragment.has_value()) << fragment.error().detail;
  const ToolCallDelta& piece = fragment->choices.at(0).tool_calls.at(0);
  EXPECT_EQ(piece.index, 1);
  EXPECT_EQ(piece.id, "");
  EXPECT_EQ(piece.name, "");
  EXPECT_EQ(piece.arguments, R"({"ci)");

  for (const auto* chunk : {&*first, &*fragment}) {
    const std::string encoded = encodeOpenAiChatChunk(*chunk);
    parseStrict(encoded);
    const auto again = decodeOpenAiChatChunk(encoded);
    ASSERT_TRUE(again.has_value()) << encoded;
    EXPECT_EQ(dump(*chunk), dump(*again)) << encoded;
  }
}

TEST(OpenAiChunk, DecodesTheUsageOnlyFinalChunk) {
  const auto decoded = decodeOpenAiChatChunk(
      R"({"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[],
          "usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().detail;
  EXPECT_TRUE(decoded->choices.empty());
  ASSERT_TRUE(decoded->usage.has_value());
  EXPECT_EQ(decoded->usage->input_tokens, 3);
  EXPECT_EQ(decoded->usage->output_tokens, 4);
  const boost::json::value value = parseStrict(encodeOpenAiChatChunk(*decoded));
  EXPECT_EQ(value.at("object").as_string(), "chat.completion.chunk");
  EXPECT_EQ(value.at("usage").at("total_tokens").as_int64(), 7);
  EXPECT_TRUE(value.at("choices").as_array().empty());
}

TEST(OpenAiChunk, EncodesWhatClientsExpect) {
  ChatChunk chunk;
  chunk.id = "chatcmpl-1";
  chunk.model = "m";
  chunk.created = 9;
  ChoiceDelta& delta = chunk.choices.emplace_back();
  delta.content = "He said \"hi\"\n";
  const boost::json::value value = parseStrict(encodeOpenAiChatChunk(chunk));
  const auto& choice = value.at("choices").at(0);
  EXPECT_EQ(choice.at("delta").at("content").as_string(), "He said \"hi\"\n");
  EXPECT_TRUE(choice.at("finish_reason").is_null());
  EXPECT_FALSE(choice.at("delta").as_object().contains("role"));
  EXPECT_EQ(value.at("created").as_int64(), 9);
}

TEST(OpenAiChunk, RejectsNonChunks) {
  for (const std::string_view text :
       {std::string_view("[DONE]"), std::string_view(R"({"error":{"message":"sk-SECRET-4242"}})"),
        std::string_view(R"({"choices":[{"delta":{"content":7}}]})"),
        std::string_view(R"({"choices":[{"delta":{"role":"sk-SECRET-4242"}}]})")}) {
    const auto decoded = decodeOpenAiChatChunk(text);
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_EQ(decoded.error().code, Errc::UpstreamFailed);
    EXPECT_EQ(decoded.error().detail.find("SECRET"), std::string::npos);
  }
}

// ------------------------------------------------------------------------------------------
// Error bodies

TEST(OpenAiError, MapsCodesToOpenAiTypes) {
  const std::vector<std::pair<Errc, std::string_view>> cases = {
      {Errc::BadRequest, "invalid_request_error"},
      {Errc::Unauthorized, "authentication_error"},
      {Errc::PolicyViolation, "policy_violation"},
      {Errc::NotFound, "not_found_error"},
      {Errc::PayloadTooLarge, "invalid_request_error"},
      {Errc::RateLimited, "rate_limit_error"},
      {Errc::Internal, "api_error"},
      {Errc::UpstreamFailed, "api_error"},
      {Errc::Unavailable, "api_error"},
      {Errc::UpstreamTimeout, "api_error"},
  };
  for (const auto& [code, type] : cases) {
    const boost::json::value value = parseStrict(encodeOpenAiError(code, "nope"));
    const auto& error = value.at("error");
    EXPECT_EQ(error.at("type").as_string(), type) << errcName(code);
    EXPECT_EQ(error.at("code").as_string(), errcName(code));
    EXPECT_EQ(error.at("message").as_string(), "nope");
    EXPECT_TRUE(error.at("param").is_null());
  }
}

TEST(OpenAiError, EscapesTheMessage) {
  const std::string_view message = "rule \"no-pii\" matched\n\ttab\\ \x01 \xE2\x82\xAC";
  const std::string encoded = encodeOpenAiError(Errc::PolicyViolation, message);
  const boost::json::value value = parseStrict(encoded);
  EXPECT_EQ(value.at("error").at("message").as_string(), message);
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
}

} // namespace
} // namespace cordon::protocol
