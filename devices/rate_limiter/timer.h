// Timer: the clock and the one-shot wake-up a RateLimiter needs. TimerFd is the real
// one — CLOCK_MONOTONIC and a timerfd(2) that the device's event loop (or a
// virtio-blk worker's poll) watches; tests substitute a fake clock
// (rate_limiter_unittest.cc, FakeTimer).
//
// Threads: TimerFd is created on the thread that builds the device (it opens an fd);
// Arm and Acknowledge may then run on any thread (timerfd_settime and read only).
#pragma once

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::devices::rate_limiter {

class Timer {
 public:
  virtual ~Timer() = default;
  // Monotonic nanoseconds.
  virtual uint64_t NowNs() const = 0;
  // Fires once, `delay_ns` (> 0) from now; replaces a pending expiry.
  [[nodiscard]] virtual base::Status Arm(uint64_t delay_ns) = 0;
  // After it fired: clears the readiness of fd().
  virtual void Acknowledge() = 0;
  // Polls readable once it fired; -1 for timers without an fd (fakes).
  virtual int fd() const = 0;
};

class TimerFd final : public Timer {
 public:
  static base::Result<std::unique_ptr<TimerFd>> Create();

  uint64_t NowNs() const override;
  base::Status Arm(uint64_t delay_ns) override;
  void Acknowledge() override;
  int fd() const override { return fd_.get(); }

 private:
  explicit TimerFd(base::UniqueFd fd) : fd_(std::move(fd)) {}
  base::UniqueFd fd_;
};

}  // namespace hull::devices::rate_limiter
