// FakeTimer: a Timer on a clock the test moves (device tests and the rate limiter's
// own). Advance() moves time; fired() says whether an armed expiry has passed, and the
// test then calls the owner's timer callback, as an event loop would.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "devices/rate_limiter/rate_limiter.h"

namespace hull::devices::rate_limiter {

struct FakeClock {
  uint64_t now_ns = 1'000'000'000;
  std::optional<uint64_t> deadline_ns;  // armed expiry
  int arms = 0;

  void Advance(uint64_t ns) { now_ns += ns; }
  void AdvanceMs(uint64_t ms) { Advance(ms * 1'000'000); }
  bool fired() const { return deadline_ns && now_ns >= *deadline_ns; }
};

class FakeTimer final : public Timer {
 public:
  explicit FakeTimer(FakeClock* clock) : clock_(clock) {}
  uint64_t NowNs() const override { return clock_->now_ns; }
  base::Status Arm(uint64_t delay_ns) override {
    clock_->deadline_ns = clock_->now_ns + delay_ns;
    ++clock_->arms;
    return base::Status::Ok();
  }
  void Acknowledge() override { clock_->deadline_ns.reset(); }
  int fd() const override { return -1; }

 private:
  FakeClock* clock_;
};

inline std::shared_ptr<RateLimiter> FakeRateLimiter(const RateLimiterConfig& config,
                                                    FakeClock* clock) {
  return std::make_shared<RateLimiter>(config, std::make_unique<FakeTimer>(clock));
}

}  // namespace hull::devices::rate_limiter
