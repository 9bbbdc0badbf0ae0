// The metrics registry: exposition golden strings (Prometheus text format 0.0.4), escaping,
// histogram bucket edges, concurrent updates, gauges and the start-up checks on names.
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/metrics/metrics.h"

namespace cordon::metrics {
namespace {

TEST(MetricsExposition, CounterWithLabelsGolden) {
  Registry registry;
  auto& requests = registry.counter("cordon_requests_total", "Requests by model and outcome.",
                                    {"model", "outcome"});
  requests.with({"assistant", "ok"}).add();
  requests.with({"assistant", "ok"}).add(2);
  requests.with({"coder", "denied"}).add();
  EXPECT_EQ(registry.exposition(), "# HELP cordon_requests_total Requests by model and outcome.\n"
                                   "# TYPE cordon_requests_total counter\n"
                                   "cordon_requests_total{model=\"assistant\",outcome=\"ok\"} 3\n"
                                   "cordon_requests_total{model=\"coder\",outcome=\"denied\"} 1\n");
}

TEST(MetricsExposition, UnlabelledCounterIsExportedAtZero) {
  Registry registry;
  auto& restarts = registry.counter("cordon_restarts_total", "Restarts.", {});
  EXPECT_EQ(registry.exposition(), "# HELP cordon_restarts_total Restarts.\n"
                                   "# TYPE cordon_restarts_total counter\n"
                                   "cordon_restarts_total 0\n");
  restarts.with({}).add(5);
  EXPECT_NE(registry.exposition().find("\ncordon_restarts_total 5\n"), std::string::npos);
}

TEST(MetricsExposition, FamilyWithoutChildrenPrintsHelpAndType) {
  Registry registry;
  registry.counter("a_total", "A.", {"model"});
  registry.histogram("b_seconds", "B.", {"backend"}, {1});
  EXPECT_EQ(registry.exposition(), "# HELP a_total A.\n"
                                   "# TYPE a_total counter\n"
                                   "# HELP b_seconds B.\n"
                                   "# TYPE b_seconds histogram\n");
}

TEST(MetricsExposition, HistogramGolden) {
  Registry registry;
  auto& latency = registry.histogram("cordon_upstream_seconds", "Upstream latency.", {"backend"},
                                     {0.1, 1, 2.5});
  auto& local = latency.with({"local"});
  local.observe(0.05);
  local.observe(0.5);
  local.observe(3);
  EXPECT_EQ(registry.exposition(),
            "# HELP cordon_upstream_seconds Upstream latency.\n"
            "# TYPE cordon_upstream_seconds histogram\n"
            "cordon_upstream_seconds_bucket{backend=\"local\",le=\"0.1\"} 1\n"
            "cordon_upstream_seconds_bucket{backend=\"local\",le=\"1\"} 2\n"
            "cordon_upstream_seconds_bucket{backend=\"local\",le=\"2.5\"} 2\n"
            "cordon_upstream_seconds_bucket{backend=\"local\",le=\"+Inf\"} 3\n"
            "cordon_upstream_seconds_sum{backend=\"local\"} 3.55\n"
            "cordon_upstream_seconds_count{backend=\"local\"} 3\n");
}

TEST(MetricsExposition, UnlabelledHistogramHasOnlyLe) {
  Registry registry;
  registry.histogram("size_bytes", "Sizes.", {}, {10}).with({}).observe(4);
  EXPECT_EQ(registry.exposition(), "# HELP size_bytes Sizes.\n"
                                   "# TYPE size_bytes histogram\n"
                                   "size_bytes_bucket{le=\"10\"} 1\n"
                                   "size_bytes_bucket{le=\"+Inf\"} 1\n"
                                   "size_bytes_sum 4\n"
                                   "size_bytes_count 1\n");
}

TEST(MetricsExposition, FamiliesInDeclarationOrder) {
  Registry registry;
  registry.gauge("z_gauge", "Z.", [] { return 1.0; });
  registry.counter("a_total", "A.", {});
  const std::string text = registry.exposition();
  EXPECT_LT(text.find("z_gauge"), text.find("a_total"));
}

TEST(MetricsExposition, EscapesHelpAndLabelValues) {
  Registry registry;
  registry.counter("esc_total", "Back\\slash and\nnewline, \"quotes\" kept.", {"v"})
      .with({"a\\b\"c\nd"})
      .add();
  EXPECT_EQ(registry.exposition(),
            "# HELP esc_total Back\\\\slash and\\nnewline, \"quotes\" kept.\n"
            "# TYPE esc_total counter\n"
            "esc_total{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsExposition, GaugeCallbackReadAtScrape) {
  Registry registry;
  double depth = 3;
  registry.gauge("queue_depth", "Queued requests.", [&depth] { return depth; });
  EXPECT_EQ(registry.exposition(), "# HELP queue_depth Queued requests.\n"
                                   "# TYPE queue_depth gauge\n"
                                   "queue_depth 3\n");
  depth = 0.25;
  EXPECT_NE(registry.exposition().find("\nqueue_depth 0.25\n"), std::string::npos);
}

TEST(MetricsExposition, LabelledGaugeReadAtScrape) {
  Registry registry;
  Registry::GaugeSamples samples{{{"a"}, 0}, {{"b\"x"}, 2}, {{"too", "many"}, 9}};
  registry.gauges("circuit", "State.", {"backend"}, [&samples] { return samples; });
  EXPECT_EQ(registry.exposition(), "# HELP circuit State.\n"
                                   "# TYPE circuit gauge\n"
                                   "circuit{backend=\"a\"} 0\n"
                                   "circuit{backend=\"b\\\"x\"} 2\n");
  samples.clear();
  EXPECT_EQ(registry.exposition(), "# HELP circuit State.\n# TYPE circuit gauge\n");
  EXPECT_THROW(registry.gauges("circuit", "again", {}, {}), std::invalid_argument);
}

TEST(MetricsExposition, SpecialAndFractionalNumbers) {
  Registry registry;
  registry.gauge("g_nan", "n", [] { return std::numeric_limits<double>::quiet_NaN(); });
  registry.gauge("g_pinf", "p", [] { return std::numeric_limits<double>::infinity(); });
  registry.gauge("g_ninf", "m", [] { return -std::numeric_limits<double>::infinity(); });
  registry.gauge("g_small", "s", [] { return 1e-7; });
  registry.gauge("g_big", "b", [] { return 12345678901.0; });
  const std::string text = registry.exposition();
  EXPECT_NE(text.find("\ng_nan NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ng_pinf +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ng_ninf -Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ng_small 1e-07\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ng_big 12345678901\n"), std::string::npos) << text;
}

TEST(MetricsExposition, LatencyBucketLabels) {
  Registry registry;
  registry.histogram("lat_seconds", "L.", {}, latencyBuckets());
  const std::string text = registry.exposition();
  for (const char* le : {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                         "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"}) {
    EXPECT_NE(text.find(std::string("le=\"") + le + "\"} 0\n"), std::string::npos) << le;
  }
}

TEST(Histogram, ValueOnABoundCountsInThatBucket) {
  Histogram histogram({0.005, 0.01, 1});
  histogram.observe(0.005);
  histogram.observe(0.01);
  histogram.observe(1);
  histogram.observe(1.0000001);
  const auto snap = histogram.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(snap.count, 4U);
}

TEST(Histogram, NegativeAndNanClampToZero) {
  Histogram histogram({0, 1});
  histogram.observe(-2);
  histogram.observe(std::numeric_limits<double>::quiet_NaN());
  histogram.observe(0.5);
  const auto snap = histogram.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{2, 3, 3}));
  EXPECT_DOUBLE_EQ(snap.sum, 0.5);
}

TEST(Histogram, SumIsFixedPointMicroUnits) {
  Histogram histogram({1});
  // 0.1 + 0.2 in doubles is 0.30000000000000004; in micro-units the sum is exact.
  histogram.observe(0.1);
  histogram.observe(0.2);
  EXPECT_EQ(histogram.snapshot().sum, 0.3);
  histogram.observe(0.0000004); // below half a micro-unit: rounds away
  EXPECT_EQ(histogram.snapshot().sum, 0.3);
  histogram.observe(std::numeric_limits<double>::infinity()); // saturates, stays finite
  EXPECT_TRUE(std::isfinite(histogram.snapshot().sum));
  EXPECT_EQ(histogram.snapshot().cumulative.back(), 4U);
}

TEST(Histogram, BadBoundsThrow) {
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
  EXPECT_THROW(Histogram({std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);
  EXPECT_NO_THROW(Histogram({}));
}

TEST(MetricsConcurrency, FourThreadsCountExactly) {
  Registry registry;
  auto& family = registry.counter("hits_total", "Hits.", {"worker"});
  auto& latency = registry.histogram("work_seconds", "Work.", {}, {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&family, &latency] {
      // Half through a kept reference, half through with() (the lookup path under the lock).
      auto& shared = family.with({"all"});
      for (int i = 0; i < kPerThread; ++i) {
        if (i % 2 == 0) {
          shared.add();
        } else {
          family.with({"all"}).add();
        }
        latency.with({}).observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(family.with({"all"}).value(), std::uint64_t{kThreads} * kPerThread);
  const auto snap = latency.with({}).snapshot();
  EXPECT_EQ(snap.count, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(snap.cumulative.front(), std::uint64_t{kThreads} * kPerThread / 2);
  EXPECT_DOUBLE_EQ(snap.sum, kThreads * kPerThread * (0.25 + 1.0) / 2);
}

TEST(MetricsDeclaration, InvalidNamesThrow) {
  Registry registry;
  EXPECT_THROW(registry.counter("", "h", {}), std::invalid_argument);
  EXPECT_THROW(registry.counter("1abc", "h", {}), std::invalid_argument);
  EXPECT_THROW(registry.counter("has-dash", "h", {}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "h", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "h", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "h", {":colon"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "h", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("ok_seconds", "h", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("ok_seconds", "h", {}, {2, 1}), std::invalid_argument);
  EXPECT_THROW(registry.gauge("bad gauge", "h", [] { return 0.0; }), std::invalid_argument);
  // Colons are allowed in metric names (recording rules use them), not in label names.
  EXPECT_NO_THROW(registry.counter("ns:ok_total", "h", {"_private", "a1"}));
  // Nothing was declared by the failed calls.
  EXPECT_NO_THROW(registry.counter("ok_total", "h", {}));
}

TEST(MetricsDeclaration, DuplicateNamesThrow) {
  Registry registry;
  registry.counter("x_total", "h", {});
  EXPECT_THROW(registry.counter("x_total", "h", {"other"}), std::invalid_argument);
  EXPECT_THROW(registry.gauge("x_total", "h", [] { return 0.0; }), std::invalid_argument);
  registry.histogram("lat", "h", {}, {1});
  // A histogram's derived sample names clash too.
  EXPECT_THROW(registry.counter("lat_count", "h", {}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("lat", "h", {}, {1}), std::invalid_argument);
}

TEST(MetricsLabels, ChildrenAreStableAndDistinct) {
  Registry registry;
  auto& family = registry.counter("c_total", "h", {"a", "b"});
  Counter& first = family.with({"x", "y"});
  Counter& swapped = family.with({"y", "x"});
  EXPECT_NE(&first, &swapped);
  for (int i = 0; i < 100; ++i) {
    family.with({"n", std::to_string(i)});
  }
  EXPECT_EQ(&family.with({"x", "y"}), &first);
  EXPECT_EQ(family.children().size(), 102U);
}

TEST(MetricsLabelsDeathTest, LabelCountMismatchDoesNotCrashInRelease) {
  Registry registry;
  auto& family = registry.counter("m_total", "h", {"model", "outcome"});
  // Debug builds assert (a programming error); release builds count into a hidden child.
  EXPECT_DEBUG_DEATH(family.with({"only-one"}).add(), "label value count");
#ifdef NDEBUG
  family.with({"a", "b", "c"}).add();
  EXPECT_EQ(registry.exposition(), "# HELP m_total h\n"
                                   "# TYPE m_total counter\n");
  EXPECT_TRUE(family.children().empty());
#endif
}

} // namespace
} // namespace cordon::metrics
