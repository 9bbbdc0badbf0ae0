// The local store: buckets in this process (limits.h). Sharded by tenant, so that a request locks
// one small mutex and requests of different tenants rarely meet.
#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "limits/bucket.h"
#include "limits/describe.h"

namespace cordon::limits {
namespace {

using detail::Bucket;
using detail::Kind;
using detail::Scope;

/// Heterogeneous lookup: a request's names are string_views into the config.
struct NameHash {
  using is_transparent = void; // NOLINT(readability-identifier-naming): the standard's name
  std::size_t operator()(std::string_view name) const noexcept {
    return std::hash<std::string_view>{}(name);
  }
};

/// The two buckets of one tenant or key.
struct Buckets {
  Bucket requests;
  Bucket tokens;
};

struct TenantBuckets {
  Buckets own;
  std::unordered_map<std::string, Buckets, NameHash, std::equal_to<>> keys;
};

/// One limit a request must pass.
struct Check {
  Bucket* bucket = nullptr;
  std::int64_t rate = 0;
  std::int64_t cost = 0;
  Scope scope = Scope::Tenant;
  Kind kind = Kind::Requests;
};

/// At most four checks: the tenant's and the key's requests and tokens.
struct Checks {
  std::array<Check, 4> items{};
  std::size_t count = 0;

  void add(Buckets& buckets, const config::RateLimits& limits, Scope scope, std::int64_t tokens) {
    if (limits.requests_per_minute) {
      items.at(count++) = Check{&buckets.requests, detail::clampCount(*limits.requests_per_minute),
                                1, scope, Kind::Requests};
    }
    if (limits.tokens_per_minute) {
      items.at(count++) = Check{&buckets.tokens, detail::clampCount(*limits.tokens_per_minute),
                                tokens, scope, Kind::Tokens};
    }
  }
};

class LocalLimiter final : public Limiter {
public:
  std::optional<Refusal> acquire(const Subject& subject, const Limits& limits,
                                 std::uint64_t estimated_tokens, Millis now) override {
    if (!limits.any()) {
      return std::nullopt;
    }
    Shard& shard = shardOf(subject.tenant);
    const std::lock_guard lock(shard.mutex);
    Checks checks;
    collect(shard, subject, limits, detail::clampCount(estimated_tokens), checks);
    // Every limit is checked before any is taken: a refused request uses no budget at all.
    const Check* refusing = nullptr;
    std::int64_t longest = 0;
    for (std::size_t i = 0; i < checks.count; ++i) {
      const Check& check = checks.items.at(i);
      detail::refill(*check.bucket, check.rate, now.count());
      const std::int64_t wait = detail::waitMs(*check.bucket, check.rate, check.cost);
      if (wait > longest) {
        longest = wait;
        refusing = &check;
      }
    }
    if (refusing != nullptr) {
      return Refusal{detail::describeLimit(subject, refusing->scope, refusing->kind,
                                           static_cast<std::uint64_t>(refusing->rate)),
                     std::chrono::seconds{detail::retrySeconds(longest)}};
    }
    for (std::size_t i = 0; i < checks.count; ++i) {
      const Check& check = checks.items.at(i);
      detail::take(*check.bucket, check.rate, check.cost);
    }
    return std::nullopt;
  }

  void settle(const Subject& subject, const Limits& limits, std::uint64_t estimated_tokens,
              std::uint64_t actual_tokens, Millis now) override {
    const std::int64_t delta =
        detail::clampCount(actual_tokens) - detail::clampCount(estimated_tokens);
    if (!limits.countsTokens() || delta == 0) {
      return;
    }
    Shard& shard = shardOf(subject.tenant);
    const std::lock_guard lock(shard.mutex);
    Checks checks;
    collect(shard, subject, limits, delta, checks);
    for (std::size_t i = 0; i < checks.count; ++i) {
      const Check& check = checks.items.at(i);
      if (check.kind == Kind::Tokens) {
        detail::refill(*check.bucket, check.rate, now.count());
        detail::take(*check.bucket, check.rate, check.cost);
      }
    }
  }

private:
  /// Enough shards that a few busy tenants rarely share one; each on its own cache line.
  static constexpr std::size_t kShards = 64;
  struct alignas(64) Shard {
    std::mutex mutex;
    std::unordered_map<std::string, TenantBuckets, NameHash, std::equal_to<>> tenants;
  };

  Shard& shardOf(std::string_view tenant) { return shards_.at(NameHash{}(tenant) % kShards); }

  /// The checks of one request, creating its buckets on first use (full). Called with the
  /// shard's lock held.
  static void collect(Shard& shard, const Subject& subject, const Limits& limits,
                      std::int64_t tokens, Checks& checks) {
    auto tenant = shard.tenants.find(subject.tenant);
    if (tenant == shard.tenants.end()) {
      tenant = shard.tenants.try_emplace(std::string(subject.tenant)).first;
    }
    checks.add(tenant->second.own, limits.tenant, Scope::Tenant, tokens);
    if (subject.key.empty() || !limits.key.any()) {
      return;
    }
    auto& keys = tenant->second.keys;
    auto key = keys.find(subject.key);
    if (key == keys.end()) {
      key = keys.try_emplace(std::string(subject.key)).first;
    }
    checks.add(key->second, limits.key, Scope::Key, tokens);
  }

  std::array<Shard, kShards> shards_;
};

} // namespace

std::unique_ptr<Limiter> makeLocalLimiter() {
  return std::make_unique<LocalLimiter>();
}

} // namespace cordon::limits
