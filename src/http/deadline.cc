#include "http/deadline.h"

#include <boost/system/error_code.hpp>

namespace cordon::http {

void Deadline::armAt(Clock::time_point at) {
  at_ = at;
  fired_ = false;
  if (!is_linked()) {
    wheel_->watch(*this);
  }
}

DeadlineWheel::DeadlineWheel(const boost::asio::any_io_executor& executor,
                             std::chrono::milliseconds tick)
    : timer_(executor), tick_(tick), self_(std::make_shared<DeadlineWheel*>(this)) {}

DeadlineWheel::~DeadlineWheel() {
  *self_ = nullptr;
  armed_.clear();
}

void DeadlineWheel::watch(Deadline& deadline) {
  armed_.push_back(deadline);
  keepTicking();
}

void DeadlineWheel::keepTicking() {
  if (ticking_) {
    return;
  }
  ticking_ = true;
  timer_.expires_after(tick_);
  timer_.async_wait([self = self_](const boost::system::error_code& ec) {
    DeadlineWheel* wheel = *self;
    if (wheel == nullptr) {
      return;
    }
    wheel->ticking_ = false;
    if (!ec) {
      wheel->sweep();
    }
  });
}

void DeadlineWheel::sweep() {
  const auto now = Deadline::Clock::now();
  for (auto it = armed_.begin(); it != armed_.end();) {
    Deadline& deadline = *it;
    if (deadline.at_ <= now) {
      it = armed_.erase(it);
      deadline.fired_ = true;
      boost::system::error_code ignored;
      deadline.socket_->cancel(ignored);
    } else {
      ++it;
    }
  }
  if (!armed_.empty()) {
    keepTicking();
  }
}

} // namespace cordon::http
