// The gateway's Prometheus metrics (GET /metrics). Every request's audit record passes through
// one place on its way out (Handler::commit), so the metrics are taken from it: they can never
// disagree with the audit, and they can only hold what the audit holds — names, levels, counts,
// never request text.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "cordon/audit/record.h"
#include "cordon/config/config.h"
#include "cordon/metrics/metrics.h"

namespace cordon::gateway {

/// How the audit's attempts name one that was not made ("skipped: circuit open",
/// "skipped: connection limit N reached").
inline constexpr std::string_view kSkippedPrefix = "skipped: ";

class GatewayMetrics {
public:
  GatewayMetrics();

  /// Counts one finished request. `config` tells which model names are configured: a model name
  /// the config does not know is counted as "unknown" (it is client input).
  void observe(const audit::Record& record, const config::Config& config);

  /// A durable audit batch of `records` took `took` to append (called on the writer thread).
  void auditBatchWritten(std::chrono::nanoseconds took) noexcept;

  /// The time from sending a request to a backend to the first event reaching the client.
  metrics::Histogram& firstToken(const std::string& backend) {
    return first_token_.with({backend});
  }

  /// A rate-limit call that Redis could not serve and this replica's counters did.
  void rateLimitFallback() noexcept { limit_fallbacks_.add(); }

  /// Adds a gauge read at scrape time (audit queue depth and the like).
  void gauge(std::string name, std::string help, std::function<double()> read);
  /// Adds a labelled gauge read at scrape time (one sample per backend, say).
  void gauges(std::string name, std::string help, std::vector<std::string> label_names,
              std::function<metrics::Registry::GaugeSamples()> read) {
    registry_.gauges(std::move(name), std::move(help), std::move(label_names), std::move(read));
  }

  std::string exposition() const { return registry_.exposition(); }

  /// The request's log line (logger "access", info): JSON members, no braces, e.g.
  /// `"request_id":"…","tenant":"acme",…` — names, levels, counts and timings, never text.
  static std::string accessLine(const audit::Record& record, const config::Config& config,
                                std::int64_t now_ms);

private:
  metrics::Registry registry_;
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Counter>& refusals_;
  metrics::Family<metrics::Counter>& pseudonymized_;
  metrics::Family<metrics::Counter>& guardrails_;
  metrics::Family<metrics::Counter>& tokens_;
  metrics::Family<metrics::Histogram>& upstream_latency_;
  metrics::Family<metrics::Counter>& upstream_errors_;
  metrics::Family<metrics::Counter>& upstream_skipped_;
  metrics::Family<metrics::Histogram>& first_token_;
  metrics::Histogram& audit_write_;
  metrics::Counter& limit_fallbacks_;
};

} // namespace cordon::gateway
