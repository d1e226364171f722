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

DriveConfig Drive(const std::string& id, bool root = false) {
  DriveConfig drive;
  drive.drive_id = id;
  drive.path_on_host = "/img/" + id;
  drive.is_root_device = root;
  return drive;
}

TEST(ValidateVmConfig, DrivesNeedValidUniqueIdsAndOneRootAtMost) {
  VmConfig config = ValidConfig();
  config.drives = {Drive("rootfs", true), Drive("data")};
  EXPECT_EQ(ErrorOf(config), "OK");
  config.drives.push_back(Drive("data"));
  EXPECT_EQ(ErrorOf(config), "two drives have the drive_id \"data\"");
  config.drives = {Drive("a", true), Drive("b", true)};
  EXPECT_THAT(ErrorOf(config), HasSubstr("are both is_root_device"));
  config.drives = {Drive("bad id")};
  EXPECT_THAT(ErrorOf(config), HasSubstr("drives[0].drive_id \"bad id\" is not a valid ID"));
  config.drives = {Drive(std::string(65, 'a'))};
  EXPECT_THAT(ErrorOf(config), HasSubstr("is not a valid ID"));
  config.drives = {Drive("a")};
  config.drives[0].path_on_host.clear();
  EXPECT_EQ(ErrorOf(config), "drives[0].path_on_host is required");
  config.drives = {Drive("a")};
  config.drives[0].partuuid = "1234-01";
  EXPECT_EQ(ErrorOf(config), "drives[0].partuuid is only used with is_root_device true");
}

TEST(ValidateVmConfig, OverlayNeedsAWritableDriveAndAnotherFile) {
  VmConfig config = ValidConfig();
  config.drives = {Drive("rootfs", true)};
  config.drives[0].overlay_path = "/vm/rw";
  EXPECT_EQ(ErrorOf(config), "OK");
  config.drives[0].is_read_only = true;
  EXPECT_THAT(ErrorOf(config), HasSubstr("overlay_path makes the drive writable"));
  config.drives[0].is_read_only = false;
  config.drives[0].overlay_path = config.drives[0].path_on_host;
  EXPECT_THAT(ErrorOf(config), HasSubstr("overlay_path must differ from path_on_host"));
}

TEST(ValidateVmConfig, NetworkInterfacesNeedUniqueIdsTapsAndUnicastMacs) {
  VmConfig config = ValidConfig();
  config.network_interfaces = {{"eth0", "tap0", std::nullopt}, {"eth1", "tap1", std::nullopt}};
  EXPECT_EQ(ErrorOf(config), "OK");
  config.network_interfaces[1].host_dev_name = "tap0";
  EXPECT_EQ(ErrorOf(config), "two network interfaces use the tap \"tap0\"");
  config.network_interfaces[1] = {"eth0", "tap1", std::nullopt};
  EXPECT_EQ(ErrorOf(config), "two network interfaces have the iface_id \"eth0\"");
  config.network_interfaces = {{"eth0", "a-name-longer-than-15", std::nullopt}};
  EXPECT_THAT(ErrorOf(config), HasSubstr("host_dev_name must be a network interface name"));
  config.network_interfaces = {{"eth0", "../tap", std::nullopt}};
  EXPECT_THAT(ErrorOf(config), HasSubstr("without '/'"));
  config.network_interfaces = {{"eth0", "tap0", std::array<uint8_t, 6>{1, 0, 0, 0, 0, 1}}};
  EXPECT_THAT(ErrorOf(config), HasSubstr("01:00:00:00:00:01 is a multicast address"));
}

TEST(ValidateVmConfig, VsockNeedsAGuestCidAndAUsableSocketPath) {
  VmConfig config = ValidConfig();
  config.vsock = VsockConfig{3, "/run/v.sock"};
  EXPECT_EQ(ErrorOf(config), "OK");
  for (uint32_t cid : {0u, 1u, 2u, UINT32_MAX}) {
    config.vsock->guest_cid = cid;
    EXPECT_THAT(ErrorOf(config), HasSubstr("vsock.guest_cid must be 3 or more")) << cid;
  }
  config.vsock = VsockConfig{3, ""};
  EXPECT_EQ(ErrorOf(config), "vsock.uds_path is required");
  config.vsock = VsockConfig{3, "/" + std::string(100, 's')};
  EXPECT_THAT(ErrorOf(config), HasSubstr("vsock.uds_path is too long"));
}

TEST(MacAddress, ParsesBothCasesAndRejectsMalformedText) {
  auto mac = ParseMacAddress("06:00:AC:10:0a:ff");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(FormatMacAddress(*mac), "06:00:ac:10:0a:ff");
  for (const char* bad : {"", "06:00:ac:10:00", "06-00-ac-10-00-02", "06:00:ac:10:00:0g",
                          "06:00:ac:10:00:022"}) {
    EXPECT_FALSE(ParseMacAddress(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace hull::vmm
