// RateLimiter: Firecracker's rate limiter for one device direction (a drive, a net
// interface's rx or tx) — a bandwidth bucket (bytes) and an ops bucket (requests or
// frames), token_bucket.h, and a one-shot Timer. A device asks Consume(bytes) before it
// takes each request; when either bucket lacks tokens nothing is taken, the timer is
// armed for the moment both will have them, and the device leaves the request on its
// queue and stops taking requests until the timer's fd fires (TimerFired). No request
// is dropped and nothing polls.
//
// Threads: the device's thread (event loop, virtio-blk worker) calls Consume and
// TimerFired; the API thread calls Update and the getters. A mutex serialises them
// (uncontended but for a PATCH). An Update while throttled fires the timer at once, so
// the device re-evaluates under the new limits on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "base/status.h"
#include "devices/rate_limiter/rate_limiter_config.h"
#include "devices/rate_limiter/timer.h"
#include "devices/rate_limiter/token_bucket.h"

namespace hull::devices::rate_limiter {

class RateLimiter {
 public:
  // With a TimerFd.
  static base::Result<std::shared_ptr<RateLimiter>> Create(const RateLimiterConfig& config);
  // No limit, with a TimerFd when one can be made; otherwise (out of fds) without a
  // timer, and then it never throttles even after an Update (it logs instead).
  static std::shared_ptr<RateLimiter> Unlimited();
  RateLimiter(const RateLimiterConfig& config, std::unique_ptr<Timer> timer);

  // true: one op and `bytes` bytes were taken, go ahead. false: throttled — take
  // nothing more until TimerFired(). While throttled it answers false at once.
  bool Consume(uint64_t bytes);
  // The timer's fd polled readable (fakes: the test's clock passed the expiry).
  void TimerFired();
  void Update(const RateLimiterUpdate& update);

  bool throttled() const;
  RateLimiterConfig config() const;
  // -1 for a fake timer. Watch for POLLIN/EPOLLIN.
  int timer_fd() const { return timer_->fd(); }
  // How many times Consume refused (a device stopped taking requests).
  uint64_t throttled_events() const { return throttled_events_.load(std::memory_order_relaxed); }

 private:
  const std::unique_ptr<Timer> timer_;
  mutable std::mutex mu_;
  RateLimiterConfig config_;  // guarded by mu_
  TokenBucket bandwidth_;     // guarded by mu_
  TokenBucket ops_;           // guarded by mu_
  bool throttled_ = false;    // guarded by mu_: the timer is armed
  std::atomic<uint64_t> throttled_events_{0};
};

}  // namespace hull::devices::rate_limiter
