// What every store must do, as tables of steps on a fake clock: the local store's tests and the
// Redis store's tests (against a real server) run the same tables, so the two cannot drift.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/limits/limits.h"

namespace cordon::limits::testing {

inline config::RateLimits rates(std::optional<std::uint64_t> rpm,
                                std::optional<std::uint64_t> tpm = std::nullopt) {
  config::RateLimits limits;
  limits.requests_per_minute = rpm;
  limits.tokens_per_minute = tpm;
  return limits;
}

enum class Op : std::uint8_t { Acquire, Settle };

/// One call and what it must answer. For Acquire, `limit` empty = admitted; otherwise the
/// refusal's limit and retry_after in seconds.
struct Step {
  std::int64_t at_ms = 0;
  Op op = Op::Acquire;
  std::string key; ///< "" = the tenant alone
  Limits limits;
  std::uint64_t estimated = 0;
  std::uint64_t actual = 0; ///< Settle only
  std::string limit;
  std::int64_t retry_after = 0;
};

struct Scenario {
  std::string name;
  std::vector<Step> steps;
};

inline Step admit(std::int64_t at_ms, Limits limits, std::uint64_t estimated = 0,
                  std::string key = "") {
  return Step{at_ms, Op::Acquire, std::move(key), limits, estimated, 0, "", 0};
}

inline Step refuse(std::int64_t at_ms, Limits limits, std::string limit, std::int64_t retry_after,
                   std::uint64_t estimated = 0, std::string key = "") {
  return Step{at_ms,     Op::Acquire, std::move(key),   limits,
              estimated, 0,           std::move(limit), retry_after};
}

inline Step settle(std::int64_t at_ms, Limits limits, std::uint64_t estimated, std::uint64_t actual,
                   std::string key = "") {
  return Step{at_ms, Op::Settle, std::move(key), limits, estimated, actual, "", 0};
}

inline Limits tenantOnly(config::RateLimits tenant) {
  return Limits{tenant, {}};
}

/// Every scenario uses tenant "acme"; a scenario's steps share its buckets, so each scenario
/// keeps to one set of rates per bucket unless it tests a change of rates.
inline std::vector<Scenario> scenarios() {
  const Limits rpm3 = tenantOnly(rates(3));
  const Limits rpm1 = tenantOnly(rates(1));
  const Limits tpm1000 = tenantOnly(rates(std::nullopt, 1000));
  const Limits tpm100 = tenantOnly(rates(std::nullopt, 100));
  const Limits tenant5_key2{rates(5), rates(2)};
  const Limits tenant5{rates(5), {}};
  const Limits tenant1_key2{rates(1), rates(2)};
  const Limits both{rates(2, 100), rates(10, 1000)};
  const Limits key1{{}, rates(1)};
  const Limits key7{{}, rates(7)};
  const Limits key120{{}, rates(120)};
  const std::string rpm3_name = "tenant acme: 3 requests per minute";
  const std::string tpm1000_name = "tenant acme: 1000 tokens per minute";

  Scenario retry{"RetryAfterIsTheExactWaitRoundedUp",
                 {admit(0, key1, 0, "k1"),
                  refuse(0, key1, "key acme/k1: 1 request per minute", 60, 0, "k1"),
                  refuse(59'001, key1, "key acme/k1: 1 request per minute", 1, 0, "k1")}};
  for (int i = 0; i < 7; ++i) {
    retry.steps.push_back(admit(0, key7, 0, "k7"));
  }
  // 60 s / 7 = 8571.4 ms: 8572 ms, told as 9 s.
  retry.steps.push_back(refuse(0, key7, "key acme/k7: 7 requests per minute", 9, 0, "k7"));
  retry.steps.push_back(refuse(8'571, key7, "key acme/k7: 7 requests per minute", 1, 0, "k7"));
  retry.steps.push_back(admit(8'572, key7, 0, "k7"));
  for (int i = 0; i < 120; ++i) {
    retry.steps.push_back(admit(0, key120, 0, "k120"));
  }
  // 500 ms: never less than 1 s.
  retry.steps.push_back(refuse(0, key120, "key acme/k120: 120 requests per minute", 1, 0, "k120"));

  return {
      {"RequestsBurstThenRefill",
       {admit(0, rpm3), admit(0, rpm3), admit(0, rpm3),
        // Empty: one request comes back every 20 s, exactly.
        refuse(0, rpm3, rpm3_name, 20), refuse(19'000, rpm3, rpm3_name, 1),
        refuse(19'999, rpm3, rpm3_name, 1), admit(20'000, rpm3),
        refuse(20'000, rpm3, rpm3_name, 20),
        // After a minute or more the bucket is full again, and no fuller.
        admit(200'000, rpm3), admit(200'000, rpm3), admit(200'000, rpm3),
        refuse(200'000, rpm3, rpm3_name, 20)}},
      std::move(retry),
      {"TokensEstimateThenSettle",
       {admit(0, tpm1000, 600),
        // 400 left, 600 asked: 200 tokens at 1000 per minute is 12 s.
        refuse(0, tpm1000, tpm1000_name, 12, 600),
        // The first answer used only 100: 500 come back, 900 left.
        settle(0, tpm1000, 600, 100), admit(0, tpm1000, 600),
        // The second used 2000: 300 - 1400 is a debt, kept to one minute's budget (-1000).
        settle(0, tpm1000, 600, 2000), refuse(0, tpm1000, tpm1000_name, 60, 0),
        refuse(30'000, tpm1000, tpm1000_name, 30, 0), admit(60'000, tpm1000, 0),
        refuse(60'000, tpm1000, tpm1000_name, 6, 100), admit(66'000, tpm1000, 100)}},
      {"AnEstimateAboveTheBudgetPassesOnlyWhenFull",
       {admit(0, tpm100, 500),
        // Full → -400, kept at -100: 101 tokens to wait for at 100 per minute.
        refuse(0, tpm100, "tenant acme: 100 tokens per minute", 61, 1),
        refuse(60'000, tpm100, "tenant acme: 100 tokens per minute", 60, 500),
        admit(120'000, tpm100, 500)}},
      {"AKeyRefusalLeavesTheTenantBudgetAlone",
       {admit(0, tenant5_key2, 0, "a"), admit(0, tenant5_key2, 0, "a"),
        refuse(0, tenant5_key2, "key acme/a: 2 requests per minute", 30, 0, "a"),
        refuse(0, tenant5_key2, "key acme/a: 2 requests per minute", 30, 0, "a"),
        // The tenant still has 3 of its 5 for its other keys.
        admit(0, tenant5, 0, "b"), admit(0, tenant5, 0, "b"), admit(0, tenant5, 0, "b"),
        refuse(0, tenant5, "tenant acme: 5 requests per minute", 12, 0, "b"),
        // A key with room of its own is still held to its tenant's.
        refuse(0, tenant5_key2, "tenant acme: 5 requests per minute", 12, 0, "c")}},
      {"TheLongestWaitIsNamed",
       {admit(0, tenant1_key2, 0, "a"),
        // The key has room; the tenant, at 1 per minute, does not.
        refuse(0, tenant1_key2, "tenant acme: 1 request per minute", 60, 0, "a")}},
      {"RequestsAndTokensTogether",
       {admit(0, both, 50, "x"),
        // Tenant: 1 request and 50 tokens left (80 asked: 30 tokens at 100/min = 18 s).
        refuse(0, both, "tenant acme: 100 tokens per minute", 18, 80, "x"), admit(0, both, 50, "x"),
        // No request left (30 s), and no token, which a request estimated at 0 does not need.
        refuse(0, both, "tenant acme: 2 requests per minute", 30, 0, "x")}},
      {"ALoweredLimitAppliesToTheCountersAsTheyAre",
       {admit(0, tenantOnly(rates(10))), admit(0, tenantOnly(rates(10))),
        // A reload lowers the limit to 2: the bucket (8 left) is capped at 2.
        admit(0, tenantOnly(rates(2))), admit(0, tenantOnly(rates(2))),
        refuse(0, tenantOnly(rates(2)), "tenant acme: 2 requests per minute", 30)}},
      {"AClockThatGoesBackRefillsNothing",
       {admit(10'000, rpm1), refuse(5'000, rpm1, "tenant acme: 1 request per minute", 60),
        refuse(69'999, rpm1, "tenant acme: 1 request per minute", 1), admit(70'000, rpm1)}},
      {"NoLimitsNoCounting",
       {admit(0, {}, 1'000'000), admit(0, {}, 1'000'000), settle(0, {}, 0, 5'000'000),
        admit(0, tenantOnly(rates(5)), 1'000'000), settle(0, tenantOnly(rates(5)), 0, 1'000'000),
        admit(0, tenantOnly(rates(5)), 1'000'000)}},
  };
}

/// Runs `scenario` against `limiter` for tenant "acme".
inline void play(Limiter& limiter, const Scenario& scenario) {
  for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
    const Step& step = scenario.steps[i];
    SCOPED_TRACE(::testing::Message() << scenario.name << " step " << i << " at " << step.at_ms
                                      << " ms, key '" << step.key << "'");
    const Subject subject{"acme", step.key};
    const Millis now{step.at_ms};
    if (step.op == Op::Settle) {
      limiter.settle(subject, step.limits, step.estimated, step.actual, now);
      continue;
    }
    const auto refusal = limiter.acquire(subject, step.limits, step.estimated, now);
    if (step.limit.empty()) {
      EXPECT_FALSE(refusal.has_value()) << "refused: " << refusal->limit;
      continue;
    }
    EXPECT_TRUE(refusal.has_value()) << "admitted, expected: " << step.limit;
    if (refusal) {
      EXPECT_EQ(refusal->limit, step.limit);
      EXPECT_EQ(refusal->retry_after.count(), step.retry_after);
    }
  }
}

} // namespace cordon::limits::testing
