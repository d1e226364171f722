// The token buckets and the rate limiter on a fake clock: tokens and refill, the
// one-time burst, oversized requests paid back as debt, throttled-then-resumed through
// the timer, updates at run time, zero meaning no limit, and the real timerfd firing.
#include "devices/rate_limiter/rate_limiter.h"

#include <poll.h>

#include <gtest/gtest.h>

#include "devices/rate_limiter/fake_timer.h"
#include "devices/rate_limiter/token_bucket.h"

namespace hull::devices::rate_limiter {
namespace {

constexpr uint64_t kMs = 1'000'000;

TEST(TokenBucket, StartsFullAndRefillsAtSizePerRefillTime) {
  TokenBucket bucket({.size = 1000, .refill_time_ms = 100}, 0);
  EXPECT_EQ(bucket.WaitFor(1000, 0), 0u);
  bucket.Take(1000);
  EXPECT_EQ(bucket.budget(), 0);
  // 10 tokens per ms: 100 tokens take 10 ms.
  EXPECT_EQ(bucket.WaitFor(100, 0), 10 * kMs);
  EXPECT_EQ(bucket.WaitFor(100, 4 * kMs), 6 * kMs);
  EXPECT_EQ(bucket.WaitFor(100, 10 * kMs), 0u);
  EXPECT_EQ(bucket.budget(), 100);
  // Never more than full, however long it idles.
  EXPECT_EQ(bucket.WaitFor(1, 10'000 * kMs), 0u);
  EXPECT_EQ(bucket.budget(), 1000);
}

TEST(TokenBucket, FractionsOfATokenCarryOver) {
  TokenBucket bucket({.size = 3, .refill_time_ms = 1}, 0);  // one token per 333.3 µs
  bucket.Take(3);
  uint64_t now = 0;
  for (int i = 0; i < 3000; ++i) {
    now += 100'000;  // 0.3 tokens per step
    (void)bucket.WaitFor(3, now);
  }
  // 300 ms refill 900 tokens; the budget is capped at 3 and nothing was lost.
  EXPECT_EQ(bucket.budget(), 3);
  bucket.Take(3);
  now += 1 * kMs;
  EXPECT_EQ(bucket.WaitFor(3, now), 0u);
}

TEST(TokenBucket, OneTimeBurstIsSpentFirstAndNeverRefills) {
  TokenBucket bucket({.size = 100, .one_time_burst = 500, .refill_time_ms = 1000}, 0);
  EXPECT_EQ(bucket.WaitFor(500, 0), 0u);
  bucket.Take(500);
  EXPECT_EQ(bucket.one_time_burst(), 0u);
  EXPECT_EQ(bucket.budget(), 100);
  bucket.Take(100);
  EXPECT_GT(bucket.WaitFor(1, 0), 0u);
  EXPECT_EQ(bucket.WaitFor(100, 2000 * kMs), 0u);
  EXPECT_EQ(bucket.one_time_burst(), 0u);
}

TEST(TokenBucket, OversizedRequestWaitsForAFullBucketThenLeavesDebt) {
  TokenBucket bucket({.size = 100, .refill_time_ms = 100}, 0);  // 1 token per ms
  bucket.Take(50);
  EXPECT_EQ(bucket.WaitFor(300, 0), 50 * kMs);  // until full
  EXPECT_EQ(bucket.WaitFor(300, 50 * kMs), 0u);
  bucket.Take(300);
  EXPECT_EQ(bucket.budget(), -200);
  // The debt is paid before the next token: 201 ms for one token.
  EXPECT_EQ(bucket.WaitFor(1, 50 * kMs), 201 * kMs);
}

TEST(TokenBucket, ZeroSizeOrRefillTimeIsNoLimit) {
  for (TokenBucketConfig config : {TokenBucketConfig{0, 0, 100}, TokenBucketConfig{100, 0, 0},
                                   TokenBucketConfig{}}) {
    TokenBucket bucket(config, 0);
    EXPECT_FALSE(bucket.limited());
    EXPECT_EQ(bucket.WaitFor(UINT64_MAX, 0), 0u);
  }
}

TEST(TokenBucket, HugeValuesDoNotOverflow) {
  TokenBucket bucket({.size = UINT64_MAX, .one_time_burst = 0, .refill_time_ms = UINT64_MAX}, 0);
  EXPECT_EQ(bucket.WaitFor(1ull << 40, 0), 0u);
  bucket.Take(1ull << 40);
  EXPECT_GT(bucket.WaitFor(UINT64_MAX, 1), 0u);
}

class RateLimiterTest : public ::testing::Test {
 protected:
  FakeClock clock_;
};

TEST_F(RateLimiterTest, ThrottlesUntilTheTimerFiresThenResumes) {
  // 1 MB/s, 100 ops/s.
  auto limiter = FakeRateLimiter({.bandwidth = {.size = 100'000, .refill_time_ms = 100},
                                  .ops = {.size = 10, .refill_time_ms = 100}},
                                 &clock_);
  EXPECT_TRUE(limiter->Consume(60'000));
  EXPECT_FALSE(limiter->Consume(60'000));  // 40 000 left
  EXPECT_TRUE(limiter->throttled());
  ASSERT_TRUE(clock_.deadline_ns);
  EXPECT_EQ(*clock_.deadline_ns - clock_.now_ns, 20 * kMs);  // 20 000 bytes at 1 MB/s
  EXPECT_EQ(limiter->throttled_events(), 1u);
  // Throttled: refused at once, the timer not re-armed.
  clock_.AdvanceMs(19);
  EXPECT_FALSE(limiter->Consume(1));
  EXPECT_EQ(clock_.arms, 1);
  clock_.AdvanceMs(1);
  ASSERT_TRUE(clock_.fired());
  limiter->TimerFired();
  EXPECT_FALSE(limiter->throttled());
  EXPECT_TRUE(limiter->Consume(60'000));
  EXPECT_EQ(limiter->throttled_events(), 1u);
}

TEST_F(RateLimiterTest, OpsBucketLimitsRequestsWhateverTheirSize) {
  auto limiter = FakeRateLimiter({.ops = {.size = 2, .refill_time_ms = 1000}}, &clock_);
  EXPECT_TRUE(limiter->Consume(0));
  EXPECT_TRUE(limiter->Consume(1 << 30));
  EXPECT_FALSE(limiter->Consume(0));
  EXPECT_EQ(*clock_.deadline_ns - clock_.now_ns, 500 * kMs);
}

TEST_F(RateLimiterTest, ARefusedRequestTakesNothingFromEitherBucket) {
  auto limiter = FakeRateLimiter({.bandwidth = {.size = 1000, .refill_time_ms = 1000},
                                  .ops = {.size = 1, .refill_time_ms = 1000}},
                                 &clock_);
  EXPECT_TRUE(limiter->Consume(10));
  EXPECT_FALSE(limiter->Consume(10));  // no op left; the bytes must stay
  clock_.AdvanceMs(1000);
  limiter->TimerFired();
  EXPECT_TRUE(limiter->Consume(990));
}

TEST_F(RateLimiterTest, MeasuredRateMatchesTheLimit) {
  // 10 MiB/s in 64 KiB requests, served as fast as the limiter allows for 5 s.
  constexpr uint64_t kRate = 10 << 20;
  auto limiter =
      FakeRateLimiter({.bandwidth = {.size = kRate / 10, .refill_time_ms = 100}}, &clock_);
  const uint64_t start = clock_.now_ns;
  uint64_t bytes = 0;
  while (clock_.now_ns - start < 5000 * kMs) {
    if (limiter->Consume(64 << 10)) {
      bytes += 64 << 10;
      continue;
    }
    clock_.now_ns = *clock_.deadline_ns;
    limiter->TimerFired();
  }
  // The first 100 ms ride on the full bucket; the rest is the refill rate.
  const double expected = kRate * 5.0 + kRate / 10;
  EXPECT_NEAR(bytes / expected, 1.0, 0.02);
}

TEST_F(RateLimiterTest, ThinkTimeAndLateWakeUpsDoNotLowerTheRate) {
  // One 4 KiB request in flight at a time, as the test guest does: 20 ms between a
  // request's end and the next one, and every timer wake-up 10 ms late. Tokens keep
  // accruing meanwhile, so the rate is still the limit (64 000 bytes/s).
  auto limiter = FakeRateLimiter({.bandwidth = {.size = 6400, .refill_time_ms = 100}}, &clock_);
  const uint64_t start = clock_.now_ns;
  uint64_t bytes = 0;
  while (clock_.now_ns - start < 20'000 * kMs) {
    if (limiter->Consume(4096)) {
      bytes += 4096;
      clock_.AdvanceMs(20);
      continue;
    }
    clock_.now_ns = *clock_.deadline_ns + 10 * kMs;
    limiter->TimerFired();
  }
  EXPECT_NEAR(bytes / 20.0 / 64000, 1.0, 0.02);
}

TEST_F(RateLimiterTest, UpdateReplacesOnlyTheBucketsGivenAndWakesAThrottledDevice) {
  auto limiter = FakeRateLimiter({.bandwidth = {.size = 100, .refill_time_ms = 1000},
                                  .ops = {.size = 5, .refill_time_ms = 1000}},
                                 &clock_);
  EXPECT_TRUE(limiter->Consume(100));
  EXPECT_FALSE(limiter->Consume(100));
  const uint64_t long_wait = *clock_.deadline_ns;
  limiter->Update({.bandwidth = TokenBucketConfig{.size = 1000, .refill_time_ms = 10}});
  // The device is woken (now + 1 ns), not left waiting for the old expiry.
  EXPECT_LT(*clock_.deadline_ns, long_wait);
  clock_.Advance(1);
  limiter->TimerFired();
  EXPECT_TRUE(limiter->Consume(1000));
  EXPECT_EQ(limiter->config().bandwidth.size, 1000u);
  EXPECT_EQ(limiter->config().ops.size, 5u);  // kept
  // Size 0: no limit any more.
  limiter->Update({.bandwidth = TokenBucketConfig{}, .ops = TokenBucketConfig{}});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter->Consume(1 << 20));
  EXPECT_FALSE(limiter->config().limited());
}

TEST_F(RateLimiterTest, UnlimitedNeverThrottles) {
  auto limiter = FakeRateLimiter({}, &clock_);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter->Consume(UINT64_MAX));
  EXPECT_EQ(clock_.arms, 0);
}

TEST(RateLimiterTimerFd, FiresAfterTheWaitAndWakesPoll) {
  auto limiter = RateLimiter::Create({.ops = {.size = 1, .refill_time_ms = 20}});
  ASSERT_TRUE(limiter.ok()) << limiter.status().message();
  ASSERT_GE((*limiter)->timer_fd(), 0);
  EXPECT_TRUE((*limiter)->Consume(0));
  EXPECT_FALSE((*limiter)->Consume(0));
  pollfd pfd{(*limiter)->timer_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 0), 0);  // not yet
  ASSERT_EQ(poll(&pfd, 1, 2000), 1);
  (*limiter)->TimerFired();
  EXPECT_EQ(poll(&pfd, 1, 0), 0);  // acknowledged
  EXPECT_TRUE((*limiter)->Consume(0));
}

}  // namespace
}  // namespace hull::devices::rate_limiter
