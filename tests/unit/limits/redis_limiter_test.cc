// The Redis store against a real server: tests/support/redis_server.sh starts one private server
// per test binary; every test gets its own key prefix so that tests see only their counters.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include "unit/limits/behaviour.h"

namespace cordon::limits {
namespace {

using testing::rates;

// Runs `command`, returns its stdout without the trailing newline; "" when it failed.
std::string run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return "";
  }
  std::string out;
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    out += buffer.data();
  }
  if (pclose(pipe) != 0) {
    return "";
  }
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

struct ContextFree {
  void operator()(redisContext* context) const noexcept { redisFree(context); }
};
struct ReplyFree {
  void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};

/// A direct connection, to look at what the limiter stored.
class Inspector {
public:
  Inspector(int port, unsigned database) : context_(redisConnect("127.0.0.1", port)) {
    EXPECT_TRUE(context_ && context_->err == 0);
    if (database != 0) {
      (void)command({"SELECT", std::to_string(database)});
    }
  }

  std::unique_ptr<redisReply, ReplyFree> command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
      argv.push_back(arg.c_str());
      lengths.push_back(arg.size());
    }
    return std::unique_ptr<redisReply, ReplyFree>(static_cast<redisReply*>(redisCommandArgv(
        context_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
  }

  std::vector<std::string> keys(const std::string& pattern) {
    std::vector<std::string> out;
    const auto reply = command({"KEYS", pattern});
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
      for (std::size_t i = 0; i < reply->elements; ++i) {
        out.emplace_back(reply->element[i]->str, reply->element[i]->len);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  long long integer(const std::vector<std::string>& args) {
    const auto reply = command(args);
    return reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -999;
  }

private:
  std::unique_ptr<redisContext, ContextFree> context_;
};

class RedisLimiterTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string pattern = "/tmp/cordon-redis-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return;
    }
    dir() = pattern;
    // Our pid: the script stops the server should this process die without TearDownTestSuite.
    const std::string port =
        run(fmt::format("{} start {} {}", CORDON_REDIS_SERVER_SCRIPT, dir(), getpid()));
    serverPort() = port.empty() ? 0 : std::atoi(port.c_str());
  }

  static void TearDownTestSuite() {
    if (!dir().empty()) {
      run(fmt::format("{} stop {}", CORDON_REDIS_SERVER_SCRIPT, dir()));
      rmdir(dir().c_str());
    }
  }

  void SetUp() override {
    ASSERT_NE(port(), 0) << "tests/support/redis_server.sh did not start a server";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = fmt::format("t:{}:{}:", info->test_suite_name(), info->name());
  }

  static std::string& dir() {
    static std::string value;
    return value;
  }
  static int& serverPort() {
    static int value = 0;
    return value;
  }
  static int port() { return serverPort(); }

  std::string url(unsigned database = 0) const {
    return database == 0 ? fmt::format("redis://127.0.0.1:{}", port())
                         : fmt::format("redis://127.0.0.1:{}/{}", port(), database);
  }

  /// A limiter on the test's fake clock; fallbacks are collected in `fallbacks`.
  std::unique_ptr<Limiter> open(const std::string& spec, bool server_clock = false) {
    RedisOptions options;
    options.server_clock = server_clock;
    options.key_prefix = prefix_;
    options.on_fallback = [this](const Error& why) {
      const std::lock_guard lock(mutex_);
      fallbacks.push_back(why.detail);
    };
    auto limiter = makeRedisLimiter(spec, std::move(options));
    EXPECT_TRUE(limiter.has_value()) << limiter.error().detail;
    return limiter ? std::move(*limiter) : nullptr;
  }

  std::size_t fallbackCount() {
    const std::lock_guard lock(mutex_);
    return fallbacks.size();
  }

  std::string prefix_;
  std::mutex mutex_;
  std::vector<std::string> fallbacks;
};

class RedisBehaviour : public RedisLimiterTest,
                       public ::testing::WithParamInterface<testing::Scenario> {};

TEST_P(RedisBehaviour, PlaysLikeTheLocalStore) {
  const auto limiter = open(url());
  ASSERT_NE(limiter, nullptr);
  testing::play(*limiter, GetParam());
  EXPECT_EQ(fallbackCount(), 0U) << fallbacks.front();
}

INSTANTIATE_TEST_SUITE_P(Scenarios, RedisBehaviour, ::testing::ValuesIn(testing::scenarios()),
                         [](const auto& info) { return info.param.name; });

TEST_F(RedisLimiterTest, TwoLimitersShareOneBudget) {
  const auto first = open(url());
  const auto second = open(url());
  const Limits limits{rates(4), rates(10, 1000)};
  EXPECT_FALSE(first->acquire({"acme", "bot"}, limits, 100, Millis{0}));
  EXPECT_FALSE(second->acquire({"acme", "bot"}, limits, 100, Millis{0}));
  EXPECT_FALSE(first->acquire({"acme", "other"}, limits, 100, Millis{0}));
  EXPECT_FALSE(second->acquire({"acme", "bot"}, limits, 100, Millis{0}));
  // The tenant used its 4 on two replicas.
  const auto refused = first->acquire({"acme", "other"}, limits, 100, Millis{0});
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->limit, "tenant acme: 4 requests per minute");
  EXPECT_EQ(refused->retry_after.count(), 15);
  // A settle on one replica is seen by the other: "bot" spent 900 more tokens than estimated.
  second->settle({"acme", "bot"}, limits, 100, 1000, Millis{15'000});
  const auto tokens = first->acquire({"acme", "bot"}, limits, 100, Millis{15'000});
  ASSERT_TRUE(tokens.has_value());
  EXPECT_EQ(tokens->limit, "key acme/bot: 1000 tokens per minute");
  EXPECT_EQ(fallbackCount(), 0U);
}

TEST_F(RedisLimiterTest, KeysHoldNamesOnlyAndExpire) {
  const auto limiter = open(url(3));
  const Limits limits{rates(10, 1000), rates(2, 100)};
  EXPECT_FALSE(limiter->acquire({"acme", "support-bot"}, limits, 50, Millis{0}));
  Inspector redis(port(), 3);
  EXPECT_EQ(redis.keys(prefix_ + "*"),
            (std::vector<std::string>{prefix_ + "{acme}:key:support-bot:requests",
                                      prefix_ + "{acme}:key:support-bot:tokens",
                                      prefix_ + "{acme}:tenant:requests",
                                      prefix_ + "{acme}:tenant:tokens"}));
  // Database 3 was selected: database 0 has none of them.
  Inspector zero(port(), 0);
  EXPECT_TRUE(zero.keys(prefix_ + "*").empty());
  // Each bucket lives until it would be full again, plus a minute: requests of the key 30 s
  // (1 of 2 per minute taken), tokens of the tenant 3 s (50 of 1000).
  const long long key_ttl = redis.integer({"PTTL", prefix_ + "{acme}:key:support-bot:requests"});
  EXPECT_GT(key_ttl, 60'000 + 29'000);
  EXPECT_LE(key_ttl, 60'000 + 30'001);
  const long long tenant_ttl = redis.integer({"PTTL", prefix_ + "{acme}:tenant:tokens"});
  EXPECT_GT(tenant_ttl, 60'000 + 2'000);
  EXPECT_LE(tenant_ttl, 60'000 + 3'001);
}

TEST_F(RedisLimiterTest, ALostScriptIsSentAgain) {
  const auto limiter = open(url());
  const Limits limits = testing::tenantOnly(rates(2));
  EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{0}));
  Inspector redis(port(), 0);
  ASSERT_TRUE(redis.command({"SCRIPT", "FLUSH"}));
  EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{0}));
  EXPECT_TRUE(limiter->acquire({"acme", ""}, limits, 0, Millis{0}));
  EXPECT_EQ(fallbackCount(), 0U);
}

TEST_F(RedisLimiterTest, RedisKeepsTheTimeByDefault) {
  const auto limiter = open(url(), /*server_clock=*/true);
  const Limits limits = testing::tenantOnly(rates(2));
  // The caller's clock is ignored: these calls claim to be minutes apart.
  EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{0}));
  EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{600'000}));
  const auto refused = limiter->acquire({"acme", ""}, limits, 0, Millis{1'200'000});
  ASSERT_TRUE(refused.has_value());
  EXPECT_GE(refused->retry_after.count(), 29);
  EXPECT_LE(refused->retry_after.count(), 30);
}

TEST_F(RedisLimiterTest, WithoutRedisTheLocalCountersStillLimit) {
  // Nothing listens there: every call is served locally, and the next attempt waits a second.
  const auto limiter = open("redis://127.0.0.1:1");
  const Limits limits = testing::tenantOnly(rates(2));
  EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{0}));
  EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{10}));
  const auto refused = limiter->acquire({"acme", ""}, limits, 0, Millis{20});
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->limit, "tenant acme: 2 requests per minute");
  ASSERT_EQ(fallbackCount(), 3U);
  EXPECT_NE(fallbacks[0].find("redis 127.0.0.1:1: "), std::string::npos) << fallbacks[0];
  EXPECT_EQ(fallbacks[1], fallbacks[0]); // not retried within the interval
}

TEST_F(RedisLimiterTest, AnOutageFallsBackAndRecovers) {
  const auto limiter = open(url());
  const Limits limits = testing::tenantOnly(rates(3));
  EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{0}));
  ASSERT_EQ(run(fmt::format("{} halt {}", CORDON_REDIS_SERVER_SCRIPT, dir())), "");
  // Down: the local counters (fresh, full) take over, and still refuse the 4th.
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{100}));
  }
  EXPECT_TRUE(limiter->acquire({"acme", ""}, limits, 0, Millis{100}));
  EXPECT_EQ(fallbackCount(), 4U);
  ASSERT_NE(run(fmt::format("{} start {} {}", CORDON_REDIS_SERVER_SCRIPT, dir(), getpid())), "");
  // Within the retry interval Redis is left alone; after it, it is used again (empty: halting
  // dropped its data, there is no persistence).
  EXPECT_TRUE(limiter->acquire({"acme", ""}, limits, 0, Millis{500}));
  EXPECT_EQ(fallbackCount(), 5U);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter->acquire({"acme", ""}, limits, 0, Millis{2'000}));
  }
  EXPECT_TRUE(limiter->acquire({"acme", ""}, limits, 0, Millis{2'000}));
  EXPECT_EQ(fallbackCount(), 5U);
}

} // namespace
} // namespace cordon::limits
