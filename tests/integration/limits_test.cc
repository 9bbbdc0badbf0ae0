// Rate limits through the real binary (docs/operations.md#rate-limits): a burst over a tenant's
// or a key's requests per minute gets 429s with retry-after in the front door's own error form,
// tokens per minute are settled with the backend's usage, the audit records every refusal, the
// counters survive a reload, and two gateways on one Redis (tests/support/redis_server.sh) share
// one budget — and still limit, each on its own, when Redis is gone.
#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cordon/audit/record.h"
#include "cordon/common/sha256.h"
#include "integration/harness.h"

namespace cordon::itest {
namespace {

constexpr std::string_view kBurstKey = "sk-itest-burst";   ///< tenant "limited", rpm 3
constexpr std::string_view kTightKey = "sk-itest-tight";   ///< tenant "shared": key rpm 2
constexpr std::string_view kLooseKey = "sk-itest-loose";   ///< tenant "shared": no key limit
constexpr std::string_view kTokensKey = "sk-itest-tokens"; ///< tenant "thrifty", tpm 1000
constexpr std::uint64_t kThriftyTpm = 1000;

/// Runs a shell command; its stdout, trailing newline removed.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    out += buffer.data();
  }
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

std::string key(std::string_view name, std::string_view api_key, std::string_view extra = "") {
  return "      - { name: " + std::string(name) + ", sha256: \"" + toHex(sha256(api_key)) + "\"" +
         std::string(extra) + " }\n";
}

std::vector<audit::Record> records(const std::string& spec) {
  std::vector<audit::Record> out;
  auto sink = audit::openSink(spec, audit::OpenMode::Read);
  EXPECT_TRUE(sink) << sink.error().detail;
  if (sink) {
    EXPECT_TRUE((*sink)->each([&](std::string_view stored) {
      if (auto record = audit::parseStored(stored); record && record->outcome != "sealed") {
        out.push_back(std::move(*record));
      }
    }));
  }
  return out;
}

class LimitsTest : public IntegrationTest {
protected:
  /// The standard config (its tenants have no limits) plus limited tenants, and `extra` top-level
  /// lines after them.
  std::string limitedConfig(const std::string& extra = "", int burst_rpm = 3) {
    if (sim == 0) {
      sim = startSimulator("sim");
    }
    return config(backend("sim", "onprem", sim), "  assistant: { targets: [sim:m] }\n") +
           "  limited:\n    limits: { rpm: " + std::to_string(burst_rpm) + " }\n    keys:\n" +
           key("burst-bot", kBurstKey) + "  shared:\n    limits: { rpm: 100 }\n    keys:\n" +
           key("tight-bot", kTightKey, ", limits: { rpm: 2 }") + key("loose-bot", kLooseKey) +
           "  thrifty:\n    limits: { tpm: " + std::to_string(kThriftyTpm) + " }\n    keys:\n" +
           key("tokens-bot", kTokensKey) + extra;
  }

  /// `count` requests at once, each on its own connection; their responses.
  static std::vector<HttpResponse> burst(std::uint16_t port, std::string_view api_key, int count) {
    std::vector<HttpResponse> responses(static_cast<std::size_t>(count));
    std::vector<std::thread> threads;
    threads.reserve(responses.size());
    for (std::size_t i = 0; i < responses.size(); ++i) {
      threads.emplace_back([&, i] {
        responses[i] = chat(port, api_key, chatBody("assistant", "Status of release 4.2?"));
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    return responses;
  }

  /// Checks a 429: the OpenAI error form, retry-after in whole seconds ≥ 1 (at most `max`), the
  /// limit named. Returns retry-after.
  static int expectRateLimited(const HttpResponse& response, const std::string& limit,
                               int max = 60) {
    EXPECT_EQ(expectOpenAiError(response, 429), "rate_limit_error");
    EXPECT_EQ(str(response.json(), "/error/code"), "rate_limited");
    EXPECT_NE(str(response.json(), "/error/message").find(limit), std::string::npos)
        << response.body;
    EXPECT_FALSE(response.header("x-cordon-request-id").empty());
    const std::string retry = response.header("retry-after");
    const int seconds = std::atoi(retry.c_str());
    EXPECT_TRUE(!retry.empty() && std::all_of(retry.begin(), retry.end(), ::isdigit)) << retry;
    EXPECT_GE(seconds, 1);
    EXPECT_LE(seconds, max);
    return seconds;
  }

  std::uint16_t sim = 0;
};

TEST_F(LimitsTest, ABurstOverTheTenantsRequestsPerMinuteGets429s) {
  const auto port = startGateway(limitedConfig());
  const auto responses = burst(port, kBurstKey, 8);
  int answered = 0;
  for (const auto& response : responses) {
    if (response.status == 200) {
      ++answered;
    } else {
      // 3 a minute: the next one comes back within 20 s.
      expectRateLimited(response, "tenant limited: 3 requests per minute", 20);
    }
  }
  EXPECT_EQ(answered, 3);
  // The Anthropic front door answers in its own error form.
  const HttpResponse anthropic = httpRequest(
      port, "POST", "/v1/messages",
      {{"Content-Type", "application/json"},
       {"x-api-key", std::string(kBurstKey)},
       {"anthropic-version", "2023-06-01"}},
      R"({"model":"assistant","max_tokens":50,"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(anthropic.status, 429) << anthropic.body;
  EXPECT_EQ(str(anthropic.json(), "/type"), "error");
  EXPECT_EQ(str(anthropic.json(), "/error/type"), "rate_limit_error");
  EXPECT_NE(str(anthropic.json(), "/error/message").find("tenant limited"), std::string::npos);
  EXPECT_GE(std::atoi(anthropic.header("retry-after").c_str()), 1);
  // Other tenants are not held back.
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "hi")).status, 200);
}

TEST_F(LimitsTest, AKeyLimitHoldsTheKeyNotItsTenant) {
  const auto port = startGateway(limitedConfig());
  EXPECT_EQ(chat(port, kTightKey, chatBody("assistant", "one")).status, 200);
  EXPECT_EQ(chat(port, kTightKey, chatBody("assistant", "two")).status, 200);
  const int retry = expectRateLimited(chat(port, kTightKey, chatBody("assistant", "three")),
                                      "key shared/tight-bot: 2 requests per minute", 30);
  EXPECT_GE(retry, 29);
  // The refused request used none of the tenant's budget, and the tenant's other key goes on.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(chat(port, kLooseKey, chatBody("assistant", "more")).status, 200);
  }
}

TEST_F(LimitsTest, TokensAreEstimatedThenSettledWithTheBackendsUsage) {
  const auto port = startGateway(limitedConfig());
  // 420 one-letter words: the simulator counts a token per word in and echoes them all back
  // out, about four times the request's bytes / 4.
  std::string text;
  for (int i = 0; i < 420; ++i) {
    text += "w ";
  }
  const std::string body = chatBody("assistant", text);
  const std::uint64_t estimate = (body.size() + 3) / 4;
  const HttpResponse first = chat(port, kTokensKey, body);
  ASSERT_EQ(first.status, 200) << first.body;
  const boost::json::value answer = first.json(); // kept: `usage` points into it
  const auto* usage = at(answer, "/usage/total_tokens");
  ASSERT_NE(usage, nullptr) << first.body;
  const auto actual = usage->to_number<std::uint64_t>();
  // On the estimate alone a second request would fit; with the real usage it does not.
  ASSERT_LE(2 * estimate, kThriftyTpm);
  ASSERT_GT(actual + estimate, kThriftyTpm);
  expectRateLimited(chat(port, kTokensKey, body), "tenant thrifty: 1000 tokens per minute");
  // A small request still fits in what is left.
  const std::string small = chatBody("assistant", "hi");
  ASSERT_LE(actual + (small.size() + 3) / 4, kThriftyTpm);
  EXPECT_EQ(chat(port, kTokensKey, small).status, 200);
}

TEST_F(LimitsTest, TheAuditAndTheMetricsRecordEveryRefusal) {
  const auto port = startGateway(limitedConfig());
  for (int i = 0; i < 5; ++i) {
    chat(port, kBurstKey, chatBody("assistant", "Write to jane.roe@example.com today."));
  }
  const std::string metrics = httpRequest(port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("cordon_refusals_total{rule=\"rate_limit\"} 2"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("cordon_rate_limit_store_fallbacks_total 0"), std::string::npos);
  gatewayProcess().terminate();
  int limited = 0;
  for (const audit::Record& record : records(audit_sink)) {
    EXPECT_EQ(record.tenant, "limited");
    if (record.outcome != "rate_limited") {
      EXPECT_EQ(record.outcome, "answered");
      continue;
    }
    ++limited;
    EXPECT_EQ(record.status, 429U);
    EXPECT_EQ(record.key, "burst-bot");
    EXPECT_EQ(record.model, "assistant");
    EXPECT_EQ(record.reason, "rate limit: tenant limited: 3 requests per minute");
    // Refused before detection and before any backend.
    EXPECT_TRUE(record.entities.empty());
    EXPECT_TRUE(record.attempts.empty());
  }
  EXPECT_EQ(limited, 2);
  Process verify({cordonBinary(), "audit", "verify", "-c", dir.path() + "/cordon.yaml"});
  EXPECT_EQ(verify.waitExit(), 0) << verify.stdoutText() << verify.stderrText();
}

TEST_F(LimitsTest, TheCountersSurviveAReload) {
  const auto port = startGateway(limitedConfig());
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(chat(port, kBurstKey, chatBody("assistant", "hi")).status, 200);
  }
  // A new limit of 4 applies to the counters as they are: the 3 used stay used.
  dir.write("cordon.yaml", limitedConfig("", 4));
  gatewayProcess().signal(SIGHUP);
  for (int i = 0; i < 400; ++i) {
    if (gatewayProcess().stderrText().find("reload: new config active") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  ASSERT_NE(gatewayProcess().stderrText().find("reload: new config active"), std::string::npos);
  expectRateLimited(chat(port, kBurstKey, chatBody("assistant", "hi")),
                    "tenant limited: 4 requests per minute", 15);
}

TEST_F(LimitsTest, AStoreUrlWithASecretIsRefusedWithoutRepeatingIt) {
  const std::string path = dir.write(
      "secret.yaml", limitedConfig("limits: { store: \"redis://:hunter2@127.0.0.1:6379\" }\n"));
  Process check({cordonBinary(), "check", "-c", path});
  check.waitExit();
  EXPECT_NE(check.stdoutText().find("warning: limits.store: a user or password is not supported"),
            std::string::npos)
      << check.stdoutText();
  Process serve({cordonBinary(), "serve", "-c", path});
  const auto code = serve.waitExit(kStartTimeout);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(serve.stderrText().find("limits.store"), std::string::npos) << serve.stderrText();
  for (const std::string& text :
       {check.stdoutText(), check.stderrText(), serve.stdoutText(), serve.stderrText()}) {
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  }
}

class SharedLimitsTest : public LimitsTest {
protected:
  void SetUp() override {
    std::string pattern = "/tmp/cordon-itest-redis-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    redis_dir = pattern;
    redis_port = run(script() + " start " + redis_dir + " " + std::to_string(getpid()));
    ASSERT_FALSE(redis_port.empty()) << "redis_server.sh did not start";
  }
  void TearDown() override {
    if (!redis_dir.empty()) {
      run(script() + " stop " + redis_dir);
      run("rm -rf " + redis_dir);
    }
  }

  static std::string script() { return CORDON_REDIS_SERVER_SCRIPT; }

  std::string redis_dir;
  std::string redis_port;
};

TEST_F(SharedLimitsTest, TwoGatewaysOnOneRedisShareTheBudget) {
  const std::string store = "limits: { store: \"redis://127.0.0.1:" + redis_port + "/2\" }\n";
  const auto first = startGateway(limitedConfig(store));
  audit_sink = "sqlite:" + dir.path() + "/second-audit.db"; // one writer per SQLite file
  const auto second = startGateway(limitedConfig(store));
  EXPECT_EQ(chat(first, kBurstKey, chatBody("assistant", "one")).status, 200);
  EXPECT_EQ(chat(second, kBurstKey, chatBody("assistant", "two")).status, 200);
  EXPECT_EQ(chat(first, kBurstKey, chatBody("assistant", "three")).status, 200);
  expectRateLimited(chat(second, kBurstKey, chatBody("assistant", "four")),
                    "tenant limited: 3 requests per minute", 20);
  expectRateLimited(chat(first, kBurstKey, chatBody("assistant", "five")),
                    "tenant limited: 3 requests per minute", 20);
  const std::string metrics = httpRequest(second, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("cordon_rate_limit_store_fallbacks_total 0"), std::string::npos);
}

TEST_F(SharedLimitsTest, WithRedisGoneEachGatewayStillLimits) {
  const auto port =
      startGateway(limitedConfig("limits: { store: \"redis://127.0.0.1:" + redis_port + "\" }\n"));
  EXPECT_EQ(chat(port, kBurstKey, chatBody("assistant", "one")).status, 200);
  run(script() + " halt " + redis_dir);
  // Its own counters take over (fresh: three more), and the gateway says so.
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    const HttpResponse response = chat(port, kBurstKey, chatBody("assistant", "more"));
    if (response.status == 200) {
      ++answered;
    } else {
      expectRateLimited(response, "tenant limited: 3 requests per minute", 20);
    }
  }
  EXPECT_EQ(answered, 3);
  const std::string metrics = httpRequest(port, "GET", "/metrics").body;
  EXPECT_EQ(metrics.find("cordon_rate_limit_store_fallbacks_total 0"), std::string::npos);
  EXPECT_NE(metrics.find("cordon_rate_limit_store_fallbacks_total "), std::string::npos);
  EXPECT_NE(gatewayProcess().stderrText().find("rate limits: redis 127.0.0.1:"), std::string::npos)
      << gatewayProcess().stderrText();
}

} // namespace
} // namespace cordon::itest
