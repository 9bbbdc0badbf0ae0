#include <atomic>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "cordon/resilience/resilience.h"

namespace cordon::resilience {
namespace {

using namespace std::chrono_literals;

config::BreakerSettings settings(std::uint32_t in_a_row, double rate = 0,
                                 std::uint32_t window = 20) {
  config::BreakerSettings out;
  out.consecutive_failures = in_a_row;
  out.error_rate = rate;
  out.window = window;
  out.open = 1000ms;
  out.half_open_probes = 1;
  return out;
}

const Clock::time_point t0 = Clock::time_point{} + 1h;

/// Replays a script of outcomes ('s' success, 'f' failure) through admit/record at t0.
CircuitState replay(CircuitBreaker& breaker, std::string_view script) {
  for (const char outcome : script) {
    const Admission admission = breaker.admit(t0);
    if (admission == Admission::Refused) {
      continue;
    }
    if (outcome == 'f') {
      breaker.recordFailure(admission, t0);
    } else {
      breaker.recordSuccess(admission, t0);
    }
  }
  return breaker.state(t0);
}

struct BreakerCase {
  const char* name;
  config::BreakerSettings settings;
  const char* script;
  CircuitState expected;
};

class BreakerTable : public ::testing::TestWithParam<BreakerCase> {};

TEST_P(BreakerTable, OpensOnlyWhenARuleSaysSo) {
  CircuitBreaker breaker(GetParam().settings);
  EXPECT_EQ(replay(breaker, GetParam().script), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Resilience, BreakerTable,
    ::testing::Values(
        BreakerCase{"ThreeInARowOpens", settings(3), "sfff", CircuitState::Open},
        BreakerCase{"ASuccessResetsTheRun", settings(3), "ffsff", CircuitState::Closed},
        BreakerCase{"OffNeverOpens", settings(0), "ffffffffff", CircuitState::Closed},
        BreakerCase{"RateNeedsAFullWindow", settings(0, 0.5, 4), "ff", CircuitState::Closed},
        BreakerCase{"RateOpensAtTheShare", settings(0, 0.5, 4), "sfsf", CircuitState::Open},
        BreakerCase{"RateBelowTheShareStaysClosed", settings(0, 0.5, 4), "sssfsssf",
                    CircuitState::Closed},
        BreakerCase{"OldFailuresLeaveTheWindow", settings(0, 0.75, 4), "fffssssf",
                    CircuitState::Closed},
        BreakerCase{"EitherRuleOpens", settings(10, 0.5, 4), "ssff", CircuitState::Open}),
    [](const ::testing::TestParamInfo<BreakerCase>& info) { return info.param.name; });

TEST(CircuitBreaker, OpenRefusesThenHalfOpenLetsOneProbe) {
  CircuitBreaker breaker(settings(2));
  replay(breaker, "ff");
  EXPECT_EQ(breaker.admit(t0 + 999ms), Admission::Refused);
  EXPECT_EQ(breaker.state(t0 + 1000ms), CircuitState::HalfOpen);
  const Admission probe = breaker.admit(t0 + 1000ms);
  EXPECT_EQ(probe, Admission::Probe);
  EXPECT_EQ(breaker.admit(t0 + 1001ms), Admission::Refused) << "one probe at a time";
  breaker.recordSuccess(probe, t0 + 1002ms);
  EXPECT_EQ(breaker.state(t0 + 1002ms), CircuitState::Closed);
  EXPECT_EQ(breaker.admit(t0 + 1003ms), Admission::Allowed);
  EXPECT_EQ(breaker.openings(), 1U);
}

TEST(CircuitBreaker, AFailedProbeOpensForAnotherPeriod) {
  CircuitBreaker breaker(settings(1));
  replay(breaker, "f");
  const Admission probe = breaker.admit(t0 + 1500ms);
  ASSERT_EQ(probe, Admission::Probe);
  breaker.recordFailure(probe, t0 + 1500ms);
  EXPECT_EQ(breaker.state(t0 + 2499ms), CircuitState::Open);
  EXPECT_EQ(breaker.state(t0 + 2500ms), CircuitState::HalfOpen);
  EXPECT_EQ(breaker.openings(), 2U);
}

TEST(CircuitBreaker, AnAbandonedProbeIsGivenBack) {
  CircuitBreaker breaker(settings(1));
  replay(breaker, "f");
  {
    const Ticket ticket(breaker, breaker.admit(t0 + 2s));
    EXPECT_EQ(breaker.admit(t0 + 2s), Admission::Refused);
  }
  EXPECT_EQ(breaker.admit(t0 + 2s), Admission::Probe);
}

TEST(CircuitBreaker, LateReportsOfAttemptsAdmittedBeforeOpeningChangeNothing) {
  CircuitBreaker breaker(settings(2));
  const Admission early = breaker.admit(t0);
  replay(breaker, "ff");
  breaker.recordFailure(early, t0);
  breaker.recordSuccess(early, t0);
  EXPECT_EQ(breaker.state(t0), CircuitState::Open) << "only a probe closes an open breaker";
}

TEST(CircuitBreaker, HealthChecksOpenAndClose) {
  CircuitBreaker breaker(settings(2));
  breaker.healthCheck(false, t0);
  breaker.healthCheck(false, t0);
  EXPECT_EQ(breaker.state(t0), CircuitState::Open);
  breaker.healthCheck(true, t0 + 10ms);
  EXPECT_EQ(breaker.state(t0 + 10ms), CircuitState::Closed);
}

TEST(CircuitBreaker, ConcurrentAttemptsKeepCountsConsistent) {
  CircuitBreaker breaker(settings(0, 0.5, 100));
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> refused{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&breaker, &refused, t] {
      for (int i = 0; i < 10'000; ++i) {
        const Admission admission = breaker.admit(t0);
        if (admission == Admission::Refused) {
          refused.fetch_add(1);
          continue;
        }
        if ((i + t) % 4 == 0) {
          breaker.recordFailure(admission, t0);
        } else {
          breaker.recordSuccess(admission, t0);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(breaker.state(t0), CircuitState::Closed) << "25% failures stay under a 50% rate";
  EXPECT_EQ(refused.load(), 0);
}

config::Model groupedModel() {
  // targets: [a, [b, c, d], e]
  config::Model model;
  model.name = "m";
  model.targets = {{0, "x", 0}, {1, "x", 1}, {2, "x", 1}, {3, "x", 1}, {4, "x", 2}};
  return model;
}

TEST(AttemptOrder, StepsKeepTheirOrderAndTheLeastLoadedGoesFirst) {
  const config::Model model = groupedModel();
  const std::vector<std::size_t> eligible{0, 1, 2, 3, 4};
  const std::map<std::size_t, std::uint32_t> load{{1, 5}, {2, 0}, {3, 2}};
  const auto outstanding = [&load](std::size_t target) {
    const auto found = load.find(target);
    return found == load.end() ? 0U : found->second;
  };
  EXPECT_EQ(attemptOrder(model, eligible, outstanding, 0),
            (std::vector<std::size_t>{0, 2, 3, 1, 4}));
}

TEST(AttemptOrder, EqualLoadsTakeTurnsAndIneligibleMembersNeverAppear) {
  const config::Model model = groupedModel();
  const std::vector<std::size_t> eligible{1, 3, 4}; // c (2) and a (0) are not eligible
  const auto idle = [](std::size_t /*target*/) { return 0U; };
  std::map<std::size_t, int> first;
  for (std::size_t rotation = 0; rotation < 10; ++rotation) {
    const auto order = attemptOrder(model, eligible, idle, rotation);
    ASSERT_EQ(order.size(), 3U);
    EXPECT_EQ(order[2], 4U);
    ++first[order[0]];
  }
  EXPECT_EQ(first[1], 5);
  EXPECT_EQ(first[3], 5);
}

TEST(Backoff, DoublesCapsAndJitters) {
  config::RetrySettings retries;
  retries.backoff = 100ms;
  retries.max_backoff = 300ms;
  EXPECT_EQ(backoffBefore(1, retries, 0.5), 0ms);
  EXPECT_EQ(backoffBefore(2, retries, 0.0), 50ms);
  EXPECT_EQ(backoffBefore(2, retries, 0.999999), 100ms);
  EXPECT_EQ(backoffBefore(3, retries, 0.0), 100ms);
  EXPECT_EQ(backoffBefore(4, retries, 0.0), 150ms); // capped at 300 before jitter
  EXPECT_EQ(backoffBefore(9, retries, 0.5), 225ms);
}

TEST(BackendRegistry, StateSurvivesAReloadOnlyForTheSameBackend) {
  config::Config first;
  config::Backend a;
  a.name = "a";
  a.url = "http://127.0.0.1:1/v1";
  a.breaker = settings(1);
  first.backends = {a};
  BackendRegistry registry;
  const auto before = registry.statesFor(first);
  const Admission admission = before[0]->breaker.admit(t0);
  before[0]->breaker.recordFailure(admission, t0);

  config::Config same = first;
  EXPECT_EQ(registry.statesFor(same)[0], before[0]);
  EXPECT_EQ(registry.statesFor(same)[0]->breaker.state(t0), CircuitState::Open);

  config::Config moved = first;
  moved.backends[0].url = "http://127.0.0.1:2/v1";
  EXPECT_NE(registry.statesFor(moved)[0], before[0]);
}

} // namespace
} // namespace cordon::resilience
