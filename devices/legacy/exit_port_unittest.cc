#include "devices/legacy/exit_port.h"

#include <gtest/gtest.h>

#include <vector>

namespace hull::devices::legacy {
namespace {

class ExitPortTest : public ::testing::Test {
 protected:
  std::vector<uint32_t> statuses_;
  ExitPort port_{[this](uint32_t status) { statuses_.push_back(status); }};
};

TEST_F(ExitPortTest, ReportsLittleEndianValueOfOneTwoAndFourByteWrites) {
  const uint8_t byte[1] = {0x2a};
  const uint8_t word[2] = {0x34, 0x12};
  const uint8_t dword[4] = {0x78, 0x56, 0x34, 0x12};
  port_.Write(0, byte);
  port_.Write(0, word);
  port_.Write(0, dword);
  EXPECT_EQ(statuses_, std::vector<uint32_t>({0x2a, 0x1234, 0x12345678}));
}

TEST_F(ExitPortTest, IgnoresOddSizesAndOffsets) {
  const uint8_t three[3] = {1, 2, 3};
  const uint8_t one[1] = {7};
  port_.Write(0, three);
  port_.Write(1, one);
  port_.Write(2, std::span<const uint8_t>(three, 2));
  EXPECT_TRUE(statuses_.empty());
}

TEST_F(ExitPortTest, ReadsFloatHigh) {
  uint8_t data[4] = {};
  port_.Read(0, data);
  for (uint8_t b : data) EXPECT_EQ(b, 0xff);
  EXPECT_TRUE(statuses_.empty());
}

}  // namespace
}  // namespace hull::devices::legacy
