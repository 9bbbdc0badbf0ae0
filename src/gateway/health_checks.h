// Active health checks (backends' `health_check: {path, interval_ms}`, docs/reliability.md): a
// GET of the path every interval; a 2xx answer closes the backend's breaker, anything else (a
// status, a timeout, a broken connection) counts as a failed attempt. They run on one worker with
// that worker's upstream client, so they share its connection pools and deadline wheel.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "gateway/gateway.h"

namespace cordon::upstream {
class Client;
}

namespace cordon::gateway {

/// Checks the backends of `current()` (re-read every round, so a reload takes effect) until
/// `stopping` is set. Backends without a health_check are not touched.
boost::asio::awaitable<void>
runHealthChecks(std::function<std::shared_ptr<const Snapshot>()> current, upstream::Client& client,
                const std::atomic<bool>& stopping);

} // namespace cordon::gateway
