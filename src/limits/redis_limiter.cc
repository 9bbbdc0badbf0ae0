// The Redis store (limits.h): the buckets of bucket.h in Redis hashes, checked and taken by one Lua
// script so that replicas share them atomically. Falls back to local counters call by call.
#include <array>
#include <charconv>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include "limits/bucket.h"
#include "limits/describe.h"

namespace cordon::limits {
namespace {

using detail::Kind;
using detail::Scope;

// One hash per bucket ({l: level, s: stamp}), so that each expires on its own (settling touches
// only the tokens buckets). The arithmetic is bucket.h's, in Lua's doubles: exact while the
// values stay below 2^53, that is for rates up to 1.5e11 per minute; above, a bucket is off by a
// unit or so. A full bucket is the same as a missing one, so each hash expires once its bucket
// would be full again (plus a minute, so that a caller's clock in tests never outruns it).
//
// KEYS: one per bucket. ARGV[1]: "acquire" or "settle"; ARGV[2]: now in milliseconds, or "" for
// Redis' own clock; then per bucket its rate (per minute) and its cost (settle: the tokens to
// take, negative to give back).
// Returns {1} when admitted (and settled), or {0, wait_ms, index} with the 0-based index of the
// bucket that needs the longest wait; nothing is written then.
constexpr std::string_view kScript = R"lua(
local units = 60000
local now = tonumber(ARGV[2])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local buckets = {}
local longest, refusing = 0, -1
for i = 1, #KEYS do
  local rate = tonumber(ARGV[1 + 2 * i])
  local cost = tonumber(ARGV[2 + 2 * i])
  local cap = rate * units
  local state = redis.call('HMGET', KEYS[i], 'l', 's')
  local level, stamp = tonumber(state[1]), tonumber(state[2])
  if not level or not stamp then
    level, stamp = cap, now
  elseif now > stamp then
    level = math.min(cap, level + math.min(now - stamp, 2 * units) * rate)
    stamp = now
  end
  level = math.max(-cap, math.min(cap, level))
  if ARGV[1] == 'acquire' then
    local need = math.min(cost * units, cap)
    if level < need then
      local wait = math.floor((need - level) / rate)
      if wait * rate < need - level then
        wait = wait + 1
      end
      if wait > longest then
        longest, refusing = wait, i - 1
      end
    end
  end
  buckets[i] = {level = math.max(-cap, math.min(cap, level - cost * units)), stamp = stamp,
                rate = rate, cap = cap}
end
if refusing >= 0 then
  return {0, longest, refusing}
end
for i = 1, #KEYS do
  local b = buckets[i]
  redis.call('HSET', KEYS[i], 'l', string.format('%.0f', b.level), 's',
             string.format('%.0f', b.stamp))
  local full = math.floor((b.cap - b.level) / b.rate) + 1
  redis.call('PEXPIRE', KEYS[i], full + units)
end
return {1}
)lua";

/// One bucket of a call, in KEYS order.
struct Slot {
  std::string key;
  std::int64_t rate = 0;
  std::int64_t cost = 0;
  Scope scope = Scope::Tenant;
  Kind kind = Kind::Requests;
};

struct ContextFree {
  void operator()(redisContext* context) const noexcept { redisFree(context); }
};
struct ReplyFree {
  void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

timeval toTimeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(duration.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((duration.count() % 1000) * 1000);
  return tv;
}

/// hiredis writes with write(2): a write to a connection Redis has reset raises SIGPIPE, whose
/// default action ends the process. The signal is blocked on the calling thread around each
/// command, and one raised meanwhile is consumed before the mask is restored (as libpq does), so
/// a dead connection is only an error.
class SigpipeBlock {
public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec now{};
      sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
};

Error unavailable(std::string detail) {
  return makeError(Errc::Unavailable, std::move(detail));
}

class RedisLimiter final : public Limiter {
public:
  RedisLimiter(RedisAddress address, RedisOptions options)
      : address_(std::move(address)), options_(std::move(options)), local_(makeLocalLimiter()),
        where_(fmt::format("redis {}:{}", address_.host, address_.port)) {}

  std::optional<Refusal> acquire(const Subject& subject, const Limits& limits,
                                 std::uint64_t estimated_tokens, Millis now) override {
    if (!limits.any()) {
      return std::nullopt;
    }
    const std::vector<Slot> slots =
        slotsOf(subject, limits, detail::clampCount(estimated_tokens), false);
    if (slots.empty()) {
      return std::nullopt;
    }
    const std::lock_guard lock(mutex_);
    auto reply = run("acquire", slots, now);
    if (!reply) {
      tell(reply.error());
      return local_->acquire(subject, limits, estimated_tokens, now);
    }
    const redisReply& answer = **reply;
    if (answer.element[0]->integer == 1) {
      return std::nullopt;
    }
    const Slot& slot = slots.at(static_cast<std::size_t>(answer.element[2]->integer));
    return Refusal{detail::describeLimit(subject, slot.scope, slot.kind,
                                         static_cast<std::uint64_t>(slot.rate)),
                   std::chrono::seconds{detail::retrySeconds(answer.element[1]->integer)}};
  }

  void settle(const Subject& subject, const Limits& limits, std::uint64_t estimated_tokens,
              std::uint64_t actual_tokens, Millis now) override {
    const std::int64_t delta =
        detail::clampCount(actual_tokens) - detail::clampCount(estimated_tokens);
    if (!limits.countsTokens() || delta == 0) {
      return;
    }
    const std::vector<Slot> slots = slotsOf(subject, limits, delta, true);
    const std::lock_guard lock(mutex_);
    if (auto reply = run("settle", slots, now); !reply) {
      tell(reply.error());
      local_->settle(subject, limits, estimated_tokens, actual_tokens, now);
    }
  }

private:
  /// The buckets a call touches: settling touches only the tokens buckets.
  std::vector<Slot> slotsOf(const Subject& subject, const Limits& limits, std::int64_t tokens,
                            bool tokens_only) const {
    std::vector<Slot> slots;
    const auto add = [&](const config::RateLimits& rates, Scope scope, const std::string& base) {
      if (rates.requests_per_minute && !tokens_only) {
        slots.push_back(Slot{base + ":requests", detail::clampCount(*rates.requests_per_minute), 1,
                             scope, Kind::Requests});
      }
      if (rates.tokens_per_minute) {
        slots.push_back(Slot{base + ":tokens", detail::clampCount(*rates.tokens_per_minute), tokens,
                             scope, Kind::Tokens});
      }
    };
    // The tenant's name as a hash tag: a tenant's buckets stay in one slot of a cluster.
    const std::string tenant = fmt::format("{}{{{}}}", options_.key_prefix, subject.tenant);
    add(limits.tenant, Scope::Tenant, tenant + ":tenant");
    if (!subject.key.empty()) {
      add(limits.key, Scope::Key, fmt::format("{}:key:{}", tenant, subject.key));
    }
    return slots;
  }

  /// Runs the script; the reply is checked to have the documented shape. Called with the lock.
  Result<ReplyPtr> run(std::string_view mode, const std::vector<Slot>& slots, Millis now) {
    if (context_ == nullptr) {
      if (now < retry_at_) {
        return unavailable(last_failure_); // not retried yet: no time lost on a dead server
      }
      if (auto connected = connect(); !connected) {
        return failed(connected.error(), now);
      }
    }
    std::vector<std::string> args{"EVALSHA", sha_, std::to_string(slots.size())};
    args.reserve(3 + 3 * slots.size() + 2);
    for (const Slot& slot : slots) {
      args.push_back(slot.key);
    }
    args.emplace_back(mode);
    args.push_back(options_.server_clock ? std::string() : std::to_string(now.count()));
    for (const Slot& slot : slots) {
      args.push_back(std::to_string(slot.rate));
      args.push_back(std::to_string(slot.cost));
    }
    auto reply = command(args);
    if (reply && (*reply)->type == REDIS_REPLY_ERROR &&
        std::string_view((*reply)->str, (*reply)->len).starts_with("NOSCRIPT")) {
      // Redis lost its script cache (a restart, SCRIPT FLUSH): send the script itself, which
      // also caches it again.
      args[0] = "EVAL";
      args[1] = kScript;
      reply = command(args);
    }
    if (!reply) {
      return failed(reply.error(), now);
    }
    const redisReply& answer = **reply;
    const bool admitted = answer.type == REDIS_REPLY_ARRAY && answer.elements == 1 &&
                          answer.element[0]->type == REDIS_REPLY_INTEGER &&
                          answer.element[0]->integer == 1;
    const bool refused =
        answer.type == REDIS_REPLY_ARRAY && answer.elements == 3 &&
        answer.element[0]->type == REDIS_REPLY_INTEGER && answer.element[0]->integer == 0 &&
        answer.element[1]->type == REDIS_REPLY_INTEGER &&
        answer.element[2]->type == REDIS_REPLY_INTEGER && answer.element[2]->integer >= 0 &&
        static_cast<std::size_t>(answer.element[2]->integer) < slots.size();
    if (!admitted && !refused) {
      // An error reply (out of memory, a read-only replica, ...) will likely repeat: rest too.
      return failed(unavailable(fmt::format(
                        "{}: unexpected reply to the limits script{}", where_,
                        answer.type == REDIS_REPLY_ERROR
                            ? fmt::format(" ({})", std::string_view(answer.str, answer.len))
                            : std::string())),
                    now);
    }
    return std::move(*reply);
  }

  /// One command on the connection. A reply is returned as is (error replies included); an I/O
  /// error or timeout closes the connection, which is unusable afterwards.
  Result<ReplyPtr> command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    const SigpipeBlock quiet;
    ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
        context_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) {
      Error error = unavailable(fmt::format("{}: {}", where_, context_->errstr));
      context_.reset();
      return error;
    }
    return reply;
  }

  /// Opens the connection, selects the database and loads the script.
  Result<void> connect() {
    std::unique_ptr<redisContext, ContextFree> context(redisConnectWithTimeout(
        address_.host.c_str(), address_.port, toTimeval(options_.connect_timeout)));
    if (!context || context->err != 0) {
      return unavailable(fmt::format("{}: {}", where_,
                                     context ? context->errstr : "cannot allocate a connection"));
    }
    if (redisSetTimeout(context.get(), toTimeval(options_.command_timeout)) != REDIS_OK) {
      return unavailable(fmt::format("{}: cannot set the command timeout", where_));
    }
    context_ = std::move(context);
    if (address_.database != 0) {
      auto selected = command({"SELECT", std::to_string(address_.database)});
      if (!selected) {
        return selected.error();
      }
      if ((*selected)->type == REDIS_REPLY_ERROR) {
        context_.reset();
        return unavailable(
            fmt::format("{}: database {} cannot be selected", where_, address_.database));
      }
    }
    auto loaded = command({"SCRIPT", "LOAD", std::string(kScript)});
    if (!loaded) {
      return loaded.error();
    }
    if ((*loaded)->type != REDIS_REPLY_STRING) {
      context_.reset();
      return unavailable(fmt::format("{}: the limits script cannot be loaded", where_));
    }
    sha_.assign((*loaded)->str, (*loaded)->len);
    return {};
  }

  /// Redis failed: drop the connection and leave Redis alone for `retry_interval`.
  Error failed(Error why, Millis now) {
    context_.reset();
    retry_at_ = now + options_.retry_interval;
    last_failure_ = why.detail;
    return why;
  }

  void tell(const Error& why) const {
    if (options_.on_fallback) {
      options_.on_fallback(why);
    }
  }

  const RedisAddress address_;
  const RedisOptions options_;
  const std::unique_ptr<Limiter> local_;
  const std::string where_; ///< "redis HOST:PORT", for messages.

  std::mutex mutex_; ///< One connection: calls take turns.
  std::unique_ptr<redisContext, ContextFree> context_;
  std::string sha_;
  Millis retry_at_{Millis::min()};
  std::string last_failure_; ///< Why Redis failed last (the reason of calls until a retry).
};

} // namespace

Result<RedisAddress> parseRedisUrl(std::string_view url) {
  const auto bad = [](std::string_view what) {
    return makeError(Errc::BadRequest,
                     fmt::format("limits.store: {} (expected redis://HOST:PORT[/DB])", what));
  };
  // Boost.URL does the RFC 3986 part (hosts, brackets, percent-encoding); what a Redis store
  // url may hold on top of that is checked here.
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return bad("not a valid url");
  }
  const boost::urls::url_view& uri = *parsed;
  if (uri.scheme() != "redis") {
    return bad("not a redis:// url");
  }
  if (uri.has_userinfo()) {
    return bad("a user or password is not supported (cordon keeps no secrets in its config)");
  }
  if (uri.has_query() || uri.has_fragment()) {
    return bad("unexpected text after the host");
  }
  RedisAddress address;
  switch (uri.host_type()) {
  case boost::urls::host_type::name:
  case boost::urls::host_type::ipv4:
    address.host = uri.host();
    break;
  case boost::urls::host_type::ipv6:
    address.host = uri.host_address(); // without the brackets
    break;
  default:
    return bad("no host");
  }
  if (address.host.empty() || !uri.has_authority()) {
    return bad("no host");
  }
  const auto number = [](std::string_view text, unsigned long max) -> std::optional<unsigned long> {
    unsigned long value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end || value > max) {
      return std::nullopt;
    }
    return value;
  };
  if (uri.has_port()) {
    const auto port = number(uri.port(), 65535);
    if (!port || *port == 0) {
      return bad("the port must be 1 to 65535");
    }
    address.port = static_cast<std::uint16_t>(*port);
  }
  const std::string_view path = uri.encoded_path();
  if (path.size() > 1) {
    const auto database = number(path.substr(1), 1U << 20U);
    if (!database) {
      return bad("the database must be a number");
    }
    address.database = static_cast<unsigned>(*database);
  } else if (!path.empty() && path != "/") {
    return bad("unexpected text after the host");
  }
  return address;
}

Result<std::unique_ptr<Limiter>> makeRedisLimiter(std::string_view url, RedisOptions options) {
  auto address = parseRedisUrl(url);
  if (!address) {
    return address.error();
  }
  return std::unique_ptr<Limiter>(
      std::make_unique<RedisLimiter>(std::move(*address), std::move(options)));
}

} // namespace cordon::limits
