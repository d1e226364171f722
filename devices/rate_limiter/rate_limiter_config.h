// The settings of a rate limiter, in Firecracker's shape (its RateLimiterConfig and
// TokenBucketConfig): two token buckets, one counting bytes ("bandwidth") and one
// counting requests ("ops"). Plain data shared by the config file, the flags, the
// per-VM API (vmm/config, vmm/api) and the devices (rate_limiter.h); validated by the
// parsers in vmm/config. A bucket whose size is 0 is no limit at all.
#pragma once

#include <cstdint>
#include <optional>

namespace hull::devices::rate_limiter {

struct TokenBucketConfig {
  // Tokens the bucket holds when full: the largest burst after an idle period.
  uint64_t size = 0;
  // Extra tokens available once, from the start, that never refill.
  uint64_t one_time_burst = 0;
  // Milliseconds for an empty bucket to refill to `size`: the rate is size/refill_time.
  uint64_t refill_time_ms = 0;

  bool limited() const { return size != 0 && refill_time_ms != 0; }
  bool operator==(const TokenBucketConfig&) const = default;
};

struct RateLimiterConfig {
  TokenBucketConfig bandwidth;  // bytes
  TokenBucketConfig ops;        // requests (blk) or frames (net)

  bool limited() const { return bandwidth.limited() || ops.limited(); }
  bool operator==(const RateLimiterConfig&) const = default;
};

// A change at run time (PATCH): each bucket given is replaced by a new, full bucket
// (size 0: no limit any more); a bucket left out keeps its state. Firecracker's
// BucketUpdate.
struct RateLimiterUpdate {
  std::optional<TokenBucketConfig> bandwidth;
  std::optional<TokenBucketConfig> ops;

  void ApplyTo(RateLimiterConfig* config) const {
    if (bandwidth) config->bandwidth = *bandwidth;
    if (ops) config->ops = *ops;
  }
};

}  // namespace hull::devices::rate_limiter
