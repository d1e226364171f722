#include "devices/rate_limiter/token_bucket.h"

#include <algorithm>

namespace hull::devices::rate_limiter {
namespace {

using u128 = unsigned __int128;

uint64_t DivCeil(u128 a, u128 b) { return static_cast<uint64_t>((a + b - 1) / b); }

}  // namespace

TokenBucket::TokenBucket(const TokenBucketConfig& config, uint64_t now_ns) {
  if (!config.limited()) return;
  size_ = std::min<uint64_t>(config.size, INT64_MAX / 2);
  refill_ns_ = std::min<uint64_t>(config.refill_time_ms, UINT64_MAX / 1000000) * 1000000;
  one_time_burst_ = config.one_time_burst;
  budget_ = static_cast<int64_t>(size_);
  last_ns_ = now_ns;
}

void TokenBucket::Refill(uint64_t now_ns) {
  if (now_ns <= last_ns_) return;
  const int64_t size = static_cast<int64_t>(size_);
  if (budget_ >= size) {
    last_ns_ = now_ns;  // a full bucket does not store the idle time
    return;
  }
  const uint64_t elapsed = now_ns - last_ns_;
  const u128 earned = u128{elapsed} * size_ / refill_ns_;
  if (earned == 0) return;  // the fraction carries over: last_ns_ stays
  if (earned >= static_cast<u128>(size - budget_)) {
    budget_ = size;
    last_ns_ = now_ns;
    return;
  }
  budget_ += static_cast<int64_t>(earned);
  // Only the time those whole tokens took is spent; the rest counts toward the next.
  last_ns_ += DivCeil(earned * refill_ns_, size_);
}

uint64_t TokenBucket::WaitFor(uint64_t tokens, uint64_t now_ns) {
  if (!limited() || tokens <= one_time_burst_) return 0;
  Refill(now_ns);
  // An oversized request waits for a full bucket, then goes into debt.
  const int64_t want = static_cast<int64_t>(std::min(tokens - one_time_burst_, size_));
  if (budget_ >= want) return 0;
  const uint64_t deficit = static_cast<uint64_t>(want - budget_);
  const uint64_t ready = last_ns_ + DivCeil(u128{deficit} * refill_ns_, size_);
  return ready > now_ns ? ready - now_ns : 1;
}

void TokenBucket::Take(uint64_t tokens) {
  if (!limited()) return;
  const uint64_t from_burst = std::min(tokens, one_time_burst_);
  one_time_burst_ -= from_burst;
  tokens -= from_burst;
  budget_ -= static_cast<int64_t>(std::min<uint64_t>(tokens, INT64_MAX / 2));
}

}  // namespace hull::devices::rate_limiter
