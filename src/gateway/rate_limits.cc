#include "gateway/rate_limits.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "gateway/gateway_metrics.h"

namespace cordon::gateway {
namespace {

namespace asio = boost::asio;

/// At most one warning about Redis per this many milliseconds (each call is still counted).
constexpr std::int64_t kWarningEveryMs = 5'000;

limits::Millis now() {
  return std::chrono::duration_cast<limits::Millis>(
      std::chrono::steady_clock::now().time_since_epoch());
}

} // namespace

std::uint64_t estimateTokens(std::size_t body_bytes) noexcept {
  return (static_cast<std::uint64_t>(body_bytes) + 3) / 4;
}

Admission::~Admission() {
  if (gate_ != nullptr) {
    gate_->forget(request_id_);
  }
}

Admission::Admission(Admission&& other) noexcept
    : refusal(std::move(other.refusal)), gate_(std::exchange(other.gate_, nullptr)),
      request_id_(std::move(other.request_id_)) {}

RateLimitGate::RateLimitGate(const config::LimitsSettings& settings, GatewayMetrics& metrics)
    : metrics_(metrics), store_(build(settings)) {}

RateLimitGate::~RateLimitGate() {
  stop();
}

void RateLimitGate::stop() {
  redis_thread_.join();
}

std::shared_ptr<const RateLimitGate::Store>
RateLimitGate::build(const config::LimitsSettings& settings) {
  auto store = std::make_shared<Store>();
  store->spec = settings.store;
  if (!settings.shared()) {
    store->limiter = limits::makeLocalLimiter();
    return store;
  }
  limits::RedisOptions options;
  options.on_fallback = [this](const Error& why) { fellBack(why); };
  auto limiter = limits::makeRedisLimiter(settings.store, std::move(options));
  if (!limiter) {
    throw std::invalid_argument(limiter.error().detail);
  }
  store->limiter = std::move(*limiter);
  store->blocking = true;
  return store;
}

void RateLimitGate::reconfigure(const config::LimitsSettings& settings) {
  if (store_.load()->spec == settings.store) {
    return;
  }
  store_.store(build(settings));
  spdlog::info("rate limits: counters now kept in {}",
               settings.shared() ? "redis" : "this process");
}

RateLimitGate::ClaimShard& RateLimitGate::shardOf(const std::string& request_id) {
  return claims_.at(std::hash<std::string>{}(request_id) % kClaimShards);
}

void RateLimitGate::forget(const std::string& request_id) {
  ClaimShard& shard = shardOf(request_id);
  const std::lock_guard lock(shard.mutex);
  open_claims_.fetch_sub(shard.claims.erase(request_id), std::memory_order_relaxed);
}

void RateLimitGate::fellBack(const Error& why) {
  metrics_.rateLimitFallback();
  const std::int64_t at = now().count();
  std::int64_t last = last_warning_ms_.load(std::memory_order_relaxed);
  if ((last < 0 || at - last >= kWarningEveryMs) &&
      last_warning_ms_.compare_exchange_strong(last, at, std::memory_order_relaxed)) {
    spdlog::warn("rate limits: {}; this replica counts on its own until Redis answers again",
                 why.detail);
  }
}

asio::awaitable<Admission> RateLimitGate::admit(const auth::Principal& principal,
                                                const std::string& request_id,
                                                std::size_t body_bytes, bool sends_upstream) {
  Admission admission;
  limits::Limits budget{principal.tenant->limits,
                        principal.key != nullptr ? principal.key->limits : config::RateLimits{}};
  if (!budget.any()) {
    co_return admission;
  }
  Claim claim{store_.load(), principal.tenant->name,
              principal.key != nullptr ? principal.key->name : std::string(), budget,
              sends_upstream ? estimateTokens(body_bytes) : 0};
  if (!claim.store->blocking) {
    admission.refusal = claim.store->limiter->acquire({claim.tenant, claim.key}, claim.limits,
                                                      claim.estimated, now());
  } else {
    admission.refusal = co_await asio::async_initiate<const asio::use_awaitable_t<>,
                                                      void(std::optional<limits::Refusal>)>(
        [this, &claim](auto handler) {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          // A copy for the gate's thread, which runs while this request waits.
          asio::post(redis_thread_, [shared, job = claim] {
            auto refusal = job.store->limiter->acquire({job.tenant, job.key}, job.limits,
                                                       job.estimated, now());
            // The request resumes on its own worker.
            auto executor = asio::get_associated_executor(*shared);
            asio::post(executor, [shared, refusal = std::move(refusal)]() mutable {
              std::move (*shared)(std::move(refusal));
            });
          });
        },
        asio::use_awaitable);
  }
  if (admission.refusal || !claim.limits.countsTokens()) {
    co_return admission;
  }
  ClaimShard& shard = shardOf(request_id);
  {
    const std::lock_guard lock(shard.mutex);
    if (shard.claims.insert_or_assign(request_id, std::move(claim)).second) {
      open_claims_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  admission.gate_ = this;
  admission.request_id_ = request_id;
  co_return admission;
}

void RateLimitGate::settle(const audit::Record& record) {
  if (open_claims_.load(std::memory_order_relaxed) == 0) {
    return;
  }
  std::optional<Claim> claim;
  {
    ClaimShard& shard = shardOf(record.request_id);
    const std::lock_guard lock(shard.mutex);
    const auto found = shard.claims.find(record.request_id);
    if (found == shard.claims.end()) {
      return;
    }
    claim = std::move(found->second);
    shard.claims.erase(found);
    open_claims_.fetch_sub(1, std::memory_order_relaxed);
  }
  // Counts from a backend, bounded before they are added (the limiter caps them lower anyway).
  constexpr std::int64_t kMaxReported = std::int64_t{1} << 40U;
  const std::int64_t reported = std::clamp<std::int64_t>(record.tokens_in, 0, kMaxReported) +
                                std::clamp<std::int64_t>(record.tokens_out, 0, kMaxReported);
  const bool backend_answered = !record.attempts.empty() && record.attempts.back().status >= 200 &&
                                record.attempts.back().status < 300;
  const std::uint64_t actual = reported > 0       ? static_cast<std::uint64_t>(reported)
                               : backend_answered ? claim->estimated // usage unknown: as estimated
                                                  : 0;               // nothing was generated
  if (actual == claim->estimated) {
    return;
  }
  if (!claim->store->blocking) {
    claim->store->limiter->settle({claim->tenant, claim->key}, claim->limits, claim->estimated,
                                  actual, now());
    return;
  }
  // Nobody waits for a settlement: the answer is on its way already.
  asio::post(redis_thread_, [claim = std::move(*claim), actual] {
    claim.store->limiter->settle({claim.tenant, claim.key}, claim.limits, claim.estimated, actual,
                                 now());
  });
}

} // namespace cordon::gateway
