#include "devices/rate_limiter/timer.h"

#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <memory>

namespace hull::devices::rate_limiter {

base::Result<std::unique_ptr<TimerFd>> TimerFd::Create() {
  base::UniqueFd fd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (fd.get() < 0) return base::Status::Errno("timerfd_create");
  return std::unique_ptr<TimerFd>(new TimerFd(std::move(fd)));
}

uint64_t TimerFd::NowNs() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

base::Status TimerFd::Arm(uint64_t delay_ns) {
  if (delay_ns == 0) delay_ns = 1;  // an all-zero it_value would disarm it
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(delay_ns / 1000000000u);
  spec.it_value.tv_nsec = static_cast<long>(delay_ns % 1000000000u);
  if (timerfd_settime(fd_.get(), 0, &spec, nullptr) != 0) {
    return base::Status::Errno("timerfd_settime");
  }
  return base::Status::Ok();
}

void TimerFd::Acknowledge() {
  uint64_t expirations = 0;
  // Non-blocking: EAGAIN when it did not fire (a spurious wake-up) is fine.
  (void)!read(fd_.get(), &expirations, sizeof(expirations));
}

}  // namespace hull::devices::rate_limiter
