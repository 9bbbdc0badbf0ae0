// Coarse I/O deadlines for one worker. Per-operation Asio timers re-arm the reactor's timerfd
// whenever the earliest timer changes, which on a busy gateway is a syscall on almost every read
// and write. Here arming a deadline only links it into a list; one timer per worker ticks while
// any deadline is armed and cancels the socket of each that has passed. A deadline therefore
// fires between its time and one tick later, which is what connection timeouts need.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

namespace cordon::http {

class DeadlineWheel;

/// One connection's deadline. Not thread-safe: used on its worker's thread only, like the socket
/// it guards. Unlinks itself on destruction.
class Deadline : public boost::intrusive::list_base_hook<
                     boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
public:
  using Clock = std::chrono::steady_clock;

  Deadline(DeadlineWheel& wheel, boost::asio::ip::tcp::socket& socket)
      : wheel_(&wheel), socket_(&socket) {}
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  /// Cancels the socket's pending operations (they complete with operation_aborted) once
  /// `timeout` has passed, unless disarmed first.
  void arm(std::chrono::milliseconds timeout) { armAt(Clock::now() + timeout); }
  void armAt(Clock::time_point at);

  /// Stops watching; returns true when the deadline had fired (so an aborted operation was a
  /// timeout, not the peer).
  bool disarm() noexcept {
    unlink();
    return fired_;
  }

private:
  friend class DeadlineWheel;
  DeadlineWheel* wheel_;
  boost::asio::ip::tcp::socket* socket_;
  Clock::time_point at_{};
  bool fired_ = false;
};

class DeadlineWheel {
public:
  explicit DeadlineWheel(const boost::asio::any_io_executor& executor,
                         std::chrono::milliseconds tick = std::chrono::milliseconds{25});
  ~DeadlineWheel();
  DeadlineWheel(const DeadlineWheel&) = delete;
  DeadlineWheel& operator=(const DeadlineWheel&) = delete;

private:
  friend class Deadline;
  using List = boost::intrusive::list<Deadline, boost::intrusive::constant_time_size<false>>;

  void watch(Deadline& deadline);
  /// Starts the tick unless it runs; it stops by itself once nothing is armed, so an idle
  /// io_context can return from run().
  void keepTicking();
  void sweep();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds tick_;
  List armed_;
  bool ticking_ = false;
  /// Lets a tick that completes after the wheel is gone see that it is gone.
  std::shared_ptr<DeadlineWheel*> self_;
};

} // namespace cordon::http
