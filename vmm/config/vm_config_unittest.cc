#include "vmm/config/vm_config.h"

#include <cmath>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hull::vmm {
namespace {

using ::testing::HasSubstr;

VmConfig ValidConfig() {
  VmConfig config;
  config.kernel_image_path = "/boot/vmlinux";
  return config;
}

std::string ErrorOf(const VmConfig& config) {
  base::Status status = ValidateVmConfig(config);
  return status.ok() ? "OK" : status.message();
}

TEST(ValidateVmConfig, AcceptsDefaultsWithAKernel) {
  EXPECT_EQ(ErrorOf(ValidConfig()), "OK");
}

TEST(ValidateVmConfig, RejectsMissingKernelAndSaysHowToGiveOne) {
  VmConfig config;
  EXPECT_EQ(ErrorOf(config), "no kernel: give --kernel PATH or boot-source.kernel_image_path");
}

TEST(ValidateVmConfig, VcpuCountMustBeBetweenOneAndMax) {
  VmConfig config = ValidConfig();
  config.vcpu_count = 0;
  EXPECT_EQ(ErrorOf(config),
            "machine-config.vcpu_count (--vcpus) must be between 1 and 254, got 0");
  config.vcpu_count = kMaxVcpus + 1;
  EXPECT_THAT(ErrorOf(config), HasSubstr("got 255"));
  config.vcpu_count = kMaxVcpus;
  EXPECT_EQ(ErrorOf(config), "OK");
}

TEST(ValidateVmConfig, SmtNeedsOneOrAnEvenVcpuCount) {
  VmConfig config = ValidConfig();
  config.smt = true;
  config.vcpu_count = 3;
  EXPECT_THAT(ErrorOf(config), HasSubstr("machine-config.vcpu_count must be 1 or even"));
  config.vcpu_count = 4;
  EXPECT_EQ(ErrorOf(config), "OK");
  config.vcpu_count = 1;
  EXPECT_EQ(ErrorOf(config), "OK");
}

TEST(ValidateVmConfig, MemorySizeMustBeBetweenOneMibAndOneTib) {
  VmConfig config = ValidConfig();
  config.mem_size_mib = 0;
  EXPECT_THAT(ErrorOf(config), HasSubstr("machine-config.mem_size_mib (--memory)"));
  config.mem_size_mib = (uint64_t{1} << 20) + 1;
  EXPECT_THAT(ErrorOf(config), HasSubstr("machine-config.mem_size_mib"));
  config.mem_size_mib = uint64_t{1} << 20;
  EXPECT_EQ(ErrorOf(config), "OK");
}

TEST(ValidateVmConfig, HugePagesNeedMemoryInWholeHugePages) {
  VmConfig config = ValidConfig();
  config.huge_pages = HugePages::k2M;
  config.mem_size_mib = 513;
  EXPECT_EQ(ErrorOf(config),
            "machine-config.mem_size_mib must be a multiple of 2 with huge_pages \"2M\", got 513");
  config.mem_size_mib = 514;
  EXPECT_EQ(ErrorOf(config), "OK");
}

TEST(ValidateVmConfig, FileSerialNeedsAPathAndOnlyFileSerialTakesOne) {
  VmConfig config = ValidConfig();
  config.serial_output = SerialOutput::kFile;
  EXPECT_THAT(ErrorOf(config), HasSubstr("hull.serial.path is required"));
  config.serial_path = "/tmp/console.log";
  EXPECT_EQ(ErrorOf(config), "OK");
  config.serial_output = SerialOutput::kPty;
  EXPECT_THAT(ErrorOf(config), HasSubstr("hull.serial.path is only valid"));
}

TEST(ValidateVmConfig, CpuidMaskRegisterMustBeAGeneralRegisterName) {
  VmConfig config = ValidConfig();
  config.cpuid_masks.push_back({.leaf = 1, .reg = "ecx", .clear_bits = 1});
  config.cpuid_masks.push_back({.leaf = 7, .reg = "esp", .clear_bits = 1});
  EXPECT_EQ(ErrorOf(config),
            "hull.cpuid_masks[1].register must be eax, ebx, ecx or edx, got \"esp\"");
  config.cpuid_masks[1].reg = "edx";
  EXPECT_EQ(ErrorOf(config), "OK");
}

TEST(ValidateVmConfig, TimeoutMustBeFiniteAndNotNegative) {
  VmConfig config = ValidConfig();
  config.timeout_seconds = -1;
  EXPECT_THAT(ErrorOf(config), HasSubstr("hull.timeout_s (--timeout)"));
  config.timeout_seconds = std::nan("");
  EXPECT_THAT(ErrorOf(config), HasSubstr("hull.timeout_s"));
  config.timeout_seconds = INFINITY;
  EXPECT_THAT(ErrorOf(config), HasSubstr("hull.timeout_s"));
  config.timeout_seconds = 2.5;
  EXPECT_EQ(ErrorOf(config), "OK");
}

TEST(ValidateVmConfig, RejectsPathsWithNulBytes) {
  VmConfig config = ValidConfig();
  config.initrd_path = std::string("/boot/initrd\0.evil", 18);
  EXPECT_EQ(ErrorOf(config), "boot-source.initrd_path contains a NUL byte");
}

}  // namespace
}  // namespace hull::vmm
