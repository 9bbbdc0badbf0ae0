// The metrics updates on the request path: a counter through a kept reference, a family lookup
// by a 6-label tuple (what a request does when it cannot keep the child), a histogram observe.
#include <string>

#include <benchmark/benchmark.h>

#include "cordon/metrics/metrics.h"

namespace {

using cordon::metrics::LabelValues;
using cordon::metrics::Registry;

void bmCounterAddKeptReference(benchmark::State& state) {
  Registry registry;
  auto& counter = registry.counter("bench_total", "Bench.", {"model"}).with({"assistant"});
  for (auto _ : state) {
    counter.add();
  }
  benchmark::DoNotOptimize(counter.value());
}
BENCHMARK(bmCounterAddKeptReference);

void bmFamilyWithSixLabels(benchmark::State& state) {
  Registry registry;
  auto& family = registry.counter("bench_requests_total", "Bench.",
                                  {"model", "tenant", "backend", "level", "guardrail", "outcome"});
  // A realistic number of live children, so the lookup is not into a single-entry table.
  for (int i = 0; i < 64; ++i) {
    family.with({"model" + std::to_string(i % 4), "tenant" + std::to_string(i % 8), "local",
                 "internal", "none", "ok"});
  }
  // As the gateway calls it: views of strings it already has.
  const LabelValues values = {"model1", "tenant5", "local", "internal", "none", "ok"};
  for (auto _ : state) {
    auto& counter = family.with({values[0], values[1], values[2], values[3], values[4], values[5]});
    benchmark::DoNotOptimize(&counter);
  }
}
BENCHMARK(bmFamilyWithSixLabels);

void bmHistogramObserve(benchmark::State& state) {
  Registry registry;
  auto& histogram =
      registry.histogram("bench_seconds", "Bench.", {"backend"}, cordon::metrics::latencyBuckets())
          .with({"local"});
  double value = 0.0001;
  for (auto _ : state) {
    histogram.observe(value);
    // Walk the whole bucket range so the branch predictor does not learn one bucket.
    value = value < 60 ? value * 1.7 : 0.0001;
  }
  benchmark::DoNotOptimize(histogram.snapshot());
}
BENCHMARK(bmHistogramObserve);

} // namespace
