// The audit writer: one thread per gateway that chains records and appends them to the sink in
// batches (group commit). Request threads never touch the sink.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cordon/audit/record.h"
#include "cordon/common/result.h"

namespace cordon::audit {

class Log {
public:
  /// Called on the writer thread once the record's batch is durable, or failed to be.
  using Done = std::function<void(const Result<void>&)>;

  struct Options {
    std::size_t queue_capacity = 8192; ///< Records waiting to be written, at most.
    std::size_t max_batch = 512;       ///< Records per append (one transaction / fsync).
    /// While the sink fails, how often the writer tries again (it keeps what is queued).
    std::chrono::milliseconds retry_interval{500};
    /// Called on the writer thread after each batch is durable, with how long its append took
    /// (for the metrics); may be empty. Must not block or call back into the log.
    std::function<void(std::chrono::nanoseconds, std::size_t records)> on_batch_written;
  };

  struct Stats {
    std::uint64_t written = 0;   ///< Records made durable.
    std::uint64_t failed = 0;    ///< Appends that failed (each retried until it succeeds).
    std::uint64_t waited = 0;    ///< Submits that had to wait for room in the queue.
    std::uint64_t batches = 0;   ///< Appends that succeeded.
    std::size_t queue_depth = 0; ///< Records queued now.
  };

  /// Starts the writer thread. `instance` names this gateway's chain.
  Log(std::unique_ptr<Sink> sink, std::string instance, Options options);
  /// Writes what is queued (for as long as the sink lets it), then stops the thread.
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  /// Queues `record` to be chained and written; `done` (may be empty) is called when it is
  /// durable or its write failed. When the queue is full, waits for room (counted in
  /// Stats::waited) while the sink works; while it fails, a full queue takes nothing more and
  /// submit returns false at once (the caller refuses the request: a worker thread must never
  /// block on an outage).
  bool submit(Record record, Done done);

  /// False when a record submitted now would be refused (queue full, sink failing).
  bool accepting() const noexcept;

  /// False while the last append failed and no later one has succeeded: in `sync` mode the
  /// gateway then refuses new requests (503) and /readyz says not ready.
  bool healthy() const noexcept;

  /// Waits until everything submitted so far has been written, or `timeout` passed; true when
  /// it was all written.
  bool flush(std::chrono::milliseconds timeout);

  Stats stats() const;
  const std::string& instance() const noexcept { return instance_; }

private:
  struct Pending {
    Record record;
    Done done;
  };
  void run();

  std::unique_ptr<Sink> sink_;
  std::string instance_;
  Options options_;
  Chain chain_;

  mutable std::mutex mutex_;
  std::condition_variable has_work_;
  std::condition_variable has_room_;
  std::condition_variable drained_;
  std::deque<Pending> queue_;
  std::size_t in_flight_ = 0; ///< Taken by the writer, not yet durable.
  bool stopping_ = false;
  bool healthy_ = true;
  Stats stats_;
  std::thread writer_;
};

} // namespace cordon::audit
