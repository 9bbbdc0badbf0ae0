// Prompts, guardrails and access control through the real binary (issue 7): what a tenant or key
// may use, declare and call; revoking a key by reloading the config.
#include <csignal>
#include <fstream>
#include <sstream>
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

// --- Prompt templates -----------------------------------------------------------------------

class PromptTest : public GovernanceTest {
protected:
  void startWithPrompts() {
    audit_sink = "jsonl:" + dir.path() + "/audit.jsonl";
    local = startSimulator("local", {"--record", dir.path() + "/local.jsonl"});
    us = startSimulator("us", {"--record", dir.path() + "/us.jsonl"});
    models_extra = "  helpdesk: { targets: [us:gpt-us, local:llama], prompt: support@2 }\n"
                   "  internal: { targets: [local:llama], prompt: dossier@1 }\n";
    port = startGateway(governed(true, R"(prompts:
  support:
    "1": { system: "Old help desk wording." }
    "2":
      system: "You are the help desk of {{company}}. Answer in {{language}}."
      messages: [{ role: user, content: "Who are you?" }, { role: assistant, content: "The help desk." }]
      defaults: { language: English }
      targets:
        local: { system: "Help desk of {{company}}, short answers." }
  dossier:
    "1":
      system: "Answer about the account."
      targets:
        local: { system: "Escalations go to ops.lead@example.com." }
)"));
  }

  std::string saw(const std::string& backend) const {
    std::ifstream in(dir.path() + "/" + backend + ".jsonl");
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }

  static std::string withVariables(std::string_view model, std::string_view text,
                                   std::string_view variables) {
    return chatBody(model, text, false, R"("cordon_variables":)" + std::string(variables));
  }
};

TEST_F(PromptTest, PinnedTemplateIsRenderedForTheTargetAndAudited) {
  startWithPrompts();
  const HttpResponse answered = chat(
      port, kAcmeKey, withVariables("helpdesk", "Where is my parcel?", R"({"company":"ACME"})"));
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.header("x-cordon-backend"), "us");
  const std::string us_saw = saw("us");
  EXPECT_NE(us_saw.find("You are the help desk of ACME. Answer in English."), std::string::npos)
      << us_saw;
  EXPECT_NE(us_saw.find("The help desk."), std::string::npos) << us_saw;
  EXPECT_EQ(us_saw.find("cordon_variables"), std::string::npos) << us_saw;

  // The client's variables never reach the audit; the template's name and version do.
  gatewayProcess().terminate();
  std::ifstream audit(dir.path() + "/audit.jsonl");
  std::stringstream records;
  records << audit.rdbuf();
  EXPECT_NE(records.str().find(R"("prompt":"support@2")"), std::string::npos) << records.str();
  EXPECT_EQ(records.str().find("ACME"), std::string::npos);
}

TEST_F(PromptTest, AMissingVariableIsA400NamingIt) {
  startWithPrompts();
  const HttpResponse refused = chat(port, kAcmeKey, chatBody("helpdesk", "hello"));
  EXPECT_EQ(expectOpenAiError(refused, 400), "invalid_request_error");
  EXPECT_NE(refused.body.find("prompt support@2: missing variable company"), std::string::npos)
      << refused.body;
}

TEST_F(PromptTest, ClientChoosesATemplateByHeader) {
  startWithPrompts();
  const HttpResponse answered =
      chat(port, kAcmeKey, chatBody("assistant", "hello"), {{"x-cordon-prompt", "support@1"}});
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_NE(saw("us").find("Old help desk wording."), std::string::npos);
  EXPECT_EQ(
      chat(port, kAcmeKey, chatBody("assistant", "hello"), {{"x-cordon-prompt", "nope@9"}}).status,
      400);
}

TEST_F(PromptTest, ATargetGetsItsOwnWording) {
  startWithPrompts();
  const HttpResponse answered = chat(
      port, kAcmeKey, withVariables("helpdesk", "Where is my parcel?", R"({"company":"ACME"})"),
      {{"x-cordon-level", "confidential"}});
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.header("x-cordon-backend"), "local");
  const std::string local_saw = saw("local");
  EXPECT_NE(local_saw.find("Help desk of ACME, short answers."), std::string::npos) << local_saw;
  EXPECT_EQ(local_saw.find("You are the help desk"), std::string::npos) << local_saw;
}

TEST_F(PromptTest, AConfidentialTemplateRaisesTheLevel) {
  startWithPrompts();
  // dossier@1's on-prem wording names an e-mail address: every request using it is confidential.
  const HttpResponse answered = chat(port, kAcmeKey, chatBody("internal", "Status?"));
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.header("x-cordon-level"), "confidential");
}

} // namespace
} // namespace cordon::itest
