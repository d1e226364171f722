#include "runtime/namespace/capabilities.h"

#include <linux/capability.h>

#include <gtest/gtest.h>

namespace hull::runtime::ns {
namespace {

constexpr CapSet Bit(int c) { return CapSet{1} << c; }

TEST(Capabilities, DockerDefaultSetIsDockers) {
  EXPECT_EQ(DockerDefaultCaps(), 0xa80425fbULL);
  EXPECT_EQ(CapNames(Bit(CAP_CHOWN) | Bit(CAP_KILL)), (std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"}));
}

TEST(Capabilities, AddAndDropByDockerNames) {
  auto caps = ResolveCaps(false, {"NET_ADMIN", "cap_sys_ptrace"}, {"net_raw", "CAP_MKNOD"});
  ASSERT_TRUE(caps.ok()) << caps.status().message();
  EXPECT_TRUE(*caps & Bit(CAP_NET_ADMIN));
  EXPECT_TRUE(*caps & Bit(CAP_SYS_PTRACE));
  EXPECT_FALSE(*caps & Bit(CAP_NET_RAW));
  EXPECT_FALSE(*caps & Bit(CAP_MKNOD));
  EXPECT_TRUE(*caps & Bit(CAP_CHOWN));
}

TEST(Capabilities, DropAllKeepsOnlyAdds) {
  auto caps = ResolveCaps(false, {"KILL"}, {"ALL"});
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(*caps, Bit(CAP_KILL));
}

TEST(Capabilities, PrivilegedHasEverythingTheKernelKnows) {
  auto caps = ResolveCaps(true, {}, {});
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(*caps, AllCaps());
  EXPECT_TRUE(*caps & Bit(CAP_SYS_ADMIN));
}

TEST(Capabilities, UnknownNameIsAnError) {
  auto caps = ResolveCaps(false, {"FLY"}, {});
  ASSERT_FALSE(caps.ok());
  EXPECT_NE(caps.status().message().find("CAP_FLY"), std::string::npos);
}

}  // namespace
}  // namespace hull::runtime::ns
