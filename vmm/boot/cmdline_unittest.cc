#include "vmm/boot/cmdline.h"

#include <gtest/gtest.h>

#include <string>

#include "vmm/boot/test_kernel_images.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

class CmdlineTest : public ::testing::Test {
 protected:
  testing::TestGuestMemory ram_{2 << 20};
  const devices::GuestMemory& mem() { return ram_.mem(); }
};

TEST_F(CmdlineTest, WritesNulTerminatedAtCmdlineStart) {
  ASSERT_TRUE(mem().WriteObject<uint8_t>(layout::kCmdlineStart + 12, 0xee).ok());
  ASSERT_TRUE(WriteCmdline("console=ttyS", 2047, mem()).ok());
  char back[13];
  ASSERT_TRUE(mem().Read(layout::kCmdlineStart, back, sizeof(back)).ok());
  EXPECT_EQ(std::string(back, 12), "console=ttyS");
  EXPECT_EQ(back[12], '\0');
}

TEST_F(CmdlineTest, AcceptsExactlyTheKernelLimit) {
  EXPECT_TRUE(WriteCmdline(std::string(2047, 'a'), 2047, mem()).ok());
  EXPECT_EQ(*mem().ReadObject<uint8_t>(layout::kCmdlineStart + 2047), 0);
}

TEST_F(CmdlineTest, RejectsOneByteOverTheKernelLimit) {
  base::Status s = WriteCmdline(std::string(2048, 'a'), 2047, mem());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "kernel command line is 2048 bytes; this kernel accepts at most 2047");
  EXPECT_EQ(*mem().ReadObject<uint8_t>(layout::kCmdlineStart), 0);  // nothing written
}

TEST_F(CmdlineTest, CapsAGenerousKernelLimitAtTheReservedSpace) {
  EXPECT_EQ(EffectiveCmdlineMaxLength(1 << 20), layout::kCmdlineMaxSize - 1);
  EXPECT_TRUE(ValidateCmdline(std::string(layout::kCmdlineMaxSize - 1, 'a'), 1 << 20).ok());
  EXPECT_FALSE(ValidateCmdline(std::string(layout::kCmdlineMaxSize, 'a'), 1 << 20).ok());
}

TEST_F(CmdlineTest, RejectsEmbeddedNul) {
  base::Status s = ValidateCmdline(std::string("root=/dev/vda\0 init=/x", 22), 2047);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "kernel command line contains a NUL byte at offset 13");
}

TEST_F(CmdlineTest, RejectsControlBytes) {
  EXPECT_FALSE(ValidateCmdline("quiet\ninit=/bin/sh", 2047).ok());
  EXPECT_FALSE(ValidateCmdline("quiet\x7f", 2047).ok());
  EXPECT_TRUE(ValidateCmdline("hostname=caf\xc3\xa9 quiet", 2047).ok());  // UTF-8 is fine
  EXPECT_TRUE(ValidateCmdline("", 0).ok());
}

}  // namespace
}  // namespace hull::vmm::boot
