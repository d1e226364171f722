// hull-vmm given bad input — files, flags, config — answers with one line naming the
// problem and exit status 250, before it needs KVM; never a crash or a hang.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

constexpr int kVmmError = 250;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One error line that mentions `needle`, status 250, nothing on stdout.
void ExpectOneLineError(const ProcessResult& r, const std::string& needle) {
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_status, kVmmError) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected \"" << needle << "\" in: " << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(VmmInput, MissingKernelFileIsNamed) {
  ExpectOneLineError(RunVmm({"--kernel", "/nonexistent/vmlinux"}), "/nonexistent/vmlinux");
}

TEST(VmmInput, NoKernelAtAllSaysHowToGiveOne) {
  ExpectOneLineError(RunVmm({"--memory", "64"}), "--kernel");
}

TEST(VmmInput, CorruptKernelIsRejected) {
  TempFile junk(std::string(8192, '\x5a'));
  ExpectOneLineError(RunVmm({"--kernel", junk.path()}), "kernel");
}

TEST(VmmInput, TruncatedElfKernelIsRejected) {
  std::string elf = ReadFile(GuestElf());
  ASSERT_GT(elf.size(), 200u);
  TempFile truncated(elf.substr(0, 100));
  ExpectOneLineError(RunVmm({"--kernel", truncated.path()}), "kernel");
}

TEST(VmmInput, TruncatedBzImageIsRejected) {
  std::string bz = ReadFile(GuestBzImage());
  ASSERT_GT(bz.size(), 1024u);
  TempFile truncated(bz.substr(0, 700));
  ExpectOneLineError(RunVmm({"--kernel", truncated.path()}), "kernel");
}

TEST(VmmInput, InitrdThatDoesNotFitIsRejected) {
  TempFile initrd(std::string(20u << 20, 'i'));
  ExpectOneLineError(RunVmm({"--kernel", GuestElf(), "--initrd", initrd.path(), "--memory", "16"}),
                     "initrd");
}

TEST(VmmInput, TooLittleMemoryIsRejected) {
  ExpectOneLineError(RunVmm({"--kernel", GuestElf(), "--memory", "1"}), "memory");
}

TEST(VmmInput, OverlongCommandLineIsRejected) {
  ExpectOneLineError(RunVmm({"--kernel", GuestElf(), "--cmdline", std::string(3000, 'a')}),
                     "command line");
}

TEST(VmmInput, UnknownConfigFieldIsNamed) {
  TempFile config(R"({"boot-source": {"kernel_image_path": ")" + GuestElf() +
                  R"("}, "machine-config": {"vcpu_count": 1, "mem_size_mib": 64, "turbo": true}})");
  ExpectOneLineError(RunVmm({"--config", config.path()}), "turbo");
}

TEST(VmmInput, MalformedConfigIsRejected) {
  TempFile config("{\"boot-source\": ");
  ExpectOneLineError(RunVmm({"--config", config.path()}), "config");
}

TEST(VmmInput, UnknownFlagIsNamed) {
  ExpectOneLineError(RunVmm({"--kernel", GuestElf(), "--turbo"}), "--turbo");
}

TEST(VmmInput, VcpuCountOutOfRangeIsRejected) {
  ExpectOneLineError(RunVmm({"--kernel", GuestElf(), "--vcpus", "0"}), "vcpu");
  ExpectOneLineError(RunVmm({"--kernel", GuestElf(), "--vcpus", "300"}), "vcpu");
}

TEST(VmmInput, WithoutKvmTheErrorSaysWhatToDo) {
  if (KvmUnavailableReason().empty()) {
    GTEST_SKIP() << "this host has a usable /dev/kvm, so the no-KVM error cannot be seen here";
  }
  ExpectOneLineError(RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=hello"}),
                     "/dev/kvm");
}

TEST(VmmInput, HelpDescribesEveryFlagAndExitsZero) {
  ProcessResult r = RunVmm({"--help"});
  EXPECT_EQ(r.exit_status, 0);
  for (const char* flag : {"--kernel", "--initrd", "--cmdline", "--vcpus", "--memory",
                           "--config", "--serial", "--timeout", "--cpuid-mask"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace hull::testing
