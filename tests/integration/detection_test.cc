// Detection decides the level: every text of the request is scanned (message contents of every
// role, tool-call arguments), each finding raises the level to its entity's, `action: deny`
// refuses naming the type, and a custom regex Hyperscan rejects keeps the config from loading.
#include <string>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

class DetectionTest : public IntegrationTest {
protected:
  void SetUp() override {
    const auto local = startSimulator("local");
    const auto eu = startSimulator("eu");
    const auto us = startSimulator("us");
    yaml = config(backend("local", "onprem", local) + backend("eu", "eu-cloud", eu) +
                      backend("us", "us-cloud", us),
                  "  assistant: { targets: [us:gpt-us, eu:gpt-eu, local:llama] }\n") +
           "entities:\n"
           "  PRIVATE_KEY: { action: deny }\n"
           "custom_entities:\n"
           "  PROJECT_CODENAME: { words: [Bluebird, Nightjar], level: confidential }\n";
    port = startGateway(yaml);
  }

  /// Sends `body` and expects it answered by `backend` at `level`.
  void expectRoutedTo(const std::string& body, const std::string& backend,
                      const std::string& level) {
    const HttpResponse response = chat(port, kAcmeKey, body);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.header("x-cordon-backend"), backend);
    EXPECT_EQ(response.header("x-cordon-level"), level);
  }

  std::string yaml;
  std::uint16_t port = 0;
};

// The measuring switch of bench/feature_cpu.py: the same binary and config without any scan, and
// a warning at start that says so.
TEST_F(DetectionTest, TheMeasuringSwitchScansNothingAndWarns) {
  const auto unscanned = startGateway(yaml, {"--measure-without-detection"});
  const HttpResponse response = chat(
      unscanned, kAcmeKey, chatBody("assistant", "Why was card 4111 1111 1111 1111 declined?"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-level"), "public");
  EXPECT_EQ(response.header("x-cordon-backend"), "us");
  gatewayProcess().terminate();
  EXPECT_NE(gatewayProcess().stderrText().find("detection: OFF"), std::string::npos);
  // Without the switch the same request stays on-prem.
  expectRoutedTo(chatBody("assistant", "Why was card 4111 1111 1111 1111 declined?"), "local",
                 "restricted");
}

TEST_F(DetectionTest, HarmlessTextStaysPublic) {
  expectRoutedTo(chatBody("assistant", "Summarise release 4.2.1 of the billing service."), "us",
                 "public");
}

TEST_F(DetectionTest, AnEmailAddressMakesTheRequestConfidential) {
  expectRoutedTo(chatBody("assistant", "Reply to jane.roe@example.com about the renewal."), "eu",
                 "confidential");
}

TEST_F(DetectionTest, ACardNumberKeepsTheRequestOnPrem) {
  expectRoutedTo(chatBody("assistant", "Why was card 4111 1111 1111 1111 declined?"), "local",
                 "restricted");
}

TEST_F(DetectionTest, SystemPromptsAreScannedToo) {
  expectRoutedTo(R"({"model":"assistant","messages":[)"
                 R"({"role":"system","content":"The customer's card is 4111111111111111."},)"
                 R"({"role":"user","content":"Draft a friendly reminder."}]})",
                 "local", "restricted");
}

TEST_F(DetectionTest, ToolCallArgumentsAreScanned) {
  expectRoutedTo(
      R"({"model":"assistant","messages":[{"role":"user","content":"Check the deployment."},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",)"
      R"("function":{"name":"deploy","arguments":"{\"key\":\"AKIAZ3MSJV4WWNKWW5FG\"}"}}]},)"
      R"({"role":"tool","tool_call_id":"c1","content":"done"}]})",
      "local", "restricted");
}

TEST_F(DetectionTest, CustomWordsCount) {
  expectRoutedTo(chatBody("assistant", "Status of project bluebird?"), "eu", "confidential");
}

TEST_F(DetectionTest, ADeniedEntityIsRefusedByTypeNeverByValue) {
  const std::string key_body =
      "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw";
  const std::string text =
      "-----BEGIN RSA PRIVATE KEY-----\\n" + key_body + "\\n-----END RSA PRIVATE KEY-----";
  const HttpResponse response =
      chat(port, kAcmeKey, chatBody("assistant", "Is this key valid? " + text));
  EXPECT_EQ(expectOpenAiError(response, 403), "policy_violation");
  EXPECT_NE(response.body.find("PRIVATE_KEY"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find(key_body), std::string::npos) << "the value leaked";
  expectStillServes(port);
}

TEST_F(DetectionTest, ExplainShowsFindingsAndVerdictsWithoutCallingABackend) {
  const std::string body = chatBody("assistant", "Reply to jane.roe@example.com today.");
  const HttpResponse response = httpRequest(
      port, "POST", "/v1/cordon/explain",
      {{"authorization", "Bearer " + std::string(kAcmeKey)}, {"content-type", "application/json"}},
      body);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-level"), "confidential");
  const auto json = response.json();
  EXPECT_EQ(str(json, "/level"), "confidential");
  EXPECT_EQ(str(json, "/findings/0/type"), "EMAIL_ADDRESS");
  EXPECT_EQ(str(json, "/findings/0/text"), "messages[1].content[0]"); // after the system message
  EXPECT_EQ(str(json, "/targets/0/backend"), "us");
  EXPECT_EQ(at(json, "/targets/0/eligible")->as_bool(), false);
  EXPECT_FALSE(str(json, "/targets/0/reason").empty());
  EXPECT_EQ(str(json, "/decision/action"), "send");
  EXPECT_EQ(str(json, "/decision/target"), "eu:gpt-eu");
  EXPECT_EQ(response.body.find("jane.roe"), std::string::npos) << "explain must not echo values";
}

class DetectionConfigTest : public IntegrationTest {};

TEST_F(DetectionConfigTest, ACustomRegexHyperscanRejectsKeepsTheGatewayFromStarting) {
  // A back-reference compiles as an ECMAScript regex but not in Hyperscan, the engine that runs it.
  const std::string yaml =
      config(backend("local", "onprem", 9), "  assistant: { targets: [local:llama] }\n") +
      "custom_entities:\n  TWICE: { regex: \"(ab)\\\\1\" }\n";
  const std::string path = dir.write("bad.yaml", yaml);
  Process serve({cordonBinary(), "serve", "-c", path});
  const auto code = serve.waitExit(std::chrono::seconds{10});
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(serve.stderrText().find("TWICE"), std::string::npos) << serve.stderrText();
}

} // namespace
} // namespace cordon::itest
