// Routing: levels (declared, tenant floor, key floor), eligibility by clearance and residency,
// preference order, the response headers, and the small endpoints.
#include <csignal>
#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

namespace json = boost::json;

/// Three echo backends, one per boundary; the echo prefix names the backend that answered.
class RoutingTest : public IntegrationTest {
protected:
  void SetUp() override {
    const auto local = startSimulator("local");
    const auto eu = startSimulator("eu");
    const auto us = startSimulator("us");
    port = startGateway(config(backend("local", "onprem", local) + backend("eu", "eu-cloud", eu) +
                                   backend("us", "us-cloud", us),
                               "  assistant: { targets: [us:gpt-us, eu:gpt-eu, local:llama] }\n"
                               "  private: { targets: [local:llama] }\n"
                               "  cloud-only: { targets: [us:gpt-us] }\n"));
  }

  /// Sends "hello from TEXT" and checks it was answered by `backend` at `level`.
  void expectRoute(std::string_view key, const Headers& headers, std::string_view model,
                   const std::string& backend, const std::string& boundary,
                   const std::string& region, const std::string& level) {
    const HttpResponse response = chat(port, key, chatBody(model, "hello there"), headers);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(str(response.json(), "/choices/0/message/content"), "[" + backend + "] hello there");
    EXPECT_EQ(response.header("x-cordon-backend"), backend);
    EXPECT_EQ(response.header("x-cordon-boundary"), boundary);
    EXPECT_EQ(response.header("x-cordon-region"), region);
    EXPECT_EQ(response.header("x-cordon-level"), level);
    EXPECT_FALSE(response.header("x-cordon-request-id").empty());
  }

  std::uint16_t port = 0;
};

TEST_F(RoutingTest, PublicRequestGoesToTheFirstTarget) {
  const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", "hello there"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_NE(response.header("content-type").find("application/json"), std::string::npos);
  const json::value body = response.json();
  EXPECT_EQ(str(body, "/object"), "chat.completion");
  EXPECT_FALSE(str(body, "/id").empty());
  EXPECT_EQ(str(body, "/choices/0/message/role"), "assistant");
  EXPECT_EQ(str(body, "/choices/0/message/content"), "[us] hello there");
  EXPECT_EQ(str(body, "/choices/0/finish_reason"), "stop");
  EXPECT_NE(at(body, "/usage/total_tokens"), nullptr);
  EXPECT_EQ(response.header("x-cordon-backend"), "us");
  EXPECT_EQ(response.header("x-cordon-boundary"), "us-cloud");
  EXPECT_EQ(response.header("x-cordon-region"), "us");
  EXPECT_EQ(response.header("x-cordon-level"), "public");
  EXPECT_FALSE(response.header("x-cordon-request-id").empty());
}

TEST_F(RoutingTest, RequestIdsDiffer) {
  const HttpResponse first = chat(port, kAcmeKey, chatBody("assistant", "one"));
  const HttpResponse second = chat(port, kAcmeKey, chatBody("assistant", "two"));
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_NE(first.header("x-cordon-request-id"), second.header("x-cordon-request-id"));
}

TEST_F(RoutingTest, DeclaredInternalStaysOnTheFirstTarget) {
  expectRoute(kAcmeKey, {{"x-cordon-level", "internal"}}, "assistant", "us", "us-cloud", "us",
              "internal");
}

TEST_F(RoutingTest, DeclaredConfidentialSkipsTheUsCloud) {
  expectRoute(kAcmeKey, {{"x-cordon-level", "confidential"}}, "assistant", "eu", "eu-cloud", "eu",
              "confidential");
}

TEST_F(RoutingTest, DeclaredRestrictedGoesOnPrem) {
  expectRoute(kAcmeKey, {{"x-cordon-level", "restricted"}}, "assistant", "local", "onprem", "eu-de",
              "restricted");
}

TEST_F(RoutingTest, TenantFloorRaisesTheLevel) {
  expectRoute(kSecureKey, {}, "assistant", "eu", "eu-cloud", "eu", "confidential");
}

TEST_F(RoutingTest, DeclaredLevelCannotLowerTheFloor) {
  expectRoute(kSecureKey, {{"x-cordon-level", "public"}}, "assistant", "eu", "eu-cloud", "eu",
              "confidential");
}

TEST_F(RoutingTest, KeyFloorRaisesTheLevel) {
  expectRoute(kKeyFloorKey, {}, "assistant", "local", "onprem", "eu-de", "restricted");
}

TEST_F(RoutingTest, ResidencyExcludesOtherRegions) {
  expectRoute(kEuKey, {}, "assistant", "eu", "eu-cloud", "eu", "public");
}

TEST_F(RoutingTest, SingleTargetModel) {
  expectRoute(kAcmeKey, {}, "private", "local", "onprem", "eu-de", "public");
}

TEST_F(RoutingTest, NothingEligibleByClearanceIs403) {
  const HttpResponse response = chat(port, kAcmeKey, chatBody("cloud-only", "hello there"),
                                     {{"x-cordon-level", "confidential"}});
  EXPECT_EQ(expectOpenAiError(response, 403), "policy_violation");
  EXPECT_FALSE(response.header("x-cordon-request-id").empty());
  EXPECT_TRUE(response.header("x-cordon-backend").empty());
  EXPECT_EQ(response.body.find("hello there"), std::string::npos) << "error leaks the prompt";
  expectStillServes(port);
}

TEST_F(RoutingTest, NothingEligibleByResidencyIs403) {
  const HttpResponse response = chat(port, kEuKey, chatBody("cloud-only", "hello there"));
  EXPECT_EQ(expectOpenAiError(response, 403), "policy_violation");
}

TEST_F(RoutingTest, KeyFloorRefusesCloudOnlyModel) {
  const HttpResponse response = chat(port, kKeyFloorKey, chatBody("cloud-only", "hello there"));
  EXPECT_EQ(expectOpenAiError(response, 403), "policy_violation");
}

TEST_F(RoutingTest, ApiKeyHeaderIsAccepted) {
  const HttpResponse response =
      httpRequest(port, "POST", "/v1/chat/completions",
                  {{"content-type", "application/json"}, {"x-api-key", std::string(kAcmeKey)}},
                  chatBody("assistant", "via x-api-key"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(str(response.json(), "/choices/0/message/content"), "[us] via x-api-key");
}

TEST_F(RoutingTest, EchoIsByteExact) {
  const std::string text =
      "h\xc3\xa9llo  w\xc3\xb6rld\n\t\"quoted\" \\ back \xe6\x97\xa5\xe6\x9c\xac end ";
  const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", text));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(str(response.json(), "/choices/0/message/content"), "[us] " + text);
}

TEST_F(RoutingTest, ContentPartsAreEchoed) {
  const std::string body =
      R"({"model":"assistant","messages":[{"role":"user","content":[{"type":"text","text":"part one"},{"type":"text","text":" and two"}]}]})";
  const HttpResponse response = chat(port, kAcmeKey, body);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(str(response.json(), "/choices/0/message/content"), "[us] part one and two");
}

TEST_F(RoutingTest, ToolCallIsRelayed) {
  const std::string tools =
      R"("tools":[{"type":"function","function":{"name":"lookup_weather","parameters":{"type":"object","properties":{}}}}])";
  const HttpResponse response =
      chat(port, kAcmeKey, chatBody("assistant", "please CALL_TOOL now", false, tools));
  ASSERT_EQ(response.status, 200) << response.body;
  const json::value body = response.json();
  EXPECT_EQ(str(body, "/choices/0/finish_reason"), "tool_calls");
  EXPECT_EQ(str(body, "/choices/0/message/tool_calls/0/type"), "function");
  EXPECT_FALSE(str(body, "/choices/0/message/tool_calls/0/id").empty());
  EXPECT_EQ(str(body, "/choices/0/message/tool_calls/0/function/name"), "lookup_weather");
  const json::value arguments =
      json::parse(str(body, "/choices/0/message/tool_calls/0/function/arguments"));
  EXPECT_EQ(str(arguments, "/echo"), "please CALL_TOOL now");
}

TEST_F(RoutingTest, ModelsListsTheConfiguredModels) {
  const HttpResponse response = httpRequest(port, "GET", "/v1/models",
                                            {{"Authorization", "Bearer " + std::string(kAcmeKey)}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json::value body = response.json();
  const auto* data = at(body, "/data");
  ASSERT_TRUE(data != nullptr && data->is_array()) << response.body;
  std::set<std::string> names;
  for (const auto& model : data->get_array()) {
    names.insert(str(model, "/id"));
  }
  EXPECT_EQ(names, (std::set<std::string>{"assistant", "private", "cloud-only"}));
}

TEST_F(RoutingTest, ModelsNeedsAKey) {
  const HttpResponse response = httpRequest(port, "GET", "/v1/models");
  expectOpenAiError(response, 401);
}

TEST_F(RoutingTest, HealthAndReadiness) {
  EXPECT_EQ(httpRequest(port, "GET", "/healthz").status, 200);
  EXPECT_EQ(httpRequest(port, "GET", "/readyz").status, 200);
}

TEST_F(RoutingTest, KeepAliveConnectionServesSeveralRequests) {
  HttpConnection connection(port);
  for (int i = 0; i < 3; ++i) {
    const std::string text = "request " + std::to_string(i);
    ASSERT_TRUE(connection.send(rawRequest("POST", "/v1/chat/completions",
                                           {{"Authorization", "Bearer " + std::string(kAcmeKey)},
                                            {"Content-Type", "application/json"}},
                                           chatBody("assistant", text))));
    const HttpResponse response = connection.readResponse();
    ASSERT_EQ(response.status, 200) << response.body << response.failure;
    EXPECT_EQ(str(response.json(), "/choices/0/message/content"), "[us] " + text);
  }
}

TEST_F(RoutingTest, SigtermStopsTheGatewayWithExitZero) {
  expectStillServes(port);
  gatewayProcess().signal(SIGTERM);
  EXPECT_EQ(gatewayProcess().waitExit(), 0) << gatewayProcess().stderrText();
}

} // namespace
} // namespace cordon::itest

namespace cordon::itest {
namespace {

// `cordon check` shows, for a pseudonymizing model, the targets a request reaches when what
// raised its level can be replaced by placeholders — not only the declared-level rows.
TEST_F(IntegrationTest, CheckShowsWhatPseudonymizationOpens) {
  const std::string path = dir.write(
      "cordon.yaml", config(backend("us", "us-cloud", 1) + backend("local", "onprem", 2),
                            "  assistant: { pseudonymize: auto, targets: [us:m, local:m] }\n"));
  Process check({cordonBinary(), "check", "-c", path});
  ASSERT_EQ(check.waitExit(), 0) << check.stderrText();
  const std::string out = check.stdoutText();
  EXPECT_NE(out.find("confidential                   -> local:m\n"), std::string::npos) << out;
  EXPECT_NE(out.find("confidential, pseudonymizable  -> us:m (pseudonymized), local:m\n"),
            std::string::npos)
      << out;
}

} // namespace
} // namespace cordon::itest
