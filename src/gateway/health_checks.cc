#include "gateway/health_checks.h"

#include <algorithm>
#include <map>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "cordon/resilience/resilience.h"
#include "upstream/client.h"

namespace cordon::gateway {

namespace asio = boost::asio;
using resilience::Clock;
using namespace std::chrono_literals;

namespace {

/// Longest sleep between rounds: how soon a reload that adds a check is noticed.
constexpr auto kLongestNap = 1s;
constexpr std::size_t kMaxProbeBodyBytes = std::size_t{64} * 1024;

/// One probe; true when the backend answered 2xx in time.
asio::awaitable<bool> probe(upstream::Client& client, const config::Backend& backend) {
  upstream::RequestSpec spec;
  spec.method = upstream::RequestSpec::Method::Get;
  spec.path = backend.health_check.path;
  if (backend.api_key) {
    if (backend.protocol == config::Protocol::Anthropic) {
      spec.headers.emplace_back("x-api-key", *backend.api_key);
    } else {
      spec.headers.emplace_back("authorization", "Bearer " + *backend.api_key);
    }
  }
  // A probe never waits longer than its interval: a hanging backend fails its check.
  spec.deadline =
      Clock::now() + std::min(backend.health_check.interval, backend.timeouts.first_byte);
  auto sent = co_await client.send(backend, std::move(spec));
  if (!sent) {
    co_return false;
  }
  const unsigned status = (*sent)->status();
  // Read the body so the connection can be reused; its content does not matter.
  const auto body = co_await (*sent)->readAll(kMaxProbeBodyBytes);
  co_return status >= 200 && status < 300 && body.has_value();
}

} // namespace

asio::awaitable<void> runHealthChecks(std::function<std::shared_ptr<const Snapshot>()> current,
                                      upstream::Client& client, const std::atomic<bool>& stopping) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::map<std::string, Clock::time_point, std::less<>> next_due; // backend name + url
  while (!stopping.load(std::memory_order_acquire)) {
    const std::shared_ptr<const Snapshot> snapshot = current();
    const config::Config& config = *snapshot->config;
    Clock::time_point wake = Clock::now() + kLongestNap;
    for (std::size_t i = 0; i < config.backends.size(); ++i) {
      const config::Backend& backend = config.backends[i];
      if (backend.health_check.path.empty()) {
        continue;
      }
      Clock::time_point& due =
          next_due.try_emplace(backend.name + '\n' + backend.url).first->second;
      if (due <= Clock::now()) {
        const bool passed = co_await probe(client, backend);
        resilience::CircuitBreaker& breaker = snapshot->backend_states[i]->breaker;
        const auto before = breaker.state(Clock::now());
        breaker.healthCheck(passed, Clock::now());
        const auto after = breaker.state(Clock::now());
        if (before != after) {
          spdlog::warn("backend {}: health check {}; circuit {} -> {}", backend.name,
                       passed ? "passed" : "failed", resilience::circuitStateName(before),
                       resilience::circuitStateName(after));
        }
        due = Clock::now() + backend.health_check.interval;
        if (stopping.load(std::memory_order_acquire)) {
          co_return;
        }
      }
      wake = std::min(wake, due);
    }
    timer.expires_at(std::max(wake, Clock::now() + 1ms));
    (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

} // namespace cordon::gateway
