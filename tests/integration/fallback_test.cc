// Fallback: an upstream failure before the first byte moves on to the next ELIGIBLE target, never
// to one the policy excluded; when every eligible target failed the answer is 502 (504 on
// timeouts).
#include <string>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

class FallbackTest : public IntegrationTest {
protected:
  /// A gateway whose model `m` tries `first` then `second`, both in eu-cloud.
  std::uint16_t twoTargets(std::uint16_t first, std::uint16_t second) {
    return startGateway(config(backend("a", "eu-cloud", first) + backend("b", "eu-cloud", second),
                               "  m: { targets: [a:model-a, b:model-b] }\n"
                               "  assistant: { targets: [b:model-b] }\n"));
  }

  /// Checks that the answer came from backend b.
  static void expectFromB(const HttpResponse& response, const std::string& text) {
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(str(response.json(), "/choices/0/message/content"), "[b] " + text);
    EXPECT_EQ(response.header("x-cordon-backend"), "b");
    EXPECT_EQ(response.header("x-cordon-boundary"), "eu-cloud");
  }
};

TEST_F(FallbackTest, ConnectRefusedFallsBackToTheNextTarget) {
  const auto port = twoTargets(refusedPort(), startSimulator("b"));
  expectFromB(chat(port, kAcmeKey, chatBody("m", "refused first")), "refused first");
}

TEST_F(FallbackTest, Status503FallsBack) {
  const auto port = twoTargets(startSimulator("a", {"--fail-status", "503"}), startSimulator("b"));
  expectFromB(chat(port, kAcmeKey, chatBody("m", "first is down")), "first is down");
}

TEST_F(FallbackTest, Status429FallsBack) {
  const auto port = twoTargets(startSimulator("a", {"--fail-status", "429"}), startSimulator("b"));
  expectFromB(chat(port, kAcmeKey, chatBody("m", "first is busy")), "first is busy");
}

TEST_F(FallbackTest, Status500FallsBack) {
  const auto port = twoTargets(startSimulator("a", {"--fail-status", "500"}), startSimulator("b"));
  expectFromB(chat(port, kAcmeKey, chatBody("m", "first broke")), "first broke");
}

TEST_F(FallbackTest, HangFallsBackAfterTheFirstByteTimeout) {
  first_byte_ms = 500;
  const auto port = twoTargets(startSimulator("a", {"--hang"}), startSimulator("b"));
  const HttpResponse response = chat(port, kAcmeKey, chatBody("m", "first hangs"));
  expectFromB(response, "first hangs");
  EXPECT_GE(response.elapsed, 400ms);
  EXPECT_LT(response.elapsed, 5s);
}

TEST_F(FallbackTest, TruncatedAnswerFallsBack) {
  const auto port = twoTargets(startSimulator("a", {"--reset-mid-stream"}), startSimulator("b"));
  expectFromB(chat(port, kAcmeKey, chatBody("m", "first is cut off")), "first is cut off");
}

TEST_F(FallbackTest, StreamingRequestFallsBackBeforeTheFirstByte) {
  const auto port = twoTargets(startSimulator("a", {"--fail-status", "503"}), startSimulator("b"));
  const HttpResponse response = chat(port, kAcmeKey, chatBody("m", "stream me please", true));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(response.complete) << response.failure;
  EXPECT_EQ(response.header("x-cordon-backend"), "b");
  EXPECT_EQ(streamedContent(response.body), "[b] stream me please");
}

TEST_F(FallbackTest, FailEveryOtherRequestAlternatesBackends) {
  const auto port = twoTargets(startSimulator("a", {"--fail-status", "503", "--fail-every", "2"}),
                               startSimulator("b"));
  for (const char* expected : {"a", "b", "a", "b"}) {
    const HttpResponse response = chat(port, kAcmeKey, chatBody("m", "round"));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.header("x-cordon-backend"), expected);
    EXPECT_EQ(str(response.json(), "/choices/0/message/content"),
              "[" + std::string(expected) + "] round");
  }
}

TEST_F(FallbackTest, AllEligibleFailedIs502) {
  const auto port = twoTargets(startSimulator("a", {"--fail-status", "503"}),
                               startSimulator("b", {"--fail-status", "500"}));
  const HttpResponse response = chat(port, kAcmeKey, chatBody("m", "nobody answers"));
  expectOpenAiError(response, 502);
  EXPECT_EQ(response.body.find("nobody answers"), std::string::npos) << "error leaks the prompt";
}

TEST_F(FallbackTest, AllEligibleRefusedIs502) {
  const auto port = twoTargets(refusedPort(), refusedPort());
  expectOpenAiError(chat(port, kAcmeKey, chatBody("m", "nobody listens")), 502);
}

TEST_F(FallbackTest, AllEligibleTimedOutIs504) {
  first_byte_ms = 400;
  const auto port = twoTargets(startSimulator("a", {"--hang"}), startSimulator("b", {"--hang"}));
  const HttpResponse response = chat(port, kAcmeKey, chatBody("m", "everyone hangs"));
  expectOpenAiError(response, 504);
  EXPECT_LT(response.elapsed, 5s);
}

// The example of PRODUCT.md §1: the preferred on-prem backend is down and the only other target
// is a us-cloud the request may not go to. The answer is 502, and the cloud is never contacted.
TEST_F(FallbackTest, NeverFallsBackToAnIneligibleTarget) {
  Sentinel cloud;
  const auto port = startGateway(
      config(backend("local", "onprem", refusedPort()) + backend("cloud", "us-cloud", cloud.port()),
             "  m: { targets: [local:llama, cloud:gpt] }\n"));
  const HttpResponse response =
      chat(port, kAcmeKey, chatBody("m", "keep me home"), {{"x-cordon-level", "confidential"}});
  expectOpenAiError(response, 502);
  EXPECT_NE(response.header("x-cordon-backend"), "cloud");
  EXPECT_EQ(cloud.connections(), 0) << "the gateway contacted a non-eligible backend";
}

TEST_F(FallbackTest, HangingEligibleTargetDoesNotWidenTheSet) {
  first_byte_ms = 400;
  Sentinel cloud;
  const auto port =
      startGateway(config(backend("local", "onprem", startSimulator("local", {"--hang"})) +
                              backend("cloud", "us-cloud", cloud.port()),
                          "  m: { targets: [local:llama, cloud:gpt] }\n"));
  const HttpResponse response =
      chat(port, kAcmeKey, chatBody("m", "keep me home"), {{"x-cordon-level", "restricted"}});
  expectOpenAiError(response, 504);
  EXPECT_EQ(cloud.connections(), 0) << "the gateway contacted a non-eligible backend";
}

TEST_F(FallbackTest, IneligibleFirstTargetIsSkipped) {
  Sentinel cloud;
  const auto port = startGateway(config(backend("cloud", "us-cloud", cloud.port()) +
                                            backend("local", "onprem", startSimulator("local")),
                                        "  m: { targets: [cloud:gpt, local:llama] }\n"));
  const HttpResponse response =
      chat(port, kAcmeKey, chatBody("m", "skip the cloud"), {{"x-cordon-level", "confidential"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(str(response.json(), "/choices/0/message/content"), "[local] skip the cloud");
  EXPECT_EQ(response.header("x-cordon-backend"), "local");
  EXPECT_EQ(cloud.connections(), 0) << "the gateway contacted a non-eligible backend";
}

TEST_F(FallbackTest, ResidencyIsNeverWidenedByFallback) {
  Sentinel us;
  const auto port = startGateway(
      config(backend("local", "onprem", refusedPort()) + backend("us", "us-cloud", us.port()),
             "  m: { targets: [local:llama, us:gpt] }\n"));
  // Public data, but tenant euco only allows eu regions: the us target is not eligible.
  const HttpResponse response = chat(port, kEuKey, chatBody("m", "stay in the eu"));
  expectOpenAiError(response, 502);
  EXPECT_EQ(us.connections(), 0) << "the gateway contacted a backend outside the residency";
}

TEST_F(FallbackTest, GatewayStillServesAfterUpstreamFailures) {
  const auto port = twoTargets(startSimulator("a", {"--fail-status", "503"}),
                               startSimulator("b", {"--fail-status", "503"}));
  expectOpenAiError(chat(port, kAcmeKey, chatBody("m", "x")), 502);
  const HttpResponse health = httpRequest(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
}

} // namespace
} // namespace cordon::itest
