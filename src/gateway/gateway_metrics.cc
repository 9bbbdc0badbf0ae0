#include "gateway/gateway_metrics.h"

#include <string>

#include <fmt/format.h>

#include "protocol/json_util.h"

namespace cordon::gateway {
namespace {

/// What kind of rule refused a request, from its recorded reason (a bounded set of label
/// values: the reason itself names models and tenants and would make a label per request shape).
std::string refusalRule(const std::string& reason) {
  if (reason.starts_with("access:")) {
    return "access";
  }
  if (reason.starts_with("guardrail ")) {
    return "guardrail";
  }
  if (reason.find("is denied (entities.") != std::string::npos) {
    return "denied_entity";
  }
  return "no_eligible_target";
}

/// A model name the config does not know is client input: never put it in a label or a log.
std::string_view knownModel(const std::string& model, const config::Config& config) {
  return config.findModel(model) != nullptr || model.empty() ? std::string_view(model) : "unknown";
}

void field(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty()) {
    out.push_back(',');
  }
  protocol::detail::appendJsonString(out, name);
  out.push_back(':');
  protocol::detail::appendJsonString(out, value);
}

void field(std::string& out, std::string_view name, std::int64_t value) {
  if (!out.empty()) {
    out.push_back(',');
  }
  protocol::detail::appendJsonString(out, name);
  out.push_back(':');
  protocol::detail::appendJsonInt(out, value);
}

} // namespace

std::string GatewayMetrics::accessLine(const audit::Record& record, const config::Config& config,
                                       std::int64_t now_ms) {
  std::string out;
  out.reserve(384);
  field(out, "request_id", record.request_id);
  field(out, "endpoint", record.endpoint);
  field(out, "tenant", record.tenant);
  field(out, "key", record.key);
  field(out, "model", knownModel(record.model, config));
  field(out, "request_level", record.level); // "level" is the log line's own
  field(out, "boundary", record.boundary);
  field(out, "backend", record.attempts.empty() ? "" : record.attempts.back().backend);
  field(out, "outcome", record.outcome);
  field(out, "status", static_cast<std::int64_t>(record.status));
  field(out, "duration_ms", now_ms - record.time_ms);
  field(out, "attempts", static_cast<std::int64_t>(record.attempts.size()));
  field(out, "pseudonymized_values", static_cast<std::int64_t>(record.pseudonymized_values));
  field(out, "tokens_in", record.tokens_in);
  field(out, "tokens_out", record.tokens_out);
  if (!record.prompt.empty()) {
    field(out, "prompt", record.prompt);
  }
  std::string fired;
  for (const auto& [name, action] : record.guardrails) {
    fired += fmt::format("{}{}={}", fired.empty() ? "" : " ", name, action);
  }
  if (!fired.empty()) {
    field(out, "guardrails", fired);
  }
  return out;
}

GatewayMetrics::GatewayMetrics()
    : requests_(registry_.counter(
          "cordon_requests_total",
          "Requests by endpoint, model, tenant, where they went, level and "
          "outcome.",
          {"endpoint", "model", "tenant", "boundary", "backend", "level", "outcome"})),
      refusals_(registry_.counter("cordon_refusals_total",
                                  "Requests refused by policy (403) or a rate limit (429), by "
                                  "the kind of rule.",
                                  {"rule"})),
      pseudonymized_(registry_.counter("cordon_pseudonymized_values_total",
                                       "Values a backend saw only as placeholders.", {"backend"})),
      guardrails_(registry_.counter("cordon_guardrail_hits_total",
                                    "Guardrails that fired, by name and what was done.",
                                    {"guardrail", "action"})),
      tokens_(registry_.counter("cordon_tokens_total", "Tokens as the backends reported them.",
                                {"backend", "direction"})),
      upstream_latency_(registry_.histogram(
          "cordon_upstream_latency_seconds",
          "Time from sending a request to a backend to its answer's head (each attempt).",
          {"backend"}, metrics::latencyBuckets())),
      upstream_errors_(registry_.counter("cordon_upstream_failures_total",
                                         "Attempts that failed (connect errors, timeouts, 5xx, "
                                         "429, unusable answers).",
                                         {"backend"})),
      upstream_skipped_(registry_.counter(
          "cordon_upstream_skipped_total",
          "Attempts not made because the backend's circuit was open or its connection limit "
          "reached.",
          {"backend", "reason"})),
      first_token_(registry_.histogram(
          "cordon_time_to_first_token_seconds",
          "Streams: from sending the request to a backend to the first event sent to the client.",
          {"backend"}, metrics::latencyBuckets())),
      audit_write_(registry_
                       .histogram("cordon_audit_write_seconds",
                                  "Time to make one batch of audit records durable.", {},
                                  metrics::latencyBuckets())
                       .with({})),
      limit_fallbacks_(registry_
                           .counter("cordon_rate_limit_store_fallbacks_total",
                                    "Rate-limit calls Redis could not serve, counted by this "
                                    "replica's own counters instead.",
                                    {})
                           .with({})) {}

void GatewayMetrics::auditBatchWritten(std::chrono::nanoseconds took) noexcept {
  audit_write_.observe(std::chrono::duration<double>(took).count());
}

void GatewayMetrics::observe(const audit::Record& record, const config::Config& config) {
  const std::string_view model = knownModel(record.model, config);
  const std::string_view backend = record.attempts.empty() || record.outcome != "answered"
                                       ? std::string_view()
                                       : std::string_view(record.attempts.back().backend);
  requests_
      .with({record.endpoint, model, record.tenant,
             backend.empty() ? std::string_view() : std::string_view(record.boundary), backend,
             record.level, record.outcome})
      .add();
  if (record.outcome == "refused") {
    refusals_.with({refusalRule(record.reason)}).add();
  } else if (record.outcome == "rate_limited") {
    refusals_.with({"rate_limit"}).add();
  }
  if (record.pseudonymized_values > 0 && !backend.empty()) {
    pseudonymized_.with({backend}).add(record.pseudonymized_values);
  }
  for (const auto& [name, action] : record.guardrails) {
    guardrails_.with({name, action}).add();
  }
  if (!backend.empty()) {
    if (record.tokens_in > 0) {
      tokens_.with({backend, "in"}).add(static_cast<std::uint64_t>(record.tokens_in));
    }
    if (record.tokens_out > 0) {
      tokens_.with({backend, "out"}).add(static_cast<std::uint64_t>(record.tokens_out));
    }
  }
  for (const audit::Attempt& attempt : record.attempts) {
    // A skipped attempt never reached the backend: it has no latency and is not a failure of
    // the backend's; it is counted on its own, by why it was skipped.
    if (attempt.error.starts_with(kSkippedPrefix)) {
      const std::string_view why = std::string_view(attempt.error).substr(kSkippedPrefix.size());
      upstream_skipped_
          .with({attempt.backend, why.starts_with("circuit")      ? "circuit_open"
                                  : why.starts_with("connection") ? "connection_limit"
                                                                  : "other"})
          .add();
      continue;
    }
    upstream_latency_.with({attempt.backend})
        .observe(static_cast<double>(attempt.latency_ms) / 1000.0);
    const bool failed = !attempt.error.empty() || attempt.status == 0 || attempt.status >= 500 ||
                        attempt.status == 429;
    if (failed) {
      upstream_errors_.with({attempt.backend}).add();
    }
  }
}

void GatewayMetrics::gauge(std::string name, std::string help, std::function<double()> read) {
  registry_.gauge(std::move(name), std::move(help), std::move(read));
}

} // namespace cordon::gateway
