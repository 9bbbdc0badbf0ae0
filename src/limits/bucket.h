// The token bucket of one limit (limits.h), in integers. The Redis store's Lua script
// (redis_limiter.cc) does the same arithmetic; the two must stay in step.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace cordon::limits::detail {

/// One request or token in bucket units. A limit of R per minute refills R units per
/// millisecond, so its capacity is R × kUnitsPerItem units and no division is ever needed but
/// for a wait (rounded up).
inline constexpr std::int64_t kUnitsPerItem = 60'000;

/// Rates and costs are clamped to this (the config's own maximum rate, 2^40), which keeps every
/// product below 2^63: capacity ≤ 2^40 × 60,000 < 2^57.
inline constexpr std::uint64_t kMaxCount = std::uint64_t{1} << 40U;

inline std::int64_t clampCount(std::uint64_t count) noexcept {
  return static_cast<std::int64_t>(std::min(count, kMaxCount));
}

/// Level may be negative (a debt after settling, at most one minute's budget). A bucket that was
/// never used is full.
struct Bucket {
  std::int64_t level = 0;
  std::int64_t stamp_ms = 0;
  bool used = false;
};

inline std::int64_t capacity(std::int64_t rate) noexcept {
  return rate * kUnitsPerItem;
}

/// Brings the bucket to `now_ms`: refills what the time since its stamp earned, up to capacity.
/// A clock that went back refills nothing (and keeps the later stamp). A limit lowered by a
/// reload caps the level at once.
inline void refill(Bucket& bucket, std::int64_t rate, std::int64_t now_ms) noexcept {
  const std::int64_t cap = capacity(rate);
  if (!bucket.used) {
    bucket = Bucket{cap, now_ms, true};
    return;
  }
  if (now_ms > bucket.stamp_ms) {
    // From the deepest debt (-cap) to full takes two minutes; more time adds nothing, and the
    // bound keeps the product in range.
    const std::int64_t elapsed = std::min(now_ms - bucket.stamp_ms, 2 * kUnitsPerItem);
    bucket.level = std::min(cap, bucket.level + elapsed * rate);
    bucket.stamp_ms = now_ms;
  }
  bucket.level = std::clamp(bucket.level, -cap, cap);
}

/// Milliseconds until a refilled bucket can give `cost` items; 0 when it can now. A cost above
/// the capacity needs a full bucket (else it could never pass).
inline std::int64_t waitMs(const Bucket& bucket, std::int64_t rate, std::int64_t cost) noexcept {
  const std::int64_t need = std::min(cost * kUnitsPerItem, capacity(rate));
  if (bucket.level >= need) {
    return 0;
  }
  return (need - bucket.level + rate - 1) / rate;
}

/// Takes `cost` items (negative: gives them back), keeping the level within [-cap, cap].
inline void take(Bucket& bucket, std::int64_t rate, std::int64_t cost) noexcept {
  const std::int64_t cap = capacity(rate);
  bucket.level = std::clamp(bucket.level - cost * kUnitsPerItem, -cap, cap);
}

/// Whole seconds to tell a client: the wait rounded up, at least 1.
inline std::int64_t retrySeconds(std::int64_t wait_ms) noexcept {
  return std::max<std::int64_t>(1, (wait_ms + 999) / 1000);
}

} // namespace cordon::limits::detail
