// Rate limits in the gateway (docs/operations.md#rate-limits): each request of a tenant or key
// with `limits` is admitted against its budgets right after access control, before any detection
// work, and its tokens are settled with the backend's usage when its audit record is committed.
//
// Threads: the local store is called on the request's worker (one short lock, no I/O). The Redis
// store blocks (hiredis' synchronous API, bounded by its 50 ms timeouts), so its calls run on one
// thread of the gate's own, in order on one connection; a request waits for its admission there
// without stalling the other connections of its worker, and settling does not wait at all.
// When Redis cannot answer, the store uses this replica's counters for that call (limits.h); the
// gate counts each such call in cordon_rate_limit_store_fallbacks_total and logs a warning at
// most every few seconds.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "cordon/audit/record.h"
#include "cordon/auth/key_store.h"
#include "cordon/config/config.h"
#include "cordon/limits/limits.h"

namespace cordon::gateway {

class GatewayMetrics;
class RateLimitGate;

/// The tokens a request is estimated at before the call: its body's bytes / 4, rounded up (about
/// four bytes per token for English text and JSON; settle() corrects it).
std::uint64_t estimateTokens(std::size_t body_bytes) noexcept;

/// What admit() decided for one request. While the request runs it holds the request's claim on
/// its tokens budgets until settle() replaces the estimate; a claim never settled (a request cut
/// short at shutdown) is dropped with it, keeping its estimate.
class Admission {
public:
  Admission() = default;
  ~Admission();
  Admission(Admission&& other) noexcept;
  Admission& operator=(Admission&&) = delete;
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  std::optional<limits::Refusal> refusal; ///< Set: answer 429 with retry-after.

private:
  friend class RateLimitGate;
  RateLimitGate* gate_ = nullptr; ///< Set while a claim waits to be settled.
  std::string request_id_;
};

class RateLimitGate {
public:
  /// The store `settings` names ("local" or a redis:// url; no connection is made yet). Throws
  /// std::invalid_argument for a malformed url: start-up code.
  RateLimitGate(const config::LimitsSettings& settings, GatewayMetrics& metrics);
  ~RateLimitGate();
  RateLimitGate(const RateLimitGate&) = delete;
  RateLimitGate& operator=(const RateLimitGate&) = delete;

  /// On a config reload: the same store keeps its counters (they are kept under tenant and key
  /// names, and changed limits apply to them as they are); another store starts afresh. Throws
  /// std::invalid_argument, changing nothing, for a malformed url.
  void reconfigure(const config::LimitsSettings& settings);

  /// Waits for what is queued for Redis to finish (settlements included). Called once the workers
  /// have stopped, before their io_contexts go.
  void stop();

  /// Admits one request of `principal` against its tenant's and key's limits: one request and,
  /// when `sends_upstream`, estimateTokens(body_bytes) tokens (an explain call sends nothing and
  /// uses only a request). Runs on the caller's worker, or on the gate's thread for Redis.
  boost::asio::awaitable<Admission> admit(const auth::Principal& principal,
                                          const std::string& request_id, std::size_t body_bytes,
                                          bool sends_upstream);

  /// Settles the claim of the request `record` is for (nothing when it has none): the tokens the
  /// backend reported (tokens_in + tokens_out) replace the estimate. A request a backend answered
  /// without reporting usage keeps its estimate; one no backend answered gets it back.
  void settle(const audit::Record& record);

private:
  friend class Admission;

  /// A store and what it was built from.
  struct Store {
    std::string spec;
    std::shared_ptr<limits::Limiter> limiter;
    bool blocking = false; ///< Redis: called on the gate's thread.
  };
  /// A claim waiting for its tokens.
  struct Claim {
    std::shared_ptr<const Store> store;
    std::string tenant;
    std::string key;
    limits::Limits limits;
    std::uint64_t estimated = 0;
  };
  /// Claims by request id, sharded so that workers rarely share a lock.
  static constexpr std::size_t kClaimShards = 16;
  struct alignas(64) ClaimShard {
    std::mutex mutex;
    std::unordered_map<std::string, Claim> claims;
  };

  std::shared_ptr<const Store> build(const config::LimitsSettings& settings);
  ClaimShard& shardOf(const std::string& request_id);
  void forget(const std::string& request_id);
  /// Counts and (rate-limited) logs a call Redis could not serve.
  void fellBack(const Error& why);

  GatewayMetrics& metrics_;
  std::atomic<std::shared_ptr<const Store>> store_;
  std::array<ClaimShard, kClaimShards> claims_;
  /// Claims held now: without any (no token limits), settle() takes no lock.
  std::atomic<std::size_t> open_claims_{0};
  /// Steady-clock milliseconds of the last fallback warning, to log one every few seconds.
  std::atomic<std::int64_t> last_warning_ms_{-1};
  /// Redis calls, one at a time on one connection. Declared last: joined (stop()) first.
  boost::asio::thread_pool redis_thread_{1};
};

} // namespace cordon::gateway
