// Prometheus metrics (text exposition format 0.0.4): counters, gauges and histograms with labels,
// safe to update from every worker thread at once. Label values are config names (models,
// tenants, backends, levels, guardrails, outcomes) — never request text; callers must keep it so.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cordon::metrics {

/// Label values in the order of the family's label names.
using LabelValues = std::vector<std::string>;

/// A monotonically increasing count. Increments are lock-free (relaxed atomics).
class Counter {
public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint64_t> value_{0};
};

/// Observations into fixed buckets (upper bounds, ascending), plus their sum and count.
/// Lock-free; the exposition is a consistent-enough snapshot (each bucket read once).
///
/// A value v falls into the first bucket whose bound is >= v (`le` is inclusive). Negative and
/// NaN observations clamp to 0: the metrics here are latencies and sizes, where a negative value
/// can only be a clock step, and a clamped value keeps the sum monotonic as Prometheus expects.
///
/// The sum is kept in fixed point (micro-units, value × 1e6, rounded to nearest) in one 64-bit
/// atomic, because a double has no lock-free fetch_add. Each observation thus carries at most
/// 0.5e-6 units of rounding error (0.5 µs for seconds), and the sum saturates per observation at
/// 1.8e13 units; the running total wraps after 1.8e13 units in all (about 580,000 years of
/// latency in seconds), which Prometheus would see as a counter reset.
class Histogram {
public:
  /// `upper_bounds` must be finite and strictly ascending (std::invalid_argument otherwise; the
  /// registry checks them when the family is declared, so with() never throws).
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value) noexcept;

  const std::vector<double>& upperBounds() const noexcept { return bounds_; }
  /// Cumulative counts per bucket (le), then +Inf; sum; count.
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

private:
  std::vector<double> bounds_;
  /// Per-bucket (not cumulative) counts, bounds_.size() + 1 (the last is +Inf). The count is
  /// their total, so `_count` always equals the `+Inf` bucket and observe() touches two atomics.
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> sum_micros_{0}; ///< sum kept as fixed point (value × 1e6)
};

/// A metric family: one name, help text, type and label names; a child per label-value tuple.
/// Children are created on first use and live as long as the registry (references stay valid).
template <typename Metric> class Family;

class Registry {
public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Families are declared once at start-up (name: [a-zA-Z_:][a-zA-Z0-9_:]*, label names:
  /// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"); a bad name throws std::invalid_argument
  /// (start-up code, a programming error). So do a duplicate label name, a histogram label named
  /// "le", bad bucket bounds, and a name already exposed by another family (including a
  /// histogram's name_bucket, name_sum and name_count).
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> label_names);
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> label_names,
                               std::vector<double> upper_bounds);
  /// A gauge whose value is read when the metrics are scraped (queue depths, open connections).
  /// `read` runs on the scraping thread with the registry locked: it must be thread-safe and must
  /// not call back into the registry.
  void gauge(std::string name, std::string help, std::function<double()> read);

  /// Samples of a labelled gauge, read at scrape time: one value per label-value tuple.
  using GaugeSamples = std::vector<std::pair<LabelValues, double>>;
  /// A gauge with labels read when the metrics are scraped (one sample per backend, say). Same
  /// rules for `read` as gauge(); a sample with the wrong number of values is skipped.
  void gauges(std::string name, std::string help, std::vector<std::string> label_names,
              std::function<GaugeSamples()> read);

  /// Every family in declaration order, children in creation order, in the Prometheus text
  /// format: # HELP / # TYPE lines, label values escaped (\\, \", \n), histograms as _bucket{le}
  /// (cumulative, ending in +Inf), _sum and _count.
  std::string exposition() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <typename Metric> class Family {
public:
  /// The child for `values` (one per label name), created on first use. Takes a lock only to find
  /// or create the child; callers on hot paths keep the reference. A family without labels has
  /// its single child from the start, so it is exported (at 0) before the first update.
  ///
  /// A wrong number of values is a programming error: it asserts in debug builds; in release it
  /// returns a child shared by all such calls that is never exported, so the request goes on.
  /// The values are looked up as views: nothing is allocated unless the child is new.
  Metric& with(std::span<const std::string_view> values);
  Metric& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }

  // Implementation details, public for the registry's exposition.
  struct Child {
    LabelValues values;
    std::unique_ptr<Metric> metric;
  };
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> upper_bounds = {});
  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  const std::vector<std::string>& labelNames() const noexcept { return label_names_; }
  /// A stable copy of the children (pointers stay valid).
  std::vector<const Child*> children() const;

private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> upper_bounds_;
  // Transparent, so that index_ is searched with the caller's views.
  struct ValuesHash {
    using is_transparent = void; // NOLINT(readability-identifier-naming): the standard's name
    std::size_t operator()(const LabelValues& values) const noexcept;
    std::size_t operator()(std::span<const std::string_view> values) const noexcept;
  };
  struct ValuesEqual {
    using is_transparent = void; // NOLINT(readability-identifier-naming): the standard's name
    bool operator()(const LabelValues& a, const LabelValues& b) const noexcept { return a == b; }
    bool operator()(std::span<const std::string_view> a, const LabelValues& b) const noexcept {
      return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }
    bool operator()(const LabelValues& a, std::span<const std::string_view> b) const noexcept {
      return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }
  };
  std::unique_ptr<Metric> makeMetric() const;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Child>> children_; ///< creation order, for the exposition
  std::unordered_map<LabelValues, Child*, ValuesHash, ValuesEqual> index_;
  std::unique_ptr<Metric> invalid_; ///< the sink for label-count mismatches
};

/// Latency buckets in seconds, from 0.5 ms to 60 s.
std::vector<double> latencyBuckets();

} // namespace cordon::metrics
