// TokenBucket: one bucket of a rate limiter (rate_limiter.h) — `size` tokens when full,
// refilled continuously at size per refill_time, plus a one-time burst that is spent
// first and never refills. Pure arithmetic on a caller-supplied clock (nanoseconds), so
// tests are deterministic.
//
// A request for more tokens than the bucket can ever hold is let through once the
// bucket is full and leaves it in debt (a negative budget) that later refills pay off:
// unlike Firecracker, which forgives the part above `size`, the long-run rate never
// exceeds size/refill_time however large the requests are.
//
// Not thread-safe: RateLimiter serialises access.
#pragma once

#include <cstdint>

#include "devices/rate_limiter/rate_limiter_config.h"

namespace hull::devices::rate_limiter {

class TokenBucket {
 public:
  TokenBucket() = default;  // no limit
  TokenBucket(const TokenBucketConfig& config, uint64_t now_ns);

  bool limited() const { return size_ != 0; }
  // 0 when `tokens` can be taken at `now_ns`; otherwise the nanoseconds until they can.
  uint64_t WaitFor(uint64_t tokens, uint64_t now_ns);
  // Takes `tokens` (after WaitFor said 0): the one-time burst first, then the budget.
  void Take(uint64_t tokens);

  int64_t budget() const { return budget_; }
  uint64_t one_time_burst() const { return one_time_burst_; }

 private:
  void Refill(uint64_t now_ns);

  uint64_t size_ = 0;
  uint64_t refill_ns_ = 0;
  uint64_t one_time_burst_ = 0;
  int64_t budget_ = 0;      // may go below 0 after an oversized request
  uint64_t last_ns_ = 0;    // the budget is exact as of this time
};

}  // namespace hull::devices::rate_limiter
