// The metrics registry and its Prometheus text exposition (format 0.0.4).
#include "cordon/metrics/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <set>
#include <stdexcept>
#include <variant>

#include <fmt/format.h>

namespace cordon::metrics {
namespace {

/// The sum's fixed-point scale: micro-units (µs when observing seconds).
constexpr double kSumScale = 1e6;
/// The largest observation the sum takes whole; it is below 2^64 / 1e6 so the conversion to
/// uint64 is defined, and far above any latency or size this gateway observes.
constexpr double kSumMaxObservation = 1.8e13;

bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool validMetricName(std::string_view name) {
  if (name.empty() || (!isNameStart(name[0]) && name[0] != ':')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return isNameStart(c) || isDigit(c) || c == ':'; });
}

bool validLabelName(std::string_view name) {
  // "__" is reserved for Prometheus' own labels.
  if (name.empty() || !isNameStart(name[0]) || name.substr(0, 2) == "__") {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) { return isNameStart(c) || isDigit(c); });
}

void checkBounds(const std::vector<double>& bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    // +Inf is implicit (always the last bucket); an explicit one would be printed twice.
    if (!std::isfinite(bounds[i])) {
      throw std::invalid_argument("histogram bucket bounds must be finite");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      throw std::invalid_argument("histogram bucket bounds must be strictly ascending");
    }
  }
}

using Buffer = fmt::memory_buffer;

void appendHelp(Buffer& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out.append(std::string_view("\\\\"));
    } else if (c == '\n') {
      out.append(std::string_view("\\n"));
    } else {
      out.push_back(c);
    }
  }
}

void appendLabelValue(Buffer& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out.append(std::string_view("\\\\"));
    } else if (c == '"') {
      out.append(std::string_view("\\\""));
    } else if (c == '\n') {
      out.append(std::string_view("\\n"));
    } else {
      out.push_back(c);
    }
  }
}

/// Shortest round-trip text for finite values ("1", "0.005", "1e-07"), which Prometheus parses
/// exactly; the three special values in the spellings the format defines.
void appendDouble(Buffer& out, double value) {
  if (std::isnan(value)) {
    out.append(std::string_view("NaN"));
  } else if (std::isinf(value)) {
    out.append(value > 0 ? std::string_view("+Inf") : std::string_view("-Inf"));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

void appendHeader(Buffer& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} ", name);
  appendHelp(out, help);
  fmt::format_to(std::back_inserter(out), "\n# TYPE {} {}\n", name, type);
}

/// `{l1="v1",l2="v2"}`, with an optional extra `le` pair for histogram buckets; nothing at all
/// when there are no labels.
void appendLabels(Buffer& out, const std::vector<std::string>& names, const LabelValues& values,
                  const std::string_view* le = nullptr) {
  if (names.empty() && le == nullptr) {
    return;
  }
  out.push_back('{');
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    fmt::format_to(std::back_inserter(out), "{}=\"", names[i]);
    appendLabelValue(out, values[i]);
    out.push_back('"');
  }
  if (le != nullptr) {
    fmt::format_to(std::back_inserter(out), "{}le=\"{}\"", names.empty() ? "" : ",", *le);
  }
  out.push_back('}');
}

void appendCounter(Buffer& out, const Family<Counter>& family) {
  appendHeader(out, family.name(), family.help(), "counter");
  for (const auto* child : family.children()) {
    out.append(family.name());
    appendLabels(out, family.labelNames(), child->values);
    fmt::format_to(std::back_inserter(out), " {}\n", child->metric->value());
  }
}

void appendHistogram(Buffer& out, const Family<Histogram>& family) {
  appendHeader(out, family.name(), family.help(), "histogram");
  const auto& names = family.labelNames();
  for (const auto* child : family.children()) {
    const Histogram& histogram = *child->metric;
    const Histogram::Snapshot snap = histogram.snapshot();
    const auto& bounds = histogram.upperBounds();
    Buffer le;
    for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
      le.clear();
      if (i < bounds.size()) {
        appendDouble(le, bounds[i]);
      } else {
        le.append(std::string_view("+Inf"));
      }
      const std::string_view le_text(le.data(), le.size());
      fmt::format_to(std::back_inserter(out), "{}_bucket", family.name());
      appendLabels(out, names, child->values, &le_text);
      fmt::format_to(std::back_inserter(out), " {}\n", snap.cumulative[i]);
    }
    fmt::format_to(std::back_inserter(out), "{}_sum", family.name());
    appendLabels(out, names, child->values);
    out.push_back(' ');
    appendDouble(out, snap.sum);
    fmt::format_to(std::back_inserter(out), "\n{}_count", family.name());
    appendLabels(out, names, child->values);
    fmt::format_to(std::back_inserter(out), " {}\n", snap.count);
  }
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Histogram

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  checkBounds(bounds_);
}

void Histogram::observe(double value) noexcept {
  // `!(value >= 0)` also catches NaN, which would otherwise land in +Inf and poison the sum.
  if (!(value >= 0)) {
    value = 0;
  }
  // lower_bound finds the first bound >= value: `le` is inclusive. Past the end is +Inf.
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  const double scaled = std::min(value, kSumMaxObservation) * kSumScale;
  sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(scaled)),
                        std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snap.cumulative[i] = running;
  }
  snap.count = running;
  snap.sum = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / kSumScale;
  return snap;
}

std::vector<double> latencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

// ---------------------------------------------------------------------------------------------
// Family

template <typename Metric>
std::size_t Family<Metric>::ValuesHash::operator()(const LabelValues& values) const noexcept {
  std::size_t hash = values.size();
  for (const std::string_view value : values) {
    // The boost::hash_combine mixing step: order-sensitive, so ("a","b") != ("b","a").
    hash ^=
        std::hash<std::string_view>{}(value) + 0x9e3779b97f4a7c15ULL + (hash << 6U) + (hash >> 2U);
  }
  return hash;
}

template <typename Metric>
std::size_t
Family<Metric>::ValuesHash::operator()(std::span<const std::string_view> values) const noexcept {
  std::size_t hash = values.size();
  for (const std::string_view value : values) {
    hash ^=
        std::hash<std::string_view>{}(value) + 0x9e3779b97f4a7c15ULL + (hash << 6U) + (hash >> 2U);
  }
  return hash;
}

template <> std::unique_ptr<Counter> Family<Counter>::makeMetric() const {
  return std::make_unique<Counter>();
}

template <> std::unique_ptr<Histogram> Family<Histogram>::makeMetric() const {
  return std::make_unique<Histogram>(upper_bounds_);
}

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> upper_bounds)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {
  invalid_ = makeMetric();
  if (label_names_.empty()) {
    with({});
  }
}

template <typename Metric> Metric& Family<Metric>::with(std::span<const std::string_view> values) {
  if (values.size() != label_names_.size()) {
    assert(false && "metrics: label value count differs from the family's label names");
    return *invalid_;
  }
  const std::lock_guard lock(mutex_);
  if (auto it = index_.find(values); it != index_.end()) {
    return *it->second->metric;
  }
  LabelValues owned(values.begin(), values.end());
  auto child = std::make_unique<Child>(Child{owned, makeMetric()});
  Metric& metric = *child->metric;
  index_.emplace(std::move(owned), child.get());
  children_.push_back(std::move(child));
  return metric;
}

template <typename Metric>
std::vector<const typename Family<Metric>::Child*> Family<Metric>::children() const {
  const std::lock_guard lock(mutex_);
  std::vector<const Child*> out;
  out.reserve(children_.size());
  for (const auto& child : children_) {
    out.push_back(child.get());
  }
  return out;
}

template class Family<Counter>;
template class Family<Histogram>;

// ---------------------------------------------------------------------------------------------
// Registry

namespace {

struct Gauge {
  std::string name;
  std::string help;
  std::function<double()> read;
};

struct LabelledGauge {
  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  std::function<Registry::GaugeSamples()> read;
};

} // namespace

struct Registry::Impl {
  using Entry = std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Histogram>>,
                             std::unique_ptr<Gauge>, std::unique_ptr<LabelledGauge>>;

  mutable std::mutex mutex;
  std::vector<Entry> entries;    ///< declaration order
  std::set<std::string> exposed; ///< every sample name in use, to refuse clashes

  /// Checks the names and reserves the sample names `name` + each suffix. Called with the lock.
  void declare(const std::string& name, const std::vector<std::string>& label_names,
               std::initializer_list<std::string_view> suffixes) {
    if (!validMetricName(name)) {
      throw std::invalid_argument(fmt::format("invalid metric name '{}'", name));
    }
    std::set<std::string_view> seen;
    for (const auto& label : label_names) {
      if (!validLabelName(label)) {
        throw std::invalid_argument(fmt::format("metric {}: invalid label name '{}'", name, label));
      }
      if (!seen.insert(label).second) {
        throw std::invalid_argument(fmt::format("metric {}: duplicate label '{}'", name, label));
      }
    }
    std::vector<std::string> samples;
    for (const auto suffix : suffixes) {
      samples.push_back(name + std::string(suffix));
      if (exposed.count(samples.back()) != 0) {
        throw std::invalid_argument(
            fmt::format("metric {}: '{}' is already declared", name, samples.back()));
      }
    }
    exposed.insert(samples.begin(), samples.end());
  }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  const std::lock_guard lock(impl_->mutex);
  impl_->declare(name, label_names, {""});
  auto family =
      std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(label_names));
  auto& ref = *family;
  impl_->entries.emplace_back(std::move(family));
  return ref;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> upper_bounds) {
  const std::lock_guard lock(impl_->mutex);
  if (std::find(label_names.begin(), label_names.end(), "le") != label_names.end()) {
    throw std::invalid_argument(fmt::format("histogram {}: 'le' is the bucket label", name));
  }
  checkBounds(upper_bounds);
  // The histogram's own name is reserved too: a counter of that name would read as its parent.
  impl_->declare(name, label_names, {"", "_bucket", "_sum", "_count"});
  auto family = std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), std::move(label_names), std::move(upper_bounds));
  auto& ref = *family;
  impl_->entries.emplace_back(std::move(family));
  return ref;
}

void Registry::gauge(std::string name, std::string help, std::function<double()> read) {
  const std::lock_guard lock(impl_->mutex);
  impl_->declare(name, {}, {""});
  impl_->entries.emplace_back(
      std::make_unique<Gauge>(Gauge{std::move(name), std::move(help), std::move(read)}));
}

void Registry::gauges(std::string name, std::string help, std::vector<std::string> label_names,
                      std::function<GaugeSamples()> read) {
  const std::lock_guard lock(impl_->mutex);
  impl_->declare(name, label_names, {""});
  impl_->entries.emplace_back(std::make_unique<LabelledGauge>(
      LabelledGauge{std::move(name), std::move(help), std::move(label_names), std::move(read)}));
}

std::string Registry::exposition() const {
  Buffer out;
  const std::lock_guard lock(impl_->mutex);
  for (const auto& entry : impl_->entries) {
    if (const auto* counter = std::get_if<std::unique_ptr<Family<Counter>>>(&entry)) {
      appendCounter(out, **counter);
    } else if (const auto* histogram = std::get_if<std::unique_ptr<Family<Histogram>>>(&entry)) {
      appendHistogram(out, **histogram);
    } else if (const auto* labelled = std::get_if<std::unique_ptr<LabelledGauge>>(&entry)) {
      const LabelledGauge& gauge = **labelled;
      appendHeader(out, gauge.name, gauge.help, "gauge");
      if (!gauge.read) {
        continue;
      }
      for (const auto& [values, value] : gauge.read()) {
        if (values.size() != gauge.label_names.size()) {
          continue;
        }
        out.append(gauge.name);
        appendLabels(out, gauge.label_names, values);
        out.push_back(' ');
        appendDouble(out, value);
        out.push_back('\n');
      }
    } else {
      const Gauge& gauge = *std::get<std::unique_ptr<Gauge>>(entry);
      appendHeader(out, gauge.name, gauge.help, "gauge");
      out.append(gauge.name);
      out.push_back(' ');
      appendDouble(out, gauge.read ? gauge.read() : std::nan(""));
      out.push_back('\n');
    }
  }
  return fmt::to_string(out);
}

} // namespace cordon::metrics
