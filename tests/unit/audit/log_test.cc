// The audit writer: records are chained in submit order and written in batches; a stopped
// writer seals its chain, so records cut from the end are seen; a failing sink is reported
// to waiting callers at once and the records are written when it recovers.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/audit/log.h"
#include "unit/audit/support.h"

namespace cordon::audit {
namespace {

using testing::answered;
using testing::MemorySink;

/// A MemorySink shared with the test (the Log owns its sink) that can be made to fail.
class SwitchableSink final : public Sink {
public:
  explicit SwitchableSink(std::shared_ptr<MemorySink> store) : store_(std::move(store)) {}
  Result<void> append(std::span<const Record> batch) override {
    if (failing) {
      return makeError(Errc::Unavailable, "test sink down");
    }
    return store_->append(batch);
  }
  Result<void> each(const std::function<void(std::string_view)>& visit) override {
    return store_->each(visit);
  }
  bool healthy() override { return !failing; }
  std::atomic<bool> failing{false};

private:
  std::shared_ptr<MemorySink> store_;
};

TEST(AuditLog, ChainsInOrderAndSealsOnStop) {
  auto store = std::make_shared<MemorySink>();
  {
    Log log(std::make_unique<SwitchableSink>(store), "gw-test", Log::Options{});
    for (int i = 0; i < 20; ++i) {
      log.submit(answered("acme", i), nullptr);
    }
    ASSERT_TRUE(log.flush(std::chrono::seconds{5}));
    EXPECT_EQ(log.stats().written, 20U);
  }
  ASSERT_EQ(store->texts.size(), 21U); // 20 records and the seal
  auto last = parseStored(store->texts.back());
  ASSERT_TRUE(last);
  EXPECT_EQ(last->outcome, kSealOutcome);
  EXPECT_EQ(last->sequence, 20U);

  auto report = verify(*store);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->intact()) << report->problem;
  EXPECT_TRUE(report->open_chains.empty());

  // Cut from the end: the chain still links, but it has lost its seal.
  store->texts.resize(18);
  report = verify(*store);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->intact()) << report->problem;
  ASSERT_EQ(report->open_chains.size(), 1U);
  EXPECT_EQ(report->open_chains[0], "gw-test (last record 17)");
}

TEST(AuditLog, ARecordAfterTheSealIsFound) {
  auto store = std::make_shared<MemorySink>();
  Chain chain("gw-x");
  std::vector<Record> records{answered("acme", 1), Record{}, answered("acme", 2)};
  records[1].outcome = std::string(kSealOutcome);
  for (Record& record : records) {
    chain.link(record);
  }
  ASSERT_TRUE(store->append(records));
  auto report = verify(*store);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->problem, "instance gw-x record 2: stored after the chain's seal");
}

TEST(AuditLog, AFailingSinkTellsWaitersAndKeepsTheRecords) {
  auto store = std::make_shared<MemorySink>();
  auto owned = std::make_unique<SwitchableSink>(store);
  SwitchableSink* sink = owned.get();
  sink->failing = true;
  Log::Options options;
  options.retry_interval = std::chrono::milliseconds{20};
  Log log(std::move(owned), "gw-fail", options);

  std::mutex mutex;
  std::vector<bool> results;
  const auto remember = [&](const Result<void>& result) {
    const std::lock_guard lock(mutex);
    results.push_back(result.has_value());
  };
  log.submit(answered("acme", 1), remember);
  for (int i = 0; i < 200 && log.healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  EXPECT_FALSE(log.healthy());
  log.submit(answered("acme", 2), remember); // told at once: the sink is failing
  const auto told = [&] {
    const std::lock_guard lock(mutex);
    return results.size();
  };
  for (int i = 0; i < 200 && told() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  {
    const std::lock_guard lock(mutex);
    EXPECT_EQ(results, (std::vector<bool>{false, false}));
  }
  sink->failing = false;
  ASSERT_TRUE(log.flush(std::chrono::seconds{5}));
  EXPECT_TRUE(log.healthy());
  EXPECT_EQ(store->texts.size(), 2U);
  auto report = verify(*store);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->intact()) << report->problem;
}

} // namespace
} // namespace cordon::audit
