#include "base/logging.h"

#include <gtest/gtest.h>

namespace hull::base {
namespace {

using std::chrono::milliseconds;

TEST(LogRateLimit, LetsABurstThroughThenDropsUntilTheIntervalEnds) {
  LogRateLimit limit;
  auto t0 = LogRateLimit::Clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 99;
  for (int i = 0; i < LogRateLimit::kBurst; ++i) {
    ASSERT_TRUE(limit.Allow(t0 + milliseconds(i), &suppressed)) << i;
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limit.Allow(t0 + milliseconds(100 + i), &suppressed));
  EXPECT_FALSE(limit.Allow(t0 + LogRateLimit::kInterval - milliseconds(1), &suppressed));
  // A new window: the first line carries the count of what was dropped.
  ASSERT_TRUE(limit.Allow(t0 + LogRateLimit::kInterval, &suppressed));
  EXPECT_EQ(suppressed, 1001u);
  ASSERT_TRUE(limit.Allow(t0 + LogRateLimit::kInterval + milliseconds(1), &suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogRateLimit, AQuietSiteIsNeverLimited) {
  LogRateLimit limit;
  auto t = LogRateLimit::Clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 0;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(limit.Allow(t, &suppressed)) << i;
    t += LogRateLimit::kInterval;
  }
}

// What a flood through the macro writes to stderr: the burst, then nothing, and the
// line after the interval is not reachable here without waiting — counted instead.
TEST(LogRateLimit, TheMacroWritesAtMostABurstFromOneCallSite) {
  testing::internal::CaptureStderr();
  for (int i = 0; i < 10000; ++i) LOG_WARNING_LIMITED << "guest did thing " << i;
  std::string out = testing::internal::GetCapturedStderr();
  size_t lines = 0;
  for (char c : out) lines += c == '\n';
  EXPECT_EQ(lines, static_cast<size_t>(LogRateLimit::kBurst)) << out;
  EXPECT_NE(out.find("guest did thing 0\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("guest did thing 10\n"), std::string::npos) << out;
}

TEST(LogMessage, SaysHowManyLinesWereSuppressedBeforeIt) {
  testing::internal::CaptureStderr();
  { LogMessage(LogLevel::kError, 7).stream() << "queue broken"; }
  { LogMessage(LogLevel::kError, 1).stream() << "again"; }
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("queue broken (7 similar messages suppressed)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("again (1 similar message suppressed)\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace hull::base
