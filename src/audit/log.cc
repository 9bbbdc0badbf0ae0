#include "cordon/audit/log.h"

#include <chrono>
#include <span>
#include <utility>
#include <vector>

namespace cordon::audit {

Log::Log(std::unique_ptr<Sink> sink, std::string instance, Options options)
    : sink_(std::move(sink)), instance_(std::move(instance)), options_(std::move(options)),
      chain_(instance_) {
  writer_ = std::thread([this] { run(); });
}

Log::~Log() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  has_work_.notify_all();
  writer_.join();
  // Everything written: the chain ends with its seal, so records cut from its end later show.
  // A sink that still fails leaves the chain open (verify says so).
  const std::lock_guard lock(mutex_);
  if (queue_.empty() && healthy_) {
    Record seal;
    seal.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    seal.outcome = std::string(kSealOutcome);
    chain_.link(seal);
    (void)sink_->append(std::span<const Record>(&seal, 1));
  }
}

bool Log::submit(Record record, Done done) {
  std::unique_lock lock(mutex_);
  if (queue_.size() >= options_.queue_capacity) {
    if (!healthy_) {
      return false;
    }
    ++stats_.waited;
    has_room_.wait(lock, [this] { return queue_.size() < options_.queue_capacity || !healthy_; });
    if (queue_.size() >= options_.queue_capacity) {
      return false;
    }
  }
  // While the sink fails nobody is told "durable" until it recovers: a caller waiting for that
  // learns at once that it will not come soon (the record stays queued all the same).
  Done told_now;
  if (healthy_) {
    queue_.push_back(Pending{std::move(record), std::move(done)});
  } else {
    queue_.push_back(Pending{std::move(record), nullptr});
    told_now = std::move(done);
  }
  lock.unlock();
  has_work_.notify_one();
  if (told_now) {
    told_now(makeError(Errc::Unavailable, "the audit sink is failing"));
  }
  return true;
}

bool Log::accepting() const noexcept {
  const std::lock_guard lock(mutex_);
  return healthy_ || queue_.size() < options_.queue_capacity;
}

bool Log::healthy() const noexcept {
  const std::lock_guard lock(mutex_);
  return healthy_;
}

bool Log::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return drained_.wait_for(lock, timeout, [this] { return queue_.empty() && in_flight_ == 0; });
}

Log::Stats Log::stats() const {
  const std::lock_guard lock(mutex_);
  Stats stats = stats_;
  stats.queue_depth = queue_.size() + in_flight_;
  return stats;
}

void Log::run() {
  std::vector<Pending> batch;
  std::vector<Record> records;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      has_work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return; // stopping, and everything was written
      }
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      in_flight_ = batch.size();
    }
    has_room_.notify_all();

    // Chained only here, on the one writer thread: the chain's order is the append order.
    records.clear();
    records.reserve(batch.size());
    Chain attempt = chain_;
    for (Pending& pending : batch) {
      records.push_back(std::move(pending.record));
      attempt.link(records.back());
    }
    auto append_started = std::chrono::steady_clock::now();
    Result<void> written = sink_->append(records);
    while (!written) {
      {
        std::unique_lock lock(mutex_);
        ++stats_.failed;
        healthy_ = false;
      }
      has_room_.notify_all(); // submitters waiting for room give up: the sink is failing
      // The requests waiting on this batch learn now that it failed (sync mode answers 503);
      // the records stay and are written once the sink is back.
      for (Pending& pending : batch) {
        if (pending.done) {
          pending.done(written);
          pending.done = nullptr;
        }
      }
      // So are those queued behind it (queued while it was still healthy).
      std::vector<Done> behind;
      {
        const std::lock_guard lock(mutex_);
        for (Pending& pending : queue_) {
          if (pending.done) {
            behind.push_back(std::move(pending.done));
            pending.done = nullptr;
          }
        }
      }
      for (const Done& done : behind) {
        done(written);
      }
      std::unique_lock lock(mutex_);
      if (has_work_.wait_for(lock, options_.retry_interval, [this] { return stopping_; }) &&
          !sink_->healthy()) {
        return; // stopping and the sink is still down: nothing more can be done
      }
      lock.unlock();
      append_started = std::chrono::steady_clock::now();
      written = sink_->append(records);
    }
    chain_ = attempt;
    if (options_.on_batch_written) {
      options_.on_batch_written(std::chrono::steady_clock::now() - append_started, records.size());
    }
    {
      const std::lock_guard lock(mutex_);
      healthy_ = true;
      stats_.written += records.size();
      ++stats_.batches;
    }
    for (Pending& pending : batch) {
      if (pending.done) {
        pending.done(written);
      }
    }
    batch.clear();
    {
      const std::lock_guard lock(mutex_);
      in_flight_ = 0;
    }
    drained_.notify_all();
  }
}

} // namespace cordon::audit
