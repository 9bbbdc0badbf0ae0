// The gateway: the life of a request (docs/architecture.md). Authenticates the caller, decodes the
// front-door protocol into the canonical request, decides the eligible targets by policy, and
// tries them in preference order, falling back only within the eligible set and only before the
// first byte of the answer reaches the client.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "cordon/auth/key_store.h"
#include "cordon/classify/classifier.h"
#include "cordon/config/config.h"
#include "cordon/guard/guard.h"
#include "cordon/metrics/metrics.h"
#include "cordon/resilience/resilience.h"

namespace cordon::http {
class Server;
}
namespace cordon::upstream {
class Client;
}
namespace cordon::audit {
class Log;
}
namespace cordon::gateway {
class GatewayMetrics;
class RateLimitGate;
} // namespace cordon::gateway
namespace spdlog {
class logger;
}

namespace cordon::gateway {

/// Everything derived from one config snapshot. Immutable; a request holds the snapshot it
/// started with, so a reload never changes the rules under a request in flight.
struct Snapshot {
  /// Throws std::invalid_argument when the detectors cannot be built (a custom regex Hyperscan
  /// rejects): such a config is refused at start and at reload.
  /// Without `backend_states_in` (tools such as `cordon explain`), every backend gets a fresh,
  /// closed breaker.
  explicit Snapshot(config::ConfigConstSharedPtr config_in,
                    std::vector<std::shared_ptr<resilience::BackendState>> backend_states_in = {});
  config::ConfigConstSharedPtr config;
  /// Per backend (Config::backends order): its breaker and outstanding requests, shared with
  /// every snapshot that has the same backend (resilience::BackendRegistry).
  std::vector<std::shared_ptr<resilience::BackendState>> backend_states;
  auth::KeyStore keys;
  classify::ClassifierConstSharedPtr classifier;
  /// Every deny_words / deny_regex guardrail, compiled once (guard.h).
  std::shared_ptr<const guard::DenyLists> deny_lists;
  /// Per prompt template (Config::prompts order): the entity types found in the static text of
  /// its per-target wordings. The base wording is put into the request and scanned with it;
  /// these count for every request that uses the template (a template may be confidential).
  std::vector<std::vector<std::string>> prompt_entities;
};

/// Why this build cannot serve `config` as written, one line per problem (an upstream secret that
/// is not set, a `limits.store` url the Redis store cannot use); empty when it can. cordon
/// refuses to start, and to reload, rather than serve a config it would only half honour.
std::vector<std::string> servingProblems(const config::Config& config);

class Gateway {
public:
  /// Start-up choices that are not part of the config file.
  struct Options {
    /// Measurement only (`cordon serve --measure-without-detection`, bench/feature_cpu.py): no
    /// text is scanned, so a request's level is its declared one or the lowest. It exists so
    /// that what detection costs per request can be measured against the same binary without
    /// it; it is never a config key, so no config can turn detection off.
    bool measure_without_detection = false;
  };

  /// Throws std::invalid_argument when servingProblems() finds any; start-up code, caught in
  /// main.
  explicit Gateway(config::ConfigConstSharedPtr config) : Gateway(std::move(config), Options{}) {}
  Gateway(config::ConfigConstSharedPtr config, Options options);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Binds the listener and starts the workers; throws std::system_error if it cannot bind.
  void start();
  std::uint16_t port() const noexcept;

  /// The config snapshot new requests get (for tools that explain decisions the same way).
  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_.load(); }

  /// Replaces the config for new requests; requests in flight keep theirs. Listener settings
  /// (address, workers) are not changed by a reload. Rate-limit counters carry over (they are
  /// kept by tenant and key name) unless `limits.store` changes. Throws std::invalid_argument,
  /// keeping the current config, when servingProblems() finds any.
  void reload(config::ConfigConstSharedPtr config);

  /// Stops accepting, lets requests in flight finish for up to `grace`, then stops.
  void shutdown(std::chrono::milliseconds grace);
  void join();

private:
  class Handler;
  /// Per backend of the current snapshot: its circuit state (0 closed, 1 half-open, 2 open) or
  /// its outstanding requests, for /metrics.
  metrics::Registry::GaugeSamples circuitSamples(bool outstanding) const;
  /// A worker's detection state: Hyperscan scratch for the classifier it was made for, and a
  /// reused findings buffer. Touched only by its worker's thread.
  struct Detection {
    const classify::Classifier* owner = nullptr;
    classify::ScratchPtr scratch;
    std::vector<classify::Finding> findings;
    const guard::DenyLists* deny_owner = nullptr;
    guard::DenyLists::ScratchPtr deny_scratch{nullptr, nullptr};
  };

  // Declared before the audit: its gauges read the audit writer, which goes first.
  std::unique_ptr<GatewayMetrics> metrics_;
  /// One line per request (docs/operations.md); null when the program set up no "access" logger.
  std::shared_ptr<spdlog::logger> access_log_;
  // Declared first so that it is destroyed last: workers submit records until they stop.
  // Null when the audit is off (audit.sink: none).
  std::unique_ptr<audit::Log> audit_;
  bool audit_sync_ = true;
  Options options_;
  /// Reads for /admin/* (the audit sink), off the workers.
  boost::asio::thread_pool admin_pool_{1};
  /// Breakers and load of every backend, kept across reloads.
  resilience::BackendRegistry backend_registry_;
  /// Set when shutting down: background work (health checks) ends.
  std::atomic<bool> stopping_{false};
  /// Turns of equally loaded targets in one preference step.
  std::atomic<std::size_t> rotation_{0};
  /// Rate limits (rate_limits.h); outlives the workers, kept across reloads.
  std::unique_ptr<RateLimitGate> rate_limits_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::vector<Detection> detection_;
  std::vector<std::unique_ptr<upstream::Client>> clients_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<http::Server> server_;
};

} // namespace cordon::gateway
