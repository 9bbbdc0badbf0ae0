// Upstream resilience through the real binary (docs/reliability.md): circuit breakers that open
// and recover against `cordon simulate --fail-every`, active health checks, retries with a
// deadline budget, connection limits and load spreading inside a preference step, and the
// property that none of it ever sends a request outside the set policy made eligible.
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

class ResilienceTest : public IntegrationTest {
protected:
  ResilienceTest() { audit_sink = "jsonl:" + auditPath(); }

  std::string auditPath() const { return dir.path() + "/audit.jsonl"; }

  /// The attempts of the last request record, as "backend:status" or "backend:error".
  std::vector<std::string> lastAttempts() const {
    const auto lines = readLines(auditPath());
    if (lines.empty()) {
      return {};
    }
    std::vector<std::string> out;
    const json::value record = json::parse(lines.back());
    if (const auto* attempts = at(record, "/attempts"); attempts != nullptr) {
      for (const json::value& attempt : attempts->as_array()) {
        const std::string error = str(attempt, "/error");
        const json::value* status = at(attempt, "/status");
        out.push_back(str(attempt, "/backend") + ":" +
                      (!error.empty()      ? error
                       : status != nullptr ? json::serialize(*status)
                                           : std::string("?")));
      }
    }
    return out;
  }

  /// The value of one sample in GET /metrics, or -1 when it is absent.
  static double metric(std::uint16_t port, const std::string& sample) {
    const HttpResponse scraped = httpRequest(port, "GET", "/metrics");
    std::istringstream lines(scraped.body);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(sample + " ")) {
        return std::stod(line.substr(sample.size() + 1));
      }
    }
    return -1;
  }

  static std::string circuit(const std::string& backend) {
    return "cordon_circuit_state{backend=\"" + backend + "\"}";
  }

  /// Polls `ready` for up to `limit` (the gateway acts on its own clock: health checks).
  template <class Ready> static bool eventually(Ready ready, std::chrono::milliseconds limit) {
    for (auto waited = 0ms; waited < limit; waited += 50ms) {
      if (ready()) {
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return ready();
  }
};

TEST_F(ResilienceTest, BreakerOpensSkipsTheBackendAndRecovers) {
  // Every second request to "flaky" fails: with a window of two attempts and a 50 % error rate
  // its breaker opens on the first failure.
  const std::string record = dir.path() + "/flaky.jsonl";
  const auto flaky =
      startSimulator("flaky", {"--fail-status", "503", "--fail-every", "2", "--record", record});
  const auto good = startSimulator("good");
  const auto port = startGateway(
      config(backend("flaky", "eu-cloud", flaky) + backend("good", "eu-cloud", good),
             "  assistant: { targets: [flaky:m, good:m] }\n") +
      "breaker: { consecutive_failures: 0, error_rate: 0.5, window: 2, open_ms: 400 }\n");

  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "one")).header("x-cordon-backend"), "flaky");
  EXPECT_EQ(metric(port, circuit("flaky")), 0);

  const HttpResponse second = chat(port, kAcmeKey, chatBody("assistant", "two"));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.header("x-cordon-backend"), "good");
  EXPECT_EQ(lastAttempts(), (std::vector<std::string>{"flaky:503", "good:200"}));
  EXPECT_EQ(metric(port, circuit("flaky")), 2);

  // Open: skipped without being asked, and the audit says why.
  const HttpResponse third = chat(port, kAcmeKey, chatBody("assistant", "three"));
  EXPECT_EQ(third.header("x-cordon-backend"), "good");
  EXPECT_EQ(lastAttempts(), (std::vector<std::string>{"flaky:skipped: circuit open", "good:200"}));
  EXPECT_EQ(readLines(record).size(), 2U) << "an open breaker must not let the request through";
  EXPECT_EQ(
      metric(port, "cordon_upstream_skipped_total{backend=\"flaky\",reason=\"circuit_open\"}"), 1);
  // Explain shows the open circuit and the target serving would try first.
  const HttpResponse explained = httpRequest(
      port, "POST", "/v1/cordon/explain",
      {{"authorization", "Bearer " + std::string(kAcmeKey)}, {"content-type", "application/json"}},
      chatBody("assistant", "three"));
  ASSERT_EQ(explained.status, 200) << explained.body;
  EXPECT_EQ(str(explained.json(), "/targets/0/circuit"), "open");
  EXPECT_EQ(str(explained.json(), "/targets/1/circuit"), "closed");
  EXPECT_EQ(str(explained.json(), "/decision/target"), "good:m");

  // After open_ms one probe goes through; it succeeds and closes the breaker.
  ASSERT_TRUE(eventually([&] { return metric(port, circuit("flaky")) == 1; }, 3s));
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "four")).header("x-cordon-backend"),
            "flaky");
  EXPECT_EQ(metric(port, circuit("flaky")), 0);
  EXPECT_EQ(readLines(record).size(), 3U);
}

TEST_F(ResilienceTest, HealthChecksOpenTheCircuitOfADeadBackendAndCloseItWhenItIsBack) {
  const std::uint16_t dead = refusedPort();
  const auto good = startSimulator("good");
  const auto port =
      startGateway(config(backend("revived", "eu-cloud", dead,
                                  "health_check: { path: /models, interval_ms: 100 }") +
                              backend("good", "eu-cloud", good),
                          "  assistant: { targets: [revived:m, good:m] }\n") +
                   "breaker: { consecutive_failures: 2, open_ms: 60000 }\n");
  ASSERT_TRUE(eventually([&] { return metric(port, circuit("revived")) == 2; }, 5s));
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "hi")).header("x-cordon-backend"), "good");
  EXPECT_EQ(lastAttempts().front(), "revived:skipped: circuit open");

  // The backend comes back on its port: the next passing check closes the breaker long before
  // open_ms would have let a probe through.
  startSimulator("revived", {"--listen", "127.0.0.1:" + std::to_string(dead)});
  ASSERT_TRUE(eventually([&] { return metric(port, circuit("revived")) == 0; }, 5s));
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "hi")).header("x-cordon-backend"),
            "revived");
}

TEST_F(ResilienceTest, RetriesWalkTheEligibleListAgainAfterABackoff) {
  const auto flaky = startSimulator("flaky", {"--fail-status", "503", "--fail-every", "2"});
  const auto port = startGateway(
      config(backend("flaky", "eu-cloud", flaky), "  assistant: { targets: [flaky:m] }\n") +
      "breaker: { consecutive_failures: 0, error_rate: 0 }\n"
      "retries: { attempts: 2, backoff_ms: 10, max_backoff_ms: 20 }\n");
  ASSERT_EQ(chat(port, kAcmeKey, chatBody("assistant", "one")).status, 200);
  const HttpResponse second = chat(port, kAcmeKey, chatBody("assistant", "two"));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(lastAttempts(), (std::vector<std::string>{"flaky:503", "flaky:200"}));
}

TEST_F(ResilienceTest, WithoutRetriesTheSameFailureIsA502) {
  const auto flaky = startSimulator("flaky", {"--fail-status", "503", "--fail-every", "2"});
  const auto port = startGateway(
      config(backend("flaky", "eu-cloud", flaky), "  assistant: { targets: [flaky:m] }\n"));
  ASSERT_EQ(chat(port, kAcmeKey, chatBody("assistant", "one")).status, 200);
  expectOpenAiError(chat(port, kAcmeKey, chatBody("assistant", "two")), 502);
}

TEST_F(ResilienceTest, TheDeadlineBudgetCoversEveryAttempt) {
  const auto hung = startSimulator("hung", {"--hang"});
  const auto good = startSimulator("good");
  first_byte_ms = 10000;
  const auto port =
      startGateway(config(backend("hung", "eu-cloud", hung) + backend("good", "eu-cloud", good),
                          "  assistant: { targets: [hung:m, good:m] }\n") +
                   "retries: { deadline_ms: 300 }\n");
  const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", "hi"));
  expectOpenAiError(response, 504);
  EXPECT_NE(response.body.find("deadline"), std::string::npos) << response.body;
}

TEST_F(ResilienceTest, AConnectionLimitSendsTheOverflowToTheNextTarget) {
  const auto slow = startSimulator("slow", {"--token-delay-ms", "150"});
  const auto good = startSimulator("good");
  const auto port = startGateway(config(backend("slow", "eu-cloud", slow, "max_connections: 1") +
                                            backend("good", "eu-cloud", good),
                                        "  assistant: { targets: [slow:m, good:m] }\n"));
  HttpConnection streaming(port);
  ASSERT_TRUE(streaming.send(rawRequest(
      "POST", "/v1/chat/completions",
      {{"authorization", "Bearer " + std::string(kAcmeKey)}, {"content-type", "application/json"}},
      chatBody("assistant", "a slow answer of several words", true))));
  // Wait until the stream is open at "slow" before sending the next request.
  ASSERT_TRUE(eventually(
      [&] { return metric(port, "cordon_upstream_outstanding{backend=\"slow\"}") == 1; }, 3s));
  const HttpResponse overflow = chat(port, kAcmeKey, chatBody("assistant", "hi"));
  ASSERT_EQ(overflow.status, 200) << overflow.body;
  EXPECT_EQ(overflow.header("x-cordon-backend"), "good");
  EXPECT_EQ(lastAttempts(),
            (std::vector<std::string>{"slow:skipped: connection limit 1 reached", "good:200"}));
  const HttpResponse streamed = streaming.readResponse();
  EXPECT_EQ(streamed.status, 200);
  EXPECT_EQ(streamed.header("x-cordon-backend"), "slow");
}

TEST_F(ResilienceTest, ATargetGroupSpreadsLoadButOnlyOverEligibleMembers) {
  const auto eu1 = startSimulator("eu1");
  const auto eu2 = startSimulator("eu2");
  const auto us = startSimulator("us");
  const auto local = startSimulator("local");
  const auto port =
      startGateway(config(backend("eu1", "eu-cloud", eu1) + backend("eu2", "eu-cloud", eu2) +
                              backend("us", "us-cloud", us) + backend("local", "onprem", local),
                          "  spread: { targets: [[eu1:m, eu2:m], local:m] }\n"
                          "  mixed: { targets: [[us:m, eu1:m], local:m] }\n"));
  std::map<std::string, int> served;
  for (int i = 0; i < 20; ++i) {
    ++served[chat(port, kAcmeKey, chatBody("spread", "hi")).header("x-cordon-backend")];
  }
  EXPECT_EQ(served["eu1"], 10);
  EXPECT_EQ(served["eu2"], 10);
  EXPECT_EQ(served.count("local"), 0U);

  // The secure tenant's floor (confidential) is above us-cloud's clearance: the group is only
  // eu1 for it, however the load falls.
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(chat(port, kSecureKey, chatBody("mixed", "hi")).header("x-cordon-backend"), "eu1");
  }
}

/// What a request carried, by its marker: which clearance a backend needs to see it as is, and
/// whether it may be seen pseudonymized below that.
struct Sent {
  int needs = 0;                ///< 0 public .. 3 restricted
  bool pseudonymizable = false; ///< its only sensitive content is the e-mail address
};

// The invariant of PRODUCT.md §1 under random configs and failure patterns: no backend ever
// receives a request above its clearance unless it was pseudonymized to fit. Checked against
// what each simulated backend recorded, failed attempts included.
TEST_F(ResilienceTest, RetriesAndFallbackNeverLeaveTheEligibleSet) {
  const std::vector<std::pair<std::string, std::string>> backends{
      {"local", "onprem"}, {"eu1", "eu-cloud"}, {"eu2", "eu-cloud"}, {"us", "us-cloud"}};
  const std::map<std::string, int> clearance{{"onprem", 3}, {"eu-cloud", 2}, {"us-cloud", 1}};
  constexpr std::string_view kEmail = "jane.roe@example.com";
  const std::vector<std::string> declared{"", "internal", "confidential", "restricted"};

  std::size_t received = 0;        // requests the backends were shown, over all rounds
  std::size_t below_clearance = 0; // of which pseudonymized to fit a lower clearance
  for (unsigned seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    const auto pick = [&random](int n) {
      return std::uniform_int_distribution<int>(0, n - 1)(random);
    };
    TempDir round;
    std::string backend_lines;
    for (const auto& [name, boundary] : backends) {
      std::vector<std::string> flags{"--record", round.path() + "/" + name + ".jsonl"};
      switch (pick(4)) {
      case 0:
        flags.insert(flags.end(),
                     {"--fail-status", "503", "--fail-every", std::to_string(1 + pick(3))});
        break;
      case 1:
        flags.insert(flags.end(), {"--fail-status", "429", "--fail-every", "2"});
        break;
      default:
        break;
      }
      backend_lines += backend(name, boundary, startSimulator(name, flags));
    }
    // A random preference list over a random subset, some members grouped.
    std::vector<std::string> order{"local:m", "eu1:m", "eu2:m", "us:m"};
    std::shuffle(order.begin(), order.end(), random);
    order.resize(1U + static_cast<std::size_t>(pick(4)));
    std::string targets;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const bool group = i + 1 < order.size() && pick(2) == 0;
      targets += (targets.empty() ? "" : ", ") +
                 (group ? "[" + order[i] + ", " + order[i + 1] + "]" : order[i]);
      i += group ? 1 : 0;
    }
    const std::string yaml =
        config(backend_lines, "  assistant: { pseudonymize: auto, targets: [" + targets + "] }\n") +
        "breaker: { consecutive_failures: " + std::to_string(1 + pick(3)) + ", open_ms: 100 }\n" +
        "retries: { attempts: " + std::to_string(1 + pick(3)) +
        ", backoff_ms: 5, max_backoff_ms: 20 }\n";
    SCOPED_TRACE(yaml);
    const auto port = startGateway(yaml);

    std::map<std::string, Sent> sent;
    for (int i = 0; i < 16; ++i) {
      const std::string marker = "case" + std::to_string(seed) + "x" + std::to_string(i);
      const int level = pick(4);
      const bool with_email = pick(2) == 0;
      Headers headers;
      if (level > 0) {
        headers.emplace_back("x-cordon-level", declared[static_cast<std::size_t>(level)]);
      }
      const std::string text =
          "please summarise " + marker + (with_email ? " for " + std::string(kEmail) : "");
      // EMAIL_ADDRESS is confidential and pseudonymizable by default.
      sent[marker] = {std::max(level, with_email ? 2 : 0), with_email && level <= 1};
      const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", text), headers);
      EXPECT_TRUE(response.status == 200 || response.status == 403 || response.status == 502)
          << response.status << " " << response.body;
    }

    for (const auto& [name, boundary] : backends) {
      for (const std::string& line : readLines(round.path() + "/" + name + ".jsonl")) {
        const auto marker_at = line.find("case" + std::to_string(seed) + "x");
        ASSERT_NE(marker_at, std::string::npos) << line;
        const auto marker_end = line.find_first_not_of("0123456789x", marker_at + 4);
        const Sent& what = sent.at(line.substr(marker_at, marker_end - marker_at));
        const int cleared = clearance.at(boundary);
        ++received;
        if (what.needs <= cleared) {
          continue;
        }
        ++below_clearance;
        EXPECT_TRUE(what.pseudonymizable && cleared >= 1)
            << name << " (" << boundary << ") received a request it was not cleared for: " << line;
        EXPECT_EQ(line.find(kEmail), std::string::npos)
            << name << " received the e-mail address in clear: " << line;
      }
    }
  }
  // The rounds exercised something: many requests reached backends, some pseudonymized.
  EXPECT_GT(received, 40U);
  EXPECT_GT(below_clearance, 0U);
}

} // namespace
} // namespace cordon::itest
