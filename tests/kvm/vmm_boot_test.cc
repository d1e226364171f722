// hull-vmm under real KVM, booting the freestanding test guests (tests/guests) and
// checking what they report over the serial port and how the VM ends. Every test
// skips, saying why, where /dev/kvm is missing or unusable.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

uint32_t Fnv1a(const std::string& data) {
  uint32_t h = 2166136261u;
  for (unsigned char c : data) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}


uint64_t Num(const std::map<std::string, std::string>& r, const std::string& key) {
  auto it = r.find(key);
  if (it == r.end()) {
    ADD_FAILURE() << "guest report lacks " << key;
    return 0;
  }
  return std::stoull(it->second, nullptr, 0);
}

class BootProtocol : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Kernel() const { return GetParam() == "elf" ? GuestElf() : GuestBzImage(); }
};

TEST_P(BootProtocol, GuestSeesTheBootStateOfThe64BitProtocol) {
  SKIP_WITHOUT_KVM();
  const std::string initrd_data = "hull initrd payload 0123456789 " + std::string(5000, 'x');
  TempFile initrd(initrd_data);
  const std::string cmdline = "hulltest.mode=bootstate marker=hull-boot-42";
  ProcessResult r = RunVmm({"--kernel", Kernel(), "--initrd", initrd.path(), "--cmdline",
                            cmdline, "--memory", "64", "--timeout", "60"});
  ASSERT_EQ(r.exit_status, 0) << r.err << r.out;
  auto report = ParseReport(r.out);
  ASSERT_NE(r.out.find("\ndone"), std::string::npos) << r.out;

  // rsi points at boot_params, which is a zero page filled in by the VMM.
  EXPECT_EQ(Num(report, "rsi"), 0x7000u);
  EXPECT_EQ(Num(report, "boot_flag"), 0xaa55u);
  EXPECT_EQ(Num(report, "header"), 0x53726448u);  // "HdrS"
  EXPECT_EQ(Num(report, "type_of_loader"), 0xffu);
  // The command line is where boot_params says, byte for byte.
  EXPECT_EQ(Num(report, "cmd_line_ptr"), 0x20000u);
  EXPECT_EQ(report["cmdline"], cmdline);
  // The initrd is where boot_params says, whole, inside RAM and page-aligned.
  uint64_t image = Num(report, "ramdisk_image");
  EXPECT_EQ(Num(report, "ramdisk_size"), initrd_data.size());
  EXPECT_EQ(image % 4096, 0u);
  EXPECT_LE(image + initrd_data.size(), 64ull << 20);
  EXPECT_EQ(Num(report, "initrd_fnv1a"), Fnv1a(initrd_data));
  // Long mode with paging, on the boot protocol's code segment.
  EXPECT_EQ(Num(report, "cs"), 0x10u);
  EXPECT_NE(Num(report, "cr0") & 0x80000001u, 0u);
  EXPECT_NE(Num(report, "efer") & 0x400u, 0u);  // LMA
  EXPECT_EQ(Num(report, "cr3"), 0x9000u);
  EXPECT_EQ(Num(report, "rflags_if"), 0u);
}

TEST_P(BootProtocol, E820MapDescribesTheConfiguredRam) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", Kernel(), "--cmdline", "hulltest.mode=bootstate",
                            "--memory", "96", "--timeout", "60"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto report = ParseReport(r.out);
  uint64_t entries = Num(report, "e820_entries");
  uint64_t ram = 0;
  bool low = false, high = false;
  for (uint64_t i = 0; i < entries; ++i) {
    std::string e = report["e820." + std::to_string(i)];
    uint64_t addr = std::stoull(e, nullptr, 0);
    uint64_t size = std::stoull(e.substr(e.find(',') + 1), nullptr, 0);
    uint64_t type = std::stoull(e.substr(e.rfind(',') + 1), nullptr, 0);
    if (type != 1) continue;
    ram += size;
    low |= addr == 0;
    high |= addr == 0x100000 && addr + size == (96ull << 20);
  }
  EXPECT_TRUE(low) << r.out;
  EXPECT_TRUE(high) << r.out;
  EXPECT_EQ(ram, (96ull << 20) - 0x100000 + 0x9fc00) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Vmm, BootProtocol, ::testing::Values("elf", "bzimage"));

TEST(Vmm, LargeGuestRamIsSplitAroundTheMmioGap) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=bootstate",
                            "--memory", "4096", "--timeout", "60"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto report = ParseReport(r.out);
  bool above_4g = false;
  for (uint64_t i = 0; i < Num(report, "e820_entries"); ++i) {
    std::string e = report["e820." + std::to_string(i)];
    if (std::stoull(e, nullptr, 0) == (4ull << 30)) above_4g = true;
  }
  EXPECT_TRUE(above_4g) << r.out;
}

TEST(Vmm, SerialOutputArrivesByteExact) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=hello"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  std::string expected = "hello from the hull test guest\nbytes:";
  for (int b = 0; b < 256; ++b) expected.push_back(static_cast<char>(b));
  expected += "\n";
  EXPECT_EQ(r.out, expected);
}

TEST(Vmm, ExitPortValueBecomesTheExitStatus) {
  SKIP_WITHOUT_KVM();
  for (int status : {0, 3, 42, 127}) {
    ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline",
                              "hulltest.mode=exit hulltest.status=" + std::to_string(status)});
    EXPECT_EQ(r.exit_status, status) << r.err;
    EXPECT_EQ(r.out, "exiting " + std::to_string(status) + "\n");
  }
  ProcessResult big = RunVmm({"--kernel", GuestElf(), "--cmdline",
                              "hulltest.mode=exit hulltest.status=300"});
  EXPECT_EQ(big.exit_status, 127);
  EXPECT_NE(big.err.find("300"), std::string::npos) << big.err;
}

TEST(Vmm, I8042ResetEndsTheVmAsAReset) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=reset"});
  EXPECT_EQ(r.exit_status, 200) << r.err;
  EXPECT_EQ(r.out, "resetting\n");
  EXPECT_NE(r.err.find("reset"), std::string::npos) << r.err;
}

TEST(Vmm, TripleFaultEndsTheVmWithItsReason) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=triplefault"});
  EXPECT_EQ(r.exit_status, 202) << r.err;
  EXPECT_NE(r.err.find("triple"), std::string::npos) << r.err;
}

TEST(Vmm, InstructionFetchFromMmioEndsTheVmAsAnInternalError) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=mmiofetch"});
  EXPECT_EQ(r.exit_status, 203) << r.err;
  EXPECT_EQ(r.out, "jumping into MMIO\n");
  EXPECT_NE(r.err.find("KVM internal error"), std::string::npos) << r.err;
}

TEST(Vmm, SpinningGuestIsStoppedByTheTimeout) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=spin",
                            "--timeout", "2"},
                           60);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_status, 205) << r.err;
  EXPECT_EQ(r.out, "spinning\n");
}

TEST(Vmm, SigtermStopsARunningVmCleanly) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunProcessAndSignal(
      {VmmPath(), "--kernel", GuestElf(), "--cmdline", "hulltest.mode=spin", "--vcpus", "2"},
      SIGTERM, 2, 60);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_status, 143) << r.err;
  EXPECT_NE(r.err.find("SIGTERM"), std::string::npos) << r.err;
}

class MultiVcpu : public ::testing::TestWithParam<int> {};

TEST_P(MultiVcpu, MpTableAndCpuidDescribeEveryVcpu) {
  SKIP_WITHOUT_KVM();
  int n = GetParam();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=bootstate",
                            "--vcpus", std::to_string(n)});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(Num(report, "mp.found"), 1u);
  EXPECT_EQ(Num(report, "mp.checksum_ok"), 1u);
  EXPECT_EQ(Num(report, "mp.config_checksum_ok"), 1u);
  ASSERT_EQ(Num(report, "mp.cpus"), static_cast<uint64_t>(n));
  for (int i = 0; i < n; ++i) {
    std::string cpu = report["mp.cpu." + std::to_string(i)];
    EXPECT_EQ(std::stoull(cpu, nullptr, 0), static_cast<uint64_t>(i)) << cpu;
    uint64_t flags = std::stoull(cpu.substr(cpu.find(',') + 1), nullptr, 0);
    EXPECT_EQ(flags & 1, 1u);                     // enabled
    EXPECT_EQ((flags >> 1) & 1, i == 0 ? 1u : 0u);  // only the first is the BSP
  }
  EXPECT_EQ(Num(report, "cpuid.apic_id"), 0u);
  EXPECT_EQ(Num(report, "cpuid.logical_count"), static_cast<uint64_t>(n));
  EXPECT_EQ(Num(report, "cpuid.hypervisor_bit"), 1u);
  EXPECT_EQ(report["cpuid.hypervisor"], "KVMKVMKVM");
}

INSTANTIATE_TEST_SUITE_P(Vmm, MultiVcpu, ::testing::Values(1, 2, 4));

TEST(Vmm, CpuidMaskClearsTheNamedBit) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=bootstate",
                            "--cpuid-mask", "1:ecx:0x80000000"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(Num(report, "cpuid.hypervisor_bit"), 0u);
  EXPECT_EQ(report["cpuid.hypervisor"], "KVMKVMKVM");  // the leaf itself stays
}

TEST(Vmm, SerialOutputCanGoToAFile) {
  SKIP_WITHOUT_KVM();
  TempFile serial("stale contents that must be replaced");
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=exit hulltest.status=7",
                            "--serial", "file:" + serial.path()});
  EXPECT_EQ(r.exit_status, 7) << r.err;
  EXPECT_EQ(r.out, "");
  std::ifstream in(serial.path());
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, "exiting 7\n");
}

TEST(Vmm, FirecrackerConfigFileBootsTheGuest) {
  SKIP_WITHOUT_KVM();
  TempFile config(R"({
    "boot-source": {"kernel_image_path": ")" + GuestBzImage() + R"(",
                    "initrd_path": null,
                    "boot_args": "hulltest.mode=bootstate"},
    "machine-config": {"vcpu_count": 2, "mem_size_mib": 80, "smt": false},
    "drives": [],
    "network-interfaces": []
  })");
  ProcessResult r = RunVmm({"--config", config.path()});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(Num(report, "mp.cpus"), 2u);
  EXPECT_EQ(report["cmdline"], "hulltest.mode=bootstate");
  bool top = false;
  for (uint64_t i = 0; i < Num(report, "e820_entries"); ++i) {
    std::string e = report["e820." + std::to_string(i)];
    uint64_t addr = std::stoull(e, nullptr, 0);
    uint64_t size = std::stoull(e.substr(e.find(',') + 1), nullptr, 0);
    top |= addr + size == (80ull << 20);
  }
  EXPECT_TRUE(top) << r.out;
}

TEST(Vmm, MemfdBackedGuestMemoryBoots) {
  SKIP_WITHOUT_KVM();
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=exit hulltest.status=5",
                            "--memory-backing", "memfd"});
  EXPECT_EQ(r.exit_status, 5) << r.err;
}

// Free 2 MiB huge pages, from /proc/meminfo.
uint64_t FreeHugePages() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "HugePages_Free:") return value;
    in.ignore(256, '\n');
  }
  return 0;
}

TEST(Vmm, HugePageBackedGuestMemoryBoots) {
  SKIP_WITHOUT_KVM();
  if (FreeHugePages() < 32) {
    GTEST_SKIP() << "fewer than 32 free 2 MiB huge pages (HugePages_Free in /proc/meminfo); "
                    "reserve some with: echo 64 > /proc/sys/vm/nr_hugepages";
  }
  for (const char* backing : {"anonymous", "memfd"}) {
    ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=bootstate",
                              "--memory", "64", "--huge-pages", "2M", "--memory-backing", backing});
    EXPECT_EQ(r.exit_status, 0) << backing << ": " << r.err;
    EXPECT_NE(r.out.find("\ndone"), std::string::npos) << backing;
  }
}

}  // namespace
}  // namespace hull::testing
