#include "devices/rate_limiter/rate_limiter.h"

#include <algorithm>

#include "base/logging.h"

namespace hull::devices::rate_limiter {
namespace {

// Shorter waits are rounded up: a device re-checks at most every 50 µs.
constexpr uint64_t kMinWaitNs = 50'000;

// For Unlimited() when no timerfd could be made: it cannot wake anyone, so Consume
// lets every request through.
class NoTimer final : public Timer {
 public:
  uint64_t NowNs() const override { return 0; }
  base::Status Arm(uint64_t) override { return base::Status::Error("the limiter has no timer"); }
  void Acknowledge() override {}
  int fd() const override { return -1; }
};

}  // namespace

std::shared_ptr<RateLimiter> RateLimiter::Unlimited() {
  base::Result<std::shared_ptr<RateLimiter>> made = Create({});
  if (made.ok()) return *made;
  LOG_WARNING << "rate limiter: " << made.status().message() << "; this device cannot be limited";
  return std::make_shared<RateLimiter>(RateLimiterConfig{}, std::make_unique<NoTimer>());
}

base::Result<std::shared_ptr<RateLimiter>> RateLimiter::Create(const RateLimiterConfig& config) {
  ASSIGN_OR_RETURN(std::unique_ptr<TimerFd> timer, TimerFd::Create());
  return std::make_shared<RateLimiter>(config, std::move(timer));
}

RateLimiter::RateLimiter(const RateLimiterConfig& config, std::unique_ptr<Timer> timer)
    : timer_(std::move(timer)), config_(config) {
  const uint64_t now = timer_->NowNs();
  bandwidth_ = TokenBucket(config.bandwidth, now);
  ops_ = TokenBucket(config.ops, now);
}

bool RateLimiter::Consume(uint64_t bytes) {
  std::lock_guard lock(mu_);
  if (throttled_) return false;
  if (!bandwidth_.limited() && !ops_.limited()) return true;
  const uint64_t now = timer_->NowNs();
  const uint64_t wait = std::max(bandwidth_.WaitFor(bytes, now), ops_.WaitFor(1, now));
  if (wait == 0) {
    bandwidth_.Take(bytes);
    ops_.Take(1);
    return true;
  }
  if (base::Status s = timer_->Arm(std::max(wait, kMinWaitNs)); !s.ok()) {
    // Without a timer nothing would wake the device: let the request through.
    LOG_ERROR_LIMITED << "rate limiter: " << s.message() << "; not throttling";
    return true;
  }
  throttled_ = true;
  throttled_events_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void RateLimiter::TimerFired() {
  timer_->Acknowledge();
  std::lock_guard lock(mu_);
  throttled_ = false;
}

void RateLimiter::Update(const RateLimiterUpdate& update) {
  std::lock_guard lock(mu_);
  const uint64_t now = timer_->NowNs();
  if (update.bandwidth) bandwidth_ = TokenBucket(*update.bandwidth, now);
  if (update.ops) ops_ = TokenBucket(*update.ops, now);
  update.ApplyTo(&config_);
  if (throttled_) {
    if (base::Status s = timer_->Arm(1); !s.ok()) {
      LOG_ERROR_LIMITED << "rate limiter: " << s.message();
    }
  }
}

bool RateLimiter::throttled() const {
  std::lock_guard lock(mu_);
  return throttled_;
}

RateLimiterConfig RateLimiter::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

}  // namespace hull::devices::rate_limiter
