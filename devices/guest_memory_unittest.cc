#include "devices/guest_memory.h"

#include <gtest/gtest.h>

#include <vector>

namespace hull::devices {
namespace {

class GuestMemoryTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> low_ = std::vector<uint8_t>(0x1000);
  std::vector<uint8_t> high_ = std::vector<uint8_t>(0x1000);
  GuestMemory mem_{{{0x10000, 0x1000, high_.data()}, {0, 0x1000, low_.data()}}};
};

TEST_F(GuestMemoryTest, ReadsAndWritesInsideRegions) {
  ASSERT_TRUE(mem_.WriteObject<uint32_t>(0x10ffc, 0xdeadbeef).ok());
  EXPECT_EQ(*mem_.ReadObject<uint32_t>(0x10ffc), 0xdeadbeefu);
  EXPECT_EQ(high_[0xffc], 0xef);
  EXPECT_EQ(mem_.total_size(), 0x2000u);
  EXPECT_EQ(mem_.regions()[0].guest_base, 0u);  // sorted
}

TEST_F(GuestMemoryTest, RejectsAccessPastRegionEnd) {
  EXPECT_FALSE(mem_.WriteObject<uint32_t>(0xffe, 1).ok());
  EXPECT_FALSE(mem_.ReadObject<uint8_t>(0x1000).ok());
  EXPECT_FALSE(mem_.Slice(0x800, 0x1000).ok());
}

TEST_F(GuestMemoryTest, RejectsLengthsThatWouldOverflow) {
  EXPECT_FALSE(mem_.Slice(0x10, UINT64_MAX).ok());
  EXPECT_FALSE(mem_.Contains(UINT64_MAX, 2));
  EXPECT_TRUE(mem_.Contains(0xfff, 1));
  EXPECT_FALSE(mem_.Contains(0xfff, 2));
}

TEST_F(GuestMemoryTest, ErrorNamesTheAddress) {
  base::Status s = mem_.Write(0x5000, "x", 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("0x5000"), std::string::npos);
}

}  // namespace
}  // namespace hull::devices
