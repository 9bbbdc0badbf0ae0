#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/protocol/anthropic.h"
#include "cordon/protocol/openai.h"
#include "cordon/protocol/translate.h"

namespace cordon::protocol {
namespace {

TEST(Crossing, SameProtocolForwardsEverything) {
  EXPECT_EQ(crossingOf(Wire::OpenAi, Wire::OpenAi, "logprobs"), Crossing::Forward);
  EXPECT_EQ(crossingOf(Wire::Anthropic, Wire::Anthropic, "top_k"), Crossing::Forward);
  EXPECT_EQ(crossingOf(Wire::Anthropic, Wire::Anthropic, "anything_new"), Crossing::Forward);
}

TEST(Crossing, OpenAiToAnthropicTable) {
  const std::vector<std::pair<std::string_view, Crossing>> cases = {
      {"user", Crossing::Mapped},
      {"parallel_tool_calls", Crossing::Mapped},
      {"n", Crossing::Dropped},
      {"store", Crossing::Dropped},
      {"metadata", Crossing::Dropped},
      {"stream_options", Crossing::Dropped},
      {"logprobs", Crossing::Refused},
      {"top_logprobs", Crossing::Refused},
      {"logit_bias", Crossing::Refused},
      {"seed", Crossing::Refused},
      {"presence_penalty", Crossing::Refused},
      {"frequency_penalty", Crossing::Refused},
      {"response_format", Crossing::Refused},
      {"modalities", Crossing::Refused},
      {"audio", Crossing::Refused},
      {"prediction", Crossing::Refused},
      {"reasoning_effort", Crossing::Refused},
      {"service_tier", Crossing::Refused},
      {"web_search_options", Crossing::Refused},
      {"never_heard_of_it", Crossing::Refused},
  };
  for (const auto& [name, crossing] : cases) {
    EXPECT_EQ(crossingOf(Wire::OpenAi, Wire::Anthropic, name), crossing) << name;
  }
}

TEST(Crossing, AnthropicToOpenAiTable) {
  EXPECT_EQ(crossingOf(Wire::Anthropic, Wire::OpenAi, "metadata"), Crossing::Mapped);
  EXPECT_EQ(crossingOf(Wire::Anthropic, Wire::OpenAi, "service_tier"), Crossing::Dropped);
  EXPECT_EQ(crossingOf(Wire::Anthropic, Wire::OpenAi, "thinking"), Crossing::Dropped);
  EXPECT_EQ(crossingOf(Wire::Anthropic, Wire::OpenAi, "top_k"), Crossing::Refused);
  EXPECT_EQ(crossingOf(Wire::Anthropic, Wire::OpenAi, "mcp_servers"), Crossing::Refused);
}

ChatRequest openAi(std::string_view body) {
  auto decoded = decodeOpenAiChatRequest(body);
  EXPECT_TRUE(decoded) << (decoded ? "" : decoded.error().detail);
  return decoded ? *decoded : ChatRequest{};
}

ChatRequest anthropic(std::string_view body) {
  auto decoded = decodeAnthropicMessagesRequest(body);
  EXPECT_TRUE(decoded) << (decoded ? "" : decoded.error().detail);
  return decoded ? *decoded : ChatRequest{};
}

std::string refusal(const ChatRequest& request, Wire to) {
  const auto checked = checkTranslatable(request, to);
  return checked ? std::string() : checked.error().detail;
}

constexpr std::string_view kUser = R"("messages":[{"role":"user","content":"hi"}])";

TEST(CheckTranslatable, SameProtocolAlwaysPasses) {
  EXPECT_EQ(refusal(openAi(R"({"model":"m",)" + std::string(kUser) + R"(,"logprobs":true})"),
                    Wire::OpenAi),
            "");
}

TEST(CheckTranslatable, NamesTheRefusedParameter) {
  EXPECT_EQ(
      refusal(anthropic(R"({"model":"m","max_tokens":1,)" + std::string(kUser) + R"(,"top_k":3})"),
              Wire::OpenAi),
      "parameter 'top_k' has no equivalent in the OpenAI Chat Completions API (the request's "
      "target speaks openai)");
  EXPECT_EQ(
      refusal(openAi(R"({"model":"m",)" + std::string(kUser) + R"(,"seed":7})"), Wire::Anthropic),
      "parameter 'seed' has no equivalent in the Anthropic Messages API (the request's "
      "target speaks anthropic)");
}

TEST(CheckTranslatable, NeverEchoesAnOddParameterName) {
  const std::string detail = refusal(
      openAi(R"({"model":"m",)" + std::string(kUser) + R"(,"sk-SECRET-4242":1})"), Wire::Anthropic);
  EXPECT_NE(detail.find("an unrecognised parameter"), std::string::npos);
  EXPECT_EQ(detail.find("SECRET"), std::string::npos);
}

TEST(CheckTranslatable, NeutralValuesAndMappedParametersPass) {
  EXPECT_EQ(refusal(openAi(R"({"model":"m",)" + std::string(kUser) +
                           R"(,"logprobs":false,"presence_penalty":0,"logit_bias":{},"seed":null,)"
                           R"("n":1,"store":true,"user":"u","parallel_tool_calls":false})"),
                    Wire::Anthropic),
            "");
  EXPECT_EQ(refusal(anthropic(R"({"model":"m","max_tokens":1,)" + std::string(kUser) +
                              R"(,"metadata":{"user_id":"u"},"service_tier":"auto"})"),
                    Wire::OpenAi),
            "");
}

TEST(CheckTranslatable, StructuralRefusals) {
  const std::vector<std::pair<std::string, std::string>> to_anthropic = {
      {R"({"model":"m",)" + std::string(kUser) + R"(,"n":2})", "parameter 'n' above 1"},
      {R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"system","content":"b"}]})",
       "messages[1]: a system message after the conversation started"},
      {R"({"model":"m",)" + std::string(kUser) +
           R"(,"tools":[{"type":"function","function":{"name":"f","strict":true}}]})",
       "tools[0].function.strict"},
      {R"({"model":"m",)" + std::string(kUser) +
           R"(,"tool_choice":{"type":"allowed_tools","allowed_tools":{}}})",
       "this form of tool_choice"},
      {R"({"model":"m",)" + std::string(kUser) + R"(,"temperature":1.5})", "a temperature above 1"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x"}}]}]})",
       "messages[0]: an image that is neither"},
  };
  for (const auto& [body, expected] : to_anthropic) {
    const std::string detail = refusal(openAi(body), Wire::Anthropic);
    EXPECT_NE(detail.find(expected), std::string::npos) << body << " -> " << detail;
    EXPECT_NE(detail.find("Anthropic Messages API"), std::string::npos);
  }
  const std::string detail = refusal(
      anthropic(
          R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"https://x"}}]}]}]})"),
      Wire::OpenAi);
  EXPECT_NE(detail.find("messages[0]: an image in a tool result"), std::string::npos) << detail;
}

TEST(CheckTranslatable, EmbeddingsOnlyGoToOpenAi) {
  ChatRequest request;
  request.operation = Operation::Embeddings;
  EXPECT_NE(refusal(request, Wire::Anthropic).find("embeddings"), std::string::npos);
  EXPECT_EQ(refusal(request, Wire::OpenAi), "");
}

} // namespace
} // namespace cordon::protocol
