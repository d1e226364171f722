// virtio-rng end to end under real KVM: hull-vmm --entropy places the device in the
// MMIO gap, and the test guest (mode "rng") finds it on the command line, reads random
// bytes through it twice, and reports; without --entropy the guest finds no rng device.
#include <string>

#include <gtest/gtest.h>

#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

TEST(VmmEntropy, GuestReadsRandomBytesFromTheRngDevice) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=rng",
                            "--memory", "32", "--entropy"});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["rng.device"], "0xd0000000") << r.out;
  EXPECT_EQ(report["rng.bytes"], "64") << r.out;
  EXPECT_EQ(report["rng.nonzero"], "1") << r.out;
  EXPECT_EQ(report["rng.differ"], "1") << r.out;
}

TEST(VmmEntropy, WithoutEntropyTheGuestFindsNoRngDevice) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=rng",
                            "--memory", "32"});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["rng.device"], "none") << r.out;
  EXPECT_EQ(report.count("rng.bytes"), 0u) << r.out;
}

}  // namespace
}  // namespace hull::testing
