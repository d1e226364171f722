#include "bench/stats.h"

#include <gtest/gtest.h>

namespace hull::bench {
namespace {

TEST(BenchStats, EmptyInputHasNoSamples) {
  Summary s = Summarize({});
  EXPECT_EQ(s.n, 0);
  EXPECT_EQ(s.median, 0);
}

TEST(BenchStats, MedianOfOddCountIsTheMiddleSampleWhateverTheOrder) {
  Summary s = Summarize({9, 1, 5});
  EXPECT_EQ(s.n, 3);
  EXPECT_EQ(s.median, 5);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 9);
}

TEST(BenchStats, MedianOfEvenCountIsTheMeanOfTheTwoMiddleSamples) {
  EXPECT_EQ(Summarize({4, 1, 3, 2}).median, 2.5);
}

TEST(BenchStats, SpreadIsMinAndMaxBelowTenSamples) {
  Summary s = Summarize({3, 7, 5, 100, 1});
  EXPECT_EQ(s.low, 1);
  EXPECT_EQ(s.high, 100);
}

TEST(BenchStats, SpreadIsNearestRankP10AndP90) {
  std::vector<double> v;
  for (int i = 20; i >= 1; --i) v.push_back(i);  // 1..20, reversed
  Summary s = Summarize(v);
  EXPECT_EQ(s.low, 2);    // rank ceil(0.1 * 20) = 2
  EXPECT_EQ(s.high, 18);  // rank ceil(0.9 * 20) = 18
  EXPECT_EQ(s.median, 10.5);
  EXPECT_EQ(NearestRank({1, 2, 3}, 50), 2);
  EXPECT_EQ(NearestRank({}, 50), 0);
}

}  // namespace
}  // namespace hull::bench
