// Prompts, guardrails and access control through the real binary (issue 7): what a tenant or key
// may use, declare and call; revoking a key by reloading the config.
#include <csignal>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cordon/common/sha256.h"
#include "integration/harness.h"

namespace cordon::itest {
namespace {

constexpr std::string_view kLimitedKey = "sk-itest-limited";
constexpr std::string_view kCappedKey = "sk-itest-capped";

class GovernanceTest : public IntegrationTest {
protected:
  static std::string keyEntry(std::string_view name, std::string_view key,
                              std::string_view extra = "") {
    return "      - { name: " + std::string(name) + ", sha256: \"" + toHex(sha256(key)) + "\"" +
           std::string(extra) + " }\n";
  }

  /// The standard config plus tenant `limited` (model list, no explain) whose key `capped` may
  /// declare at most `internal`; `extra` is appended (more top-level sections).
  std::string governed(bool with_capped_key = true, const std::string& extra = "") const {
    std::string yaml = config(backend("local", "onprem", local) + backend("us", "us-cloud", us),
                              "  assistant: { targets: [us:gpt-us, local:llama] }\n"
                              "  secret: { targets: [local:llama] }\n" +
                                  models_extra);
    yaml += "  limited:\n    models: [assistant]\n    explain: false\n    keys:\n";
    yaml += keyEntry("limited-bot", kLimitedKey);
    if (with_capped_key) {
      yaml += keyEntry("capped-bot", kCappedKey, ", max_declared: internal");
    }
    return yaml + extra;
  }

  void startAll(const std::string& extra = "") {
    local = startSimulator("local");
    us = startSimulator("us");
    port = startGateway(governed(true, extra));
  }

  HttpResponse explain(std::string_view key, const std::string& body) {
    return httpRequest(port, "POST", "/v1/cordon/explain",
                       {{"authorization", "Bearer " + std::string(key)}}, body);
  }

  std::string models_extra;
  std::uint16_t local = 0;
  std::uint16_t us = 0;
  std::uint16_t port = 0;
};

TEST_F(GovernanceTest, TenantModelListIsEnforced) {
  startAll();
  EXPECT_EQ(chat(port, kLimitedKey, chatBody("assistant", "hello")).status, 200);
  const HttpResponse refused = chat(port, kLimitedKey, chatBody("secret", "hello"));
  EXPECT_EQ(expectOpenAiError(refused, 403), "policy_violation");
  EXPECT_NE(refused.body.find("tenant limited may not use model secret"), std::string::npos)
      << refused.body;
  // Other tenants are not affected.
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("secret", "hello")).status, 200);
}

TEST_F(GovernanceTest, KeyMayDeclareOnlyUpToItsCap) {
  startAll();
  EXPECT_EQ(
      chat(port, kCappedKey, chatBody("assistant", "hi"), {{"x-cordon-level", "internal"}}).status,
      200);
  const HttpResponse refused =
      chat(port, kCappedKey, chatBody("assistant", "hi"), {{"x-cordon-level", "restricted"}});
  EXPECT_EQ(expectOpenAiError(refused, 403), "policy_violation");
  EXPECT_NE(refused.body.find("key capped-bot may declare at most level internal"),
            std::string::npos)
      << refused.body;
}

TEST_F(GovernanceTest, ExplainNeedsPermission) {
  startAll();
  const HttpResponse refused = explain(kLimitedKey, chatBody("assistant", "hello"));
  EXPECT_EQ(expectOpenAiError(refused, 403), "policy_violation");
  EXPECT_NE(refused.body.find("may not call explain"), std::string::npos) << refused.body;
  EXPECT_EQ(explain(kAcmeKey, chatBody("assistant", "hello")).status, 200);
}

TEST_F(GovernanceTest, AKeyIsRevokedByReload) {
  startAll();
  ASSERT_EQ(chat(port, kCappedKey, chatBody("assistant", "hi")).status, 200);
  dir.write("cordon.yaml", governed(false));
  gatewayProcess().signal(SIGHUP);
  int status = 200;
  for (int i = 0; i < 400 && status == 200; ++i) {
    std::this_thread::sleep_for(50ms);
    status = chat(port, kCappedKey, chatBody("assistant", "hi")).status;
  }
  EXPECT_EQ(status, 401);
  EXPECT_EQ(chat(port, kLimitedKey, chatBody("assistant", "hi")).status, 200);
}

} // namespace
} // namespace cordon::itest
