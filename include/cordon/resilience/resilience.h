// Upstream resilience as plain, clock-injected logic (docs/reliability.md): a circuit breaker per
// backend, the order in which one request tries its eligible targets (load spread inside a
// preference step), and the jittered backoff between walks of that list. Nothing here does I/O;
// the gateway owns the sockets and the timers, and the tests drive these with a fake clock.
//
// None of this can widen where a request goes: every function takes the eligible targets that
// policy::decide() returned and only reorders or skips them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cordon/config/config.h"

namespace cordon::resilience {

using Clock = std::chrono::steady_clock;

enum class CircuitState : std::uint8_t {
  Closed,   ///< Attempts go through; failures are counted.
  Open,     ///< Attempts are refused until the open period has passed.
  HalfOpen, ///< The open period passed: a few probes may go; their outcome decides.
};

/// "closed", "open" or "half_open" (audit, explain and logs).
std::string_view circuitStateName(CircuitState state) noexcept;

/// What the breaker says to one attempt.
enum class Admission : std::uint8_t {
  Refused, ///< Open (or half-open with its probes all out): skip this backend.
  Allowed, ///< Closed: go.
  Probe,   ///< Half-open: go, and report the outcome; it closes or reopens the breaker.
};

/// One backend's circuit breaker. Opens after `consecutive_failures` failed attempts in a row, or
/// when the share of failures among the last `window` attempts reaches `error_rate`; stays open
/// for `open`; then lets `half_open_probes` attempts through at a time: the first success closes
/// it (and clears its history), a failure opens it again for another period. Thread-safe: the
/// workers of a gateway share one breaker per backend.
class CircuitBreaker {
public:
  explicit CircuitBreaker(const config::BreakerSettings& settings);

  /// Takes new settings (a reload); the state and the history are kept.
  void reconfigure(const config::BreakerSettings& settings);

  /// Asks to make one attempt. Every Allowed or Probe admission must be followed by exactly one
  /// recordSuccess(), recordFailure() or release() with the same admission (see Ticket).
  Admission admit(Clock::time_point now);
  void recordSuccess(Admission admission, Clock::time_point now);
  void recordFailure(Admission admission, Clock::time_point now);
  /// The attempt ended without telling anything about the backend (the client went away).
  void release(Admission admission);

  /// An active health check: a failure counts like a failed attempt (and reopens a half-open
  /// breaker); a success closes the breaker whatever its state.
  void healthCheck(bool passed, Clock::time_point now);

  /// The state as of `now` (an open breaker whose period has passed reports HalfOpen).
  CircuitState state(Clock::time_point now) const;

  /// How often the breaker has opened since it was made (tests and metrics).
  std::uint64_t openings() const;

private:
  void failLocked(Clock::time_point now);
  void openLocked(Clock::time_point now);
  void closeLocked();
  bool enabledLocked() const noexcept;

  mutable std::mutex mutex_;
  config::BreakerSettings settings_;
  CircuitState state_ = CircuitState::Closed;
  Clock::time_point opened_at_{};
  std::uint32_t consecutive_failures_ = 0;
  std::uint32_t probes_out_ = 0;
  std::uint64_t openings_ = 0;
  /// The outcomes of the last `window` attempts, as a ring (true = failed).
  std::vector<bool> window_;
  std::size_t window_next_ = 0;
  std::size_t window_seen_ = 0;
  std::size_t window_failures_ = 0;
};

/// Holds one admission and gives it back if nobody recorded an outcome, so a request that is
/// abandoned halfway (the client left, a coroutine was torn down at shutdown) never leaves a
/// half-open breaker waiting for a probe that will not report.
class Ticket {
public:
  Ticket() = default;
  Ticket(CircuitBreaker& breaker, Admission admission)
      : breaker_(&breaker), admission_(admission) {}
  ~Ticket();
  Ticket(Ticket&& other) noexcept;
  Ticket& operator=(Ticket&& other) noexcept;
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;

  void succeeded(Clock::time_point now);
  void failed(Clock::time_point now);

private:
  CircuitBreaker* breaker_ = nullptr;
  Admission admission_ = Admission::Refused;
};

/// What the gateway keeps about one backend across requests and reloads.
struct BackendState {
  explicit BackendState(const config::BreakerSettings& settings) : breaker(settings) {}
  CircuitBreaker breaker;
  /// Requests this gateway has open to the backend (for least-outstanding spreading and
  /// max_connections), over all workers.
  std::atomic<std::uint32_t> outstanding{0};
};

/// Counts one request as outstanding at a backend while it lives.
class Outstanding {
public:
  Outstanding() = default;
  explicit Outstanding(BackendState& state) : state_(&state) {
    state_->outstanding.fetch_add(1, std::memory_order_relaxed);
  }
  ~Outstanding() {
    if (state_ != nullptr) {
      state_->outstanding.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  Outstanding(Outstanding&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Outstanding& operator=(Outstanding&& other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  Outstanding(const Outstanding&) = delete;
  Outstanding& operator=(const Outstanding&) = delete;

private:
  BackendState* state_ = nullptr;
};

/// The backends' states of every config the gateway has served. A backend keeps its state across
/// a reload as long as its name and url stay the same; otherwise it starts afresh.
class BackendRegistry {
public:
  /// The state of each of `config`'s backends, in Config::backends order (made or reconfigured).
  std::vector<std::shared_ptr<BackendState>> statesFor(const config::Config& config);

private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<BackendState>, std::less<>> states_; ///< name + url
};

/// The order one walk tries the eligible targets in. `eligible` holds indices into
/// `model.targets` in preference order (policy::Decision::eligible); the result is a permutation
/// of it. Targets of one preference step (config::Target::step) stay together and steps keep
/// their order; inside a step the target whose backend has the fewest outstanding requests
/// (`outstanding(target index)`) goes first, ties broken by `rotation` so equal backends take
/// turns.
std::vector<std::size_t> attemptOrder(const config::Model& model,
                                      std::span<const std::size_t> eligible,
                                      const std::function<std::uint32_t(std::size_t)>& outstanding,
                                      std::size_t rotation);

/// The wait before walk number `walk` (2 = the first retry): the base backoff doubled per further
/// walk, capped at max_backoff, then jittered to between half and all of it ("equal jitter"), so
/// replicas that failed together do not retry together. `unit_random` is uniform in [0, 1).
std::chrono::milliseconds backoffBefore(std::uint32_t walk, const config::RetrySettings& retries,
                                        double unit_random);

} // namespace cordon::resilience
