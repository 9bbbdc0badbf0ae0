// The local store on a fake clock (behaviour.h's tables), under concurrency, and the parsing of
// `limits.store` urls.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "unit/limits/behaviour.h"

namespace cordon::limits {
namespace {

using testing::rates;

class LocalBehaviour : public ::testing::TestWithParam<testing::Scenario> {};

TEST_P(LocalBehaviour, Plays) {
  const auto limiter = makeLocalLimiter();
  testing::play(*limiter, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Scenarios, LocalBehaviour, ::testing::ValuesIn(testing::scenarios()),
                         [](const auto& info) { return info.param.name; });

TEST(LocalLimiter, TenantsAndKeysAreCountedApart) {
  const auto limiter = makeLocalLimiter();
  const Limits limits{rates(1), rates(1)};
  EXPECT_FALSE(limiter->acquire({"acme", "a"}, limits, 0, Millis{0}));
  EXPECT_TRUE(limiter->acquire({"acme", "b"}, limits, 0, Millis{0})); // the tenant's is used up
  EXPECT_FALSE(limiter->acquire({"globex", "a"}, limits, 0, Millis{0}));
  // The same key name under another tenant is another key.
  EXPECT_FALSE(limiter->acquire({"initech", "a"}, Limits{{}, rates(1)}, 0, Millis{0}));
  EXPECT_TRUE(limiter->acquire({"initech", "a"}, Limits{{}, rates(1)}, 0, Millis{0}));
}

TEST(LocalLimiter, ConcurrentCallersNeverTakeMoreThanTheBudget) {
  const auto limiter = makeLocalLimiter();
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 2'000;
  constexpr std::uint64_t kTenantRpm = 1'000;
  constexpr std::uint64_t kKeyRpm = 200;
  std::atomic<int> admitted{0};
  std::vector<std::atomic<int>> per_key(kThreads);
  std::atomic<int> foreign{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads + 1);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "key-" + std::to_string(t);
      const Limits limits{rates(kTenantRpm), rates(kKeyRpm, 5'000)};
      for (int i = 0; i < kCallsPerThread; ++i) {
        if (!limiter->acquire({"acme", key}, limits, 10, Millis{0})) {
          admitted.fetch_add(1);
          per_key[static_cast<std::size_t>(t)].fetch_add(1);
          limiter->settle({"acme", key}, limits, 10, 30, Millis{0});
        }
      }
    });
  }
  // Another tenant at the same time is not held back by acme.
  threads.emplace_back([&] {
    for (int i = 0; i < kCallsPerThread; ++i) {
      if (!limiter->acquire({"globex", ""}, Limits{rates(kCallsPerThread), {}}, 0, Millis{0})) {
        foreign.fetch_add(1);
      }
    }
  });
  for (auto& thread : threads) {
    thread.join();
  }
  // 8 keys × 200 would be 1600: the tenant's 1000 binds, and the clock stands still.
  EXPECT_EQ(admitted.load(), static_cast<int>(kTenantRpm));
  for (const auto& count : per_key) {
    EXPECT_LE(count.load(), static_cast<int>(kKeyRpm));
    // Each request used 30 tokens for an estimate of 10: of a key's 5000 tokens, 166 such
    // requests leave 20, enough for the estimate of one more, and then the key is in debt.
    EXPECT_LE(count.load(), 5'000 / 30 + 1);
  }
  EXPECT_EQ(foreign.load(), kCallsPerThread);
}

struct UrlCase {
  std::string url;
  std::string host; ///< "" = an error is expected
  std::uint16_t port = 6379;
  unsigned database = 0;
};

class RedisUrl : public ::testing::TestWithParam<UrlCase> {};

TEST_P(RedisUrl, Parses) {
  const UrlCase& c = GetParam();
  const auto parsed = parseRedisUrl(c.url);
  if (c.host.empty()) {
    ASSERT_FALSE(parsed.has_value()) << c.url;
    EXPECT_EQ(parsed.error().code, Errc::BadRequest);
    EXPECT_TRUE(parsed.error().detail.starts_with("limits.store: ")) << parsed.error().detail;
    return;
  }
  ASSERT_TRUE(parsed.has_value()) << c.url << ": " << parsed.error().detail;
  EXPECT_EQ(parsed->host, c.host);
  EXPECT_EQ(parsed->port, c.port);
  EXPECT_EQ(parsed->database, c.database);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RedisUrl,
    ::testing::Values(UrlCase{"redis://127.0.0.1:6380", "127.0.0.1", 6380, 0},
                      UrlCase{"redis://cache.internal:7000/3", "cache.internal", 7000, 3},
                      UrlCase{"redis://localhost", "localhost", 6379, 0},
                      UrlCase{"redis://localhost/", "localhost", 6379, 0},
                      UrlCase{"redis://localhost/2", "localhost", 6379, 2},
                      UrlCase{"redis://[::1]:6390/1", "::1", 6390, 1}, UrlCase{"local", ""},
                      UrlCase{"rediss://host:1", ""}, UrlCase{"redis://", ""},
                      UrlCase{"redis://:6379", ""}, UrlCase{"redis://host:0", ""},
                      UrlCase{"redis://host:65536", ""}, UrlCase{"redis://host:port", ""},
                      UrlCase{"redis://host:1/db", ""}, UrlCase{"redis://host:1/1/2", ""},
                      UrlCase{"redis://host:1?x=1", ""}, UrlCase{"redis://[::1", ""},
                      UrlCase{"redis://user:secret@host:1", ""}),
    [](const auto& info) { return "Case" + std::to_string(info.index); });

TEST(RedisUrl, APasswordIsNeverRepeated) {
  const auto parsed = parseRedisUrl("redis://:hunter2@host:1");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().detail.find("hunter2"), std::string::npos);
}

} // namespace
} // namespace cordon::limits
