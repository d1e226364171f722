// Reading back what hull-bench-tool prints: through a VM's serial console (carriage
// returns, kernel lines around it), with a missing or a malformed line.
#include "bench/tool_output.h"

#include <gtest/gtest.h>

namespace hull::bench {
namespace {

TEST(BenchToolOutput, ReadsTheNetworkLineAmongConsoleNoise) {
  std::string out =
      "[    1.234] virtio_net virtio0 eth0: renamed\r\n"
      "hull-bench-net rtt_us=41.5 tx_mbit_s=9120.3 rx_mbit_s=8000\r\n"
      "hull-bench-exit=0\r\n";
  auto v = ParseToolLine(out, kNetTag);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->size(), 3u);
  EXPECT_DOUBLE_EQ(v->at("rtt_us"), 41.5);
  EXPECT_DOUBLE_EQ(v->at("tx_mbit_s"), 9120.3);
  EXPECT_DOUBLE_EQ(*ToolValue(out, kNetTag, "rx_mbit_s"), 8000);
  EXPECT_FALSE(ToolValue(out, kNetTag, "loss").has_value());
}

TEST(BenchToolOutput, TheFirstMatchingLineCountsAndATagPrefixIsNotATag) {
  std::string out =
      "hull-bench-randomness read_iops=1\n"
      "hull-bench-randio read_iops=52000 write_iops=3100\n"
      "hull-bench-randio read_iops=7 write_iops=7\n";
  EXPECT_DOUBLE_EQ(*ToolValue(out, kRandioTag, "read_iops"), 52000);
  EXPECT_DOUBLE_EQ(*ToolValue(out, kRandioTag, "write_iops"), 3100);
}

TEST(BenchToolOutput, NoLineOrAMalformedOneGivesNothing) {
  EXPECT_FALSE(ParseToolLine("", kNetTag).has_value());
  EXPECT_FALSE(ParseToolLine("hull-bench-tool: connect to 10.77.1.1: refused\n", kNetTag).has_value());
  EXPECT_FALSE(ParseToolLine("hull-bench-net rtt_us=fast\n", kNetTag).has_value());
  EXPECT_FALSE(ParseToolLine("hull-bench-net rtt_us=\n", kNetTag).has_value());
  EXPECT_FALSE(ParseToolLine("hull-bench-net =3\n", kNetTag).has_value());
  EXPECT_FALSE(ParseToolLine("hull-bench-net rtt_us=-1\n", kNetTag).has_value());
  EXPECT_FALSE(ParseToolLine("hull-bench-net rtt_us=inf\n", kNetTag).has_value());
  EXPECT_FALSE(ParseToolLine("hull-bench-net rtt_us=12 garbage\n", kNetTag).has_value());
  EXPECT_FALSE(ParseToolLine("  hull-bench-net rtt_us=12\n", kNetTag).has_value());
}

}  // namespace
}  // namespace hull::bench
