// The gateway's use of the limiter (rate_limits.h): what a request is estimated at, and how its
// audit record settles its tokens. Local store, real clock: the probes leave seconds of margin.
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "gateway/gateway_metrics.h"
#include "gateway/rate_limits.h"

namespace cordon::gateway {
namespace {

namespace asio = boost::asio;

class RateLimitGateTest : public ::testing::Test {
protected:
  RateLimitGateTest() {
    tenant.name = "acme";
    tenant.limits.tokens_per_minute = 1000; // a token every 60 ms: probes of 100 are safe
    key.name = "bot";
  }

  /// Admits a request of `body_bytes` as `id`; true when admitted. The claim is kept in `held`
  /// when `hold`, else dropped with the admission.
  bool admit(const std::string& id, std::size_t body_bytes, bool hold = true) {
    asio::io_context context;
    std::optional<Admission> admission;
    const auto run = [&]() -> asio::awaitable<void> {
      admission.emplace(co_await gate.admit(principal, id, body_bytes, true));
    };
    asio::co_spawn(context, run, asio::detached);
    context.run();
    EXPECT_TRUE(admission.has_value());
    const bool admitted = admission && !admission->refusal;
    if (hold && admission) {
      held.emplace_back(std::move(*admission));
    }
    return admitted;
  }

  static audit::Record record(const std::string& id, std::int64_t tokens_in,
                              std::int64_t tokens_out, unsigned backend_status) {
    audit::Record r;
    r.request_id = id;
    r.tokens_in = tokens_in;
    r.tokens_out = tokens_out;
    if (backend_status != 0) {
      r.attempts.push_back(audit::Attempt{"sim", "m", backend_status, 1, ""});
    }
    return r;
  }

  config::Tenant tenant;
  config::ApiKey key;
  auth::Principal principal{&tenant, &key};
  GatewayMetrics metrics;
  RateLimitGate gate{config::LimitsSettings{}, metrics};
  std::vector<Admission> held;
};

TEST(EstimateTokens, IsTheBodysBytesOverFourRoundedUp) {
  EXPECT_EQ(estimateTokens(0), 0U);
  EXPECT_EQ(estimateTokens(1), 1U);
  EXPECT_EQ(estimateTokens(4), 1U);
  EXPECT_EQ(estimateTokens(5), 2U);
  EXPECT_EQ(estimateTokens(2000), 500U);
}

TEST_F(RateLimitGateTest, TheRecordSettlesTheEstimate) {
  ASSERT_TRUE(admit("a", 2000)); // 500 tokens
  ASSERT_TRUE(admit("b", 2000)); // 500: the minute's budget is gone
  EXPECT_FALSE(admit("probe-1", 400, false));
  // No backend answered b: its estimate comes back.
  gate.settle(record("b", 0, 0, 0));
  // A backend answered a without usage: it keeps its estimate.
  gate.settle(record("a", 0, 0, 200));
  ASSERT_TRUE(admit("c", 2000));
  EXPECT_FALSE(admit("probe-2", 400, false));
  // c used 100 of its 500: 400 come back.
  gate.settle(record("c", 60, 40, 200));
  EXPECT_TRUE(admit("d", 1600));
  EXPECT_FALSE(admit("probe-3", 400, false));
  // A record is settled once: a second commit of the same id changes nothing.
  gate.settle(record("c", 0, 0, 0));
  EXPECT_FALSE(admit("probe-4", 400, false));
}

TEST_F(RateLimitGateTest, AnAnswerBiggerThanItsEstimateLeavesADebt) {
  ASSERT_TRUE(admit("a", 400)); // 100
  gate.settle(record("a", 1400, 500, 200));
  // 1900 used in all, 900 more than the budget: even a request estimated at 1 token waits.
  EXPECT_FALSE(admit("probe", 4, false));
}

TEST_F(RateLimitGateTest, AClaimNeverSettledIsDroppedWithItsRequest) {
  ASSERT_TRUE(admit("gone", 2000, /*hold=*/false)); // the request ended without a record
  ASSERT_TRUE(admit("b", 2000));
  // Settling "gone" now finds nothing: its estimate stays used.
  gate.settle(record("gone", 0, 0, 0));
  EXPECT_FALSE(admit("probe", 400, false));
}

TEST_F(RateLimitGateTest, ReconfiguringTheSameStoreKeepsTheCounters) {
  ASSERT_TRUE(admit("a", 4000)); // all 1000
  gate.reconfigure(config::LimitsSettings{});
  EXPECT_FALSE(admit("probe", 400, false));
  EXPECT_THROW(gate.reconfigure(config::LimitsSettings{"redis://u:p@127.0.0.1:1"}),
               std::invalid_argument);
  EXPECT_FALSE(admit("probe", 400, false)); // still the same counters
}

TEST(RateLimitGate, AMalformedStoreIsRefusedAtStart) {
  GatewayMetrics metrics;
  EXPECT_THROW(RateLimitGate(config::LimitsSettings{"redis://"}, metrics), std::invalid_argument);
}

} // namespace
} // namespace cordon::gateway
