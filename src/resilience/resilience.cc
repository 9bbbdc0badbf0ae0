#include "cordon/resilience/resilience.h"

#include <algorithm>
#include <cmath>

namespace cordon::resilience {

std::string_view circuitStateName(CircuitState state) noexcept {
  switch (state) {
  case CircuitState::Closed:
    return "closed";
  case CircuitState::Open:
    return "open";
  case CircuitState::HalfOpen:
    return "half_open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(const config::BreakerSettings& settings)
    : settings_(settings), window_(settings.window, false) {}

void CircuitBreaker::reconfigure(const config::BreakerSettings& settings) {
  const std::lock_guard lock(mutex_);
  if (settings.window != settings_.window) {
    // A different window size makes the old ring meaningless; the rate rule starts over.
    window_.assign(settings.window, false);
    window_next_ = 0;
    window_seen_ = 0;
    window_failures_ = 0;
  }
  settings_ = settings;
}

bool CircuitBreaker::enabledLocked() const noexcept {
  return settings_.consecutive_failures > 0 || settings_.error_rate > 0;
}

Admission CircuitBreaker::admit(Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (!enabledLocked()) {
    return Admission::Allowed;
  }
  if (state_ == CircuitState::Open && now - opened_at_ >= settings_.open) {
    state_ = CircuitState::HalfOpen;
    probes_out_ = 0;
  }
  switch (state_) {
  case CircuitState::Closed:
    return Admission::Allowed;
  case CircuitState::Open:
    return Admission::Refused;
  case CircuitState::HalfOpen:
    if (probes_out_ >= settings_.half_open_probes) {
      return Admission::Refused;
    }
    ++probes_out_;
    return Admission::Probe;
  }
  return Admission::Refused;
}

void CircuitBreaker::recordSuccess(Admission admission, Clock::time_point /*now*/) {
  const std::lock_guard lock(mutex_);
  if (admission == Admission::Probe) {
    // A probe that succeeded closes the breaker even if another probe is still out.
    closeLocked();
    return;
  }
  consecutive_failures_ = 0;
  if (!window_.empty()) {
    if (window_seen_ == window_.size() && window_[window_next_]) {
      --window_failures_;
    }
    window_[window_next_] = false;
    window_next_ = (window_next_ + 1) % window_.size();
    window_seen_ = std::min(window_seen_ + 1, window_.size());
  }
}

void CircuitBreaker::recordFailure(Admission admission, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (admission == Admission::Probe) {
    if (probes_out_ > 0) {
      --probes_out_;
    }
    openLocked(now);
    return;
  }
  failLocked(now);
}

void CircuitBreaker::release(Admission admission) {
  const std::lock_guard lock(mutex_);
  if (admission == Admission::Probe && probes_out_ > 0) {
    --probes_out_;
  }
}

void CircuitBreaker::healthCheck(bool passed, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (!enabledLocked()) {
    return;
  }
  if (passed) {
    if (state_ != CircuitState::Closed) {
      closeLocked();
    }
    return;
  }
  if (state_ == CircuitState::Closed) {
    failLocked(now);
  } else {
    openLocked(now); // a failed check while open or half-open starts a new open period
  }
}

void CircuitBreaker::failLocked(Clock::time_point now) {
  if (!enabledLocked() || state_ != CircuitState::Closed) {
    // An attempt admitted before the breaker opened reports late: it changes nothing.
    return;
  }
  ++consecutive_failures_;
  if (!window_.empty()) {
    // The slot overwritten held a failure only once the ring is full.
    const bool replaces_failure = window_seen_ == window_.size() && window_[window_next_];
    if (!replaces_failure) {
      ++window_failures_;
    }
    window_[window_next_] = true;
    window_next_ = (window_next_ + 1) % window_.size();
    window_seen_ = std::min(window_seen_ + 1, window_.size());
  }
  const bool too_many_in_a_row =
      settings_.consecutive_failures > 0 && consecutive_failures_ >= settings_.consecutive_failures;
  const bool rate_too_high = settings_.error_rate > 0 && !window_.empty() &&
                             window_seen_ == window_.size() &&
                             static_cast<double>(window_failures_) >=
                                 settings_.error_rate * static_cast<double>(window_.size());
  if (too_many_in_a_row || rate_too_high) {
    openLocked(now);
  }
}

void CircuitBreaker::openLocked(Clock::time_point now) {
  if (state_ != CircuitState::Open) {
    ++openings_;
  }
  state_ = CircuitState::Open;
  opened_at_ = now;
  probes_out_ = 0;
}

void CircuitBreaker::closeLocked() {
  state_ = CircuitState::Closed;
  consecutive_failures_ = 0;
  probes_out_ = 0;
  std::fill(window_.begin(), window_.end(), false);
  window_next_ = 0;
  window_seen_ = 0;
  window_failures_ = 0;
}

CircuitState CircuitBreaker::state(Clock::time_point now) const {
  const std::lock_guard lock(mutex_);
  if (state_ == CircuitState::Open && now - opened_at_ >= settings_.open) {
    return CircuitState::HalfOpen;
  }
  return state_;
}

std::uint64_t CircuitBreaker::openings() const {
  const std::lock_guard lock(mutex_);
  return openings_;
}

Ticket::~Ticket() {
  if (breaker_ != nullptr) {
    breaker_->release(admission_);
  }
}

Ticket::Ticket(Ticket&& other) noexcept
    : breaker_(std::exchange(other.breaker_, nullptr)), admission_(other.admission_) {}

Ticket& Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (breaker_ != nullptr) {
      breaker_->release(admission_);
    }
    breaker_ = std::exchange(other.breaker_, nullptr);
    admission_ = other.admission_;
  }
  return *this;
}

void Ticket::succeeded(Clock::time_point now) {
  if (breaker_ != nullptr) {
    std::exchange(breaker_, nullptr)->recordSuccess(admission_, now);
  }
}

void Ticket::failed(Clock::time_point now) {
  if (breaker_ != nullptr) {
    std::exchange(breaker_, nullptr)->recordFailure(admission_, now);
  }
}

std::vector<std::shared_ptr<BackendState>>
BackendRegistry::statesFor(const config::Config& config) {
  const std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<BackendState>> states;
  states.reserve(config.backends.size());
  std::map<std::string, std::shared_ptr<BackendState>, std::less<>> kept;
  for (const config::Backend& backend : config.backends) {
    std::string identity = backend.name + '\n' + backend.url;
    std::shared_ptr<BackendState> state;
    if (const auto found = states_.find(identity); found != states_.end()) {
      state = found->second;
      state->breaker.reconfigure(backend.breaker);
    } else {
      state = std::make_shared<BackendState>(backend.breaker);
    }
    states.push_back(state);
    kept.emplace(std::move(identity), std::move(state));
  }
  // Backends the new config dropped are forgotten here; a snapshot still serving requests keeps
  // its own references until it goes.
  states_ = std::move(kept);
  return states;
}

std::vector<std::size_t> attemptOrder(const config::Model& model,
                                      std::span<const std::size_t> eligible,
                                      const std::function<std::uint32_t(std::size_t)>& outstanding,
                                      std::size_t rotation) {
  std::vector<std::size_t> order(eligible.begin(), eligible.end());
  for (std::size_t begin = 0; begin < order.size();) {
    const std::size_t step = model.targets[order[begin]].step;
    std::size_t end = begin + 1;
    while (end < order.size() && model.targets[order[end]].step == step) {
      ++end;
    }
    if (end - begin > 1) {
      const auto members = static_cast<std::ptrdiff_t>(end - begin);
      const auto first = order.begin() + static_cast<std::ptrdiff_t>(begin);
      // Rotate first, then a stable sort by load: among equally loaded targets the rotation
      // decides who goes first, so they take turns.
      std::rotate(first, first + static_cast<std::ptrdiff_t>(rotation % (end - begin)),
                  first + members);
      std::vector<std::pair<std::uint32_t, std::size_t>> loads;
      loads.reserve(end - begin);
      for (std::size_t i = begin; i < end; ++i) {
        loads.emplace_back(outstanding(order[i]), order[i]);
      }
      std::stable_sort(loads.begin(), loads.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t i = begin; i < end; ++i) {
        order[i] = loads[i - begin].second;
      }
    }
    begin = end;
  }
  return order;
}

std::chrono::milliseconds backoffBefore(std::uint32_t walk, const config::RetrySettings& retries,
                                        double unit_random) {
  if (walk < 2) {
    return std::chrono::milliseconds{0};
  }
  const double base = static_cast<double>(retries.backoff.count());
  const double cap = static_cast<double>(retries.max_backoff.count());
  const double doubled = std::min(cap, base * std::pow(2.0, static_cast<double>(walk - 2)));
  const double jittered = doubled / 2 + (doubled / 2) * std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(jittered)));
}

} // namespace cordon::resilience
