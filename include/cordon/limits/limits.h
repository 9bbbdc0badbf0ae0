// Rate limits and budgets (docs/operations.md#rate-limits): requests and tokens per minute, per
// tenant and per API key, kept in this process or shared by every replica through Redis.
//
// The algorithm is a token bucket that refills continuously (equivalent to GCRA): a limit of R
// per minute is a bucket holding at most R, refilled at R/60 per second, so the budget is a
// rolling minute with no window edges to burst across. A request takes 1 from the requests
// bucket and its estimated tokens from the tokens bucket; when a bucket holds less than that, the
// request is refused with the exact time until it would hold enough. Each bucket is one level and
// one time stamp, updated in O(1) per request. Arithmetic is in integers: one request or token
// is 60,000 units and a bucket of R per minute refills R units per millisecond, so refill and
// waits are exact to the millisecond.
//
// Tokens are settled after the call: the estimate taken up front is replaced by what the upstream
// reported. An answer bigger than its estimate pushes the bucket below zero (a debt of at most one
// minute's budget) and the next requests wait until it is repaid; a smaller one gives the
// difference back. A request estimated above a whole minute's budget passes only when the bucket
// is full, and leaves it in debt: it is not refused forever.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cordon/common/result.h"
#include "cordon/config/config.h"

namespace cordon::limits {

/// Time on the limiter's clock in milliseconds. The local store needs only a monotonic clock
/// (the gateway passes std::chrono::steady_clock's); tests inject their own.
using Millis = std::chrono::milliseconds;

/// Whose budgets a request draws on: a tenant and, optionally, one of its keys. Names from the
/// config, never an API key: they are what the counters are stored under.
struct Subject {
  std::string_view tenant;
  std::string_view key; ///< The key's name; empty when the key has no limits of its own.
};

/// The limits of one request: its tenant's and its key's. A request must pass both.
struct Limits {
  config::RateLimits tenant;
  config::RateLimits key;

  [[nodiscard]] bool any() const noexcept { return tenant.any() || key.any(); }
  [[nodiscard]] bool countsTokens() const noexcept {
    return tenant.tokens_per_minute.has_value() || key.tokens_per_minute.has_value();
  }
};

/// Why a request was refused.
struct Refusal {
  /// The limit that refused it, e.g. "tenant acme: 600 requests per minute" or
  /// "key acme/batch: 10000 tokens per minute" (names and numbers from the config only). When
  /// several limits refuse, the one that needs the longest wait.
  std::string limit;
  /// Whole seconds, rounded up, at least 1: after this wait the same request passes every limit
  /// (unless other requests draw on the budgets meanwhile).
  std::chrono::seconds retry_after{1};
};

/// A store of budgets. Every method is safe to call from several threads at once.
class Limiter {
public:
  Limiter() = default;
  virtual ~Limiter() = default;
  Limiter(const Limiter&) = delete;
  Limiter& operator=(const Limiter&) = delete;

  /// Checks every limit of `limits` (the tenant's requests and tokens, the key's requests and
  /// tokens) and, only when all of them pass, takes one request and `estimated_tokens` from each
  /// bucket, atomically: a request the key refuses does not use the tenant's budget, and two
  /// concurrent requests never both take the last unit. nullopt = admitted.
  virtual std::optional<Refusal> acquire(const Subject& subject, const Limits& limits,
                                         std::uint64_t estimated_tokens, Millis now) = 0;

  /// Replaces an admitted request's `estimated_tokens` with `actual_tokens` in its tokens
  /// buckets (a debt when more, a refund when less). No-op without token limits.
  virtual void settle(const Subject& subject, const Limits& limits, std::uint64_t estimated_tokens,
                      std::uint64_t actual_tokens, Millis now) = 0;
};

/// Counters in this process, sharded by tenant (a request locks one shard's mutex for a few
/// arithmetic operations), so workers rarely wait on each other. One entry per tenant and key
/// that has limits, kept under its config names: entries survive a config reload, and a changed
/// limit applies to the counters as they are.
std::unique_ptr<Limiter> makeLocalLimiter();

/// Where a `redis://HOST:PORT[/DB]` store is.
struct RedisAddress {
  std::string host; ///< Name or address (IPv6 without brackets).
  std::uint16_t port = 6379;
  unsigned database = 0;
};

/// Parses `redis://HOST[:PORT][/DB]` (port 6379 and database 0 by default; `[v6]` in
/// brackets). Errc::BadRequest naming what is wrong. A user or password in the url is refused:
/// cordon keeps no secrets in its config file.
Result<RedisAddress> parseRedisUrl(std::string_view url);

struct RedisOptions {
  /// Bounds on one connection attempt and on one command. Short: the limiter is on the request
  /// path, and a slow Redis must cost a request milliseconds, not seconds.
  std::chrono::milliseconds connect_timeout{50};
  std::chrono::milliseconds command_timeout{50};
  /// After a failure, calls use the local counters without trying Redis for this long (on the
  /// limiter's clock), so a Redis that is down costs no time per request.
  std::chrono::milliseconds retry_interval{1'000};
  /// Redis' own clock (the TIME command) when true: replicas agree on time even when their
  /// clocks drift. Tests set false to drive Redis with their `now`.
  bool server_clock = true;
  /// Prefix of every key; tests use their own so that they do not share counters.
  std::string key_prefix = "cordon:limits:";
  /// Called (under the limiter's lock, so briefly) for each call that Redis could not serve and
  /// the local counters did, with why Redis failed (no url, no secrets). May be empty.
  std::function<void(const Error& why)> on_fallback;
};

/// Counters in Redis, shared by every gateway that names the same server: one Lua script checks
/// and takes every bucket of a request atomically (EVALSHA, falling back to EVAL when Redis lost
/// the script). Each bucket is one hash that expires a minute after it would be full again, so
/// idle tenants and keys vanish: "PREFIX{TENANT}:tenant:requests" (and ":tokens"),
/// "PREFIX{TENANT}:key:NAME:requests" (and ":tokens") — config names only, one hash tag per
/// tenant.
///
/// Calls block (hiredis' synchronous API) for at most the timeouts above (a host name is resolved
/// at each connect, which the connect timeout does not bound: prefer an address); they are
/// serialised on one connection, which is opened on first use and reopened after a failure. When
/// Redis cannot answer (down, timeout, an error reply) the call is served by local counters
/// instead: limits still hold, per replica, and `on_fallback` is told. Errc::BadRequest for a
/// malformed url; no connection is made here.
Result<std::unique_ptr<Limiter>> makeRedisLimiter(std::string_view url, RedisOptions options);

} // namespace cordon::limits
