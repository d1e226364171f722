// The test guest's code does what README.md says, checked under QEMU with TCG so that
// it needs no KVM. Two ways in:
//   - QEMU boots the bzImage: its firmware enters the real-mode setup, which goes on
//     through startup_32 to startup_64 (entry=startup_32);
//   - QEMU starts paused, the test loads the ELF (or the bzImage's protected-mode part)
//     and a hull-vmm-like low memory (zero page at 0x7000, page tables at 0x9000, GDT,
//     command line at 0x20000, MP table at 0x9fc00), then sets the vCPU to the 64-bit
//     boot protocol's state through QEMU's gdbstub and resumes it at startup_64
//     (entry=startup_64): the path hull-vmm takes.
// Every test skips, saying why, where qemu-system-x86_64 is not installed.
#include <asm/bootparam.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/guests/gdb_remote.h"
#include "tests/guests/qemu_runner.h"

namespace hull::tests {
namespace {

constexpr uint64_t kLoadAddress = 0x100000;

// QEMU's isa-debug-exit turns the guest's status N into the exit code (N << 1) | 1.
constexpr int QemuExitCode(int status) { return ((status << 1) | 1) & 0xff; }

#define SKIP_WITHOUT_QEMU()                                                              \
  do {                                                                                   \
    if (!FindQemu()) {                                                                   \
      GTEST_SKIP() << "qemu-system-x86_64 is not installed; the guest code is checked " \
                      "only under hull-vmm (tests/kvm) on this host";                   \
    }                                                                                    \
  } while (0)

uint32_t Fnv1a(const std::string& data) {
  uint32_t hash = 0x811c9dc5;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x01000193;
  }
  return hash;
}

// The "key=value" lines of a bootstate report.
std::map<std::string, std::string> ParseReport(const std::string& text) {
  std::map<std::string, std::string> report;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    size_t eq = line.find('=');
    if (eq != std::string::npos) report[line.substr(0, eq)] = line.substr(eq + 1);
    pos = end + 1;
  }
  return report;
}

uint64_t Number(const std::map<std::string, std::string>& report, const std::string& key) {
  auto it = report.find(key);
  if (it == report.end()) {
    ADD_FAILURE() << "report lacks " << key;
    return 0;
  }
  return std::stoull(it->second, nullptr, 0);
}

bool WriteFile(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

QemuRun BootBzImage(const std::string& cmdline, std::vector<std::string> extra_args = {}) {
  QemuOptions options;
  options.boot_args = {"-kernel", HULL_TEST_GUEST_BZIMAGE_PATH, "-append", cmdline};
  options.boot_args.insert(options.boot_args.end(), extra_args.begin(), extra_args.end());
  return RunQemu(options);
}

// ---------------------------------------------------------------------------------------
// Through QEMU's firmware: real-mode setup -> startup_32 -> startup_64.

TEST(TestGuestUnderQemu, HelloWritesTheGreetingAndEveryByteValueExactly) {
  SKIP_WITHOUT_QEMU();
  QemuRun run = BootBzImage("hulltest.mode=hello");
  std::string expected = "hello from the hull test guest\nbytes:";
  for (int b = 0; b < 256; b++) expected.push_back(static_cast<char>(b));
  expected += "\n";
  EXPECT_EQ(run.serial, expected);
  EXPECT_EQ(run.exit_code, QemuExitCode(0)) << run.error << run.log;
}

TEST(TestGuestUnderQemu, BootStateReportsLongModeAndTheFirmwaresBootParams) {
  SKIP_WITHOUT_QEMU();
  const std::string cmdline = "hulltest.mode=bootstate  marker=hull-42";
  QemuRun run = BootBzImage(cmdline);
  ASSERT_EQ(run.exit_code, QemuExitCode(0)) << run.error << run.log << run.serial;
  ASSERT_TRUE(run.serial.ends_with("\ndone\n")) << run.serial;
  auto report = ParseReport(run.serial);
  EXPECT_EQ(report["entry"], "startup_32");
  EXPECT_NE(Number(report, "rsi"), 0u);
  EXPECT_EQ(Number(report, "cs"), 0x10u);
  EXPECT_EQ(Number(report, "cr0") & 0x80000001u, 0x80000001u);  // PG, PE
  EXPECT_EQ(Number(report, "cr4") & 0x20u, 0x20u);              // PAE
  EXPECT_EQ(Number(report, "efer") & 0x500u, 0x500u);           // LME, LMA
  EXPECT_EQ(Number(report, "rflags_if"), 0u);
  EXPECT_EQ(Number(report, "boot_params_valid"), 1u);
  EXPECT_EQ(Number(report, "boot_flag"), 0xaa55u);
  EXPECT_EQ(Number(report, "header"), 0x53726448u);
  EXPECT_EQ(Number(report, "version"), 0x20fu);
  EXPECT_NE(Number(report, "cmd_line_ptr"), 0u);
  EXPECT_EQ(report["cmdline"], cmdline);
  EXPECT_EQ(Number(report, "ramdisk_size"), 0u);
  EXPECT_EQ(Number(report, "initrd_fnv1a"), Fnv1a(""));
  // The firmware's e820 map made it through the setup code: RAM from 1 MiB up.
  bool ram_at_1m = false;
  for (uint64_t i = 0; i < Number(report, "e820_entries"); i++) {
    std::string e = report["e820." + std::to_string(i)];
    uint64_t addr = std::stoull(e, nullptr, 0);
    uint64_t size = std::stoull(e.substr(e.find(',') + 1), nullptr, 0);
    uint64_t type = std::stoull(e.substr(e.rfind(',') + 1), nullptr, 0);
    ram_at_1m |= type == 1 && addr <= kLoadAddress && addr + size > kLoadAddress;
  }
  EXPECT_TRUE(ram_at_1m) << run.serial;
  EXPECT_EQ(Number(report, "cpuid.hypervisor_bit"), 1u);
  EXPECT_FALSE(report["cpuid.vendor"].empty());
}

TEST(TestGuestUnderQemu, BootStateHashesTheInitrd) {
  SKIP_WITHOUT_QEMU();
  TempDir dir;
  const std::string initrd = "hull initrd \x01payload\n" + std::string(5000, 'x');
  ASSERT_TRUE(WriteFile(dir.path() / "initrd", initrd));
  QemuRun run =
      BootBzImage("hulltest.mode=bootstate", {"-initrd", (dir.path() / "initrd").string()});
  ASSERT_EQ(run.exit_code, QemuExitCode(0)) << run.error << run.log << run.serial;
  auto report = ParseReport(run.serial);
  EXPECT_EQ(Number(report, "ramdisk_size"), initrd.size());
  EXPECT_NE(Number(report, "ramdisk_image"), 0u);
  EXPECT_EQ(Number(report, "initrd_fnv1a"), Fnv1a(initrd));
  EXPECT_EQ(report["initrd_head"], "hull initrd .pay");
}

TEST(TestGuestUnderQemu, BootStateFindsTheFirmwaresMpTable) {
  SKIP_WITHOUT_QEMU();
  QemuRun run = BootBzImage("hulltest.mode=bootstate", {"-smp", "2"});  // qboot's table
  ASSERT_EQ(run.exit_code, QemuExitCode(0)) << run.error << run.log << run.serial;
  auto report = ParseReport(run.serial);
  EXPECT_EQ(Number(report, "mp.found"), 1u);
  EXPECT_EQ(Number(report, "mp.checksum_ok"), 1u);
  EXPECT_EQ(Number(report, "mp.config_checksum_ok"), 1u);
  ASSERT_EQ(Number(report, "mp.cpus"), 2u) << run.serial;
  EXPECT_EQ(report["mp.cpu.0"], "0,0x3");  // APIC ID 0, enabled + bootstrap processor
  EXPECT_EQ(report["mp.cpu.1"], "1,0x1");  // APIC ID 1, enabled
}

TEST(TestGuestUnderQemu, ExitModeEndsTheVmWithTheRequestedStatus) {
  SKIP_WITHOUT_QEMU();
  // Also token matching: "hulltest.modex" is not "hulltest.mode".
  QemuRun run = BootBzImage("hulltest.modex=hello hulltest.mode=exit hulltest.status=42");
  EXPECT_EQ(run.serial, "exiting 42\n");
  EXPECT_EQ(run.exit_code, QemuExitCode(42)) << run.error << run.log;
}

TEST(TestGuestUnderQemu, MissingModeExitsWith99) {
  SKIP_WITHOUT_QEMU();
  QemuRun run = BootBzImage("console=ttyS0");
  EXPECT_EQ(run.serial, "unknown mode\n");
  EXPECT_EQ(run.exit_code, QemuExitCode(99)) << run.error << run.log;
}

TEST(TestGuestUnderQemu, CountModeRunsTheLoopAndExits) {
  SKIP_WITHOUT_QEMU();
  QemuRun run = BootBzImage("hulltest.mode=count hulltest.iterations=1000000");
  EXPECT_EQ(run.serial, "counted 1000000\n");
  EXPECT_EQ(run.exit_code, QemuExitCode(0)) << run.error << run.log;
}

TEST(TestGuestUnderQemu, PageFaultIsReportedByTheExceptionHandler) {
  SKIP_WITHOUT_QEMU();
  QemuRun run = BootBzImage("hulltest.mode=pagefault");
  EXPECT_TRUE(run.serial.starts_with("page faulting\nexception vector=14 ")) << run.serial;
  EXPECT_NE(run.serial.find(" cr2=0x100000000\n"), std::string::npos) << run.serial;
  EXPECT_EQ(run.exit_code, QemuExitCode(98)) << run.error << run.log;
}

TEST(TestGuestUnderQemu, ResetModeResetsThroughTheI8042) {
  SKIP_WITHOUT_QEMU();
  QemuRun run = BootBzImage("hulltest.mode=reset", {"-device", "i8042"});  // microvm has none
  EXPECT_EQ(run.serial, "resetting\n");
  EXPECT_EQ(run.exit_code, 0) << run.error << run.log;  // -no-reboot: a reset ends QEMU, 0
}

TEST(TestGuestUnderQemu, TripleFaultModeShutsTheVmDown) {
  SKIP_WITHOUT_QEMU();
  QemuRun run = BootBzImage("hulltest.mode=triplefault");
  EXPECT_EQ(run.serial, "triple faulting\n");
  EXPECT_EQ(run.exit_code, 0) << run.error << run.log;  // -no-reboot: shutdown ends QEMU, 0
}

TEST(TestGuestUnderQemu, SpinModeKeepsRunningUntilStopped) {
  SKIP_WITHOUT_QEMU();
  QemuOptions options;
  options.boot_args = {"-kernel", HULL_TEST_GUEST_BZIMAGE_PATH, "-append", "hulltest.mode=spin"};
  options.stop_after_output = "spinning\n";
  QemuRun run = RunQemu(options);
  EXPECT_TRUE(run.stopped) << run.error << run.log;
  EXPECT_EQ(run.serial, "spinning\n");
}

// The blk mode's driver (virtio_driver.c + blk.c) against QEMU's own virtio-blk — a
// reference device, so a guest-side bug cannot hide behind a matching hull-side one.
// microvm without ACPI announces its virtio-mmio devices on the command line; modern
// (version 2) virtio-mmio needs force-legacy=false.
TEST(TestGuestUnderQemu, BlkModeDrivesQemusVirtioBlk) {
  SKIP_WITHOUT_QEMU();
  TempDir dir;
  std::string image(1 << 20, '\0');
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<char>(i * 7 + (i >> 9));
  ASSERT_TRUE(WriteFile(dir.path() / "disk.img", image));
  QemuOptions options;
  options.machine = "microvm,x-option-roms=off,rtc=off,acpi=off";
  options.boot_args = {"-kernel", HULL_TEST_GUEST_BZIMAGE_PATH, "-append", "hulltest.mode=blk",
                       "-global", "virtio-mmio.force-legacy=false",
                       "-drive", "file=" + (dir.path() / "disk.img").string() + ",if=none,id=d0,format=raw",
                       "-device", "virtio-blk-device,drive=d0,serial=qemu_disk"};
  QemuRun run = RunQemu(options);
  ASSERT_EQ(run.exit_code, QemuExitCode(0)) << run.error << run.log << run.serial;
  auto report = ParseReport(run.serial);
  EXPECT_EQ(report["blk.capacity"], "2048") << run.serial;
  EXPECT_EQ(report["blk.id"], "qemu_disk");
  EXPECT_EQ(report["blk.write_status"], "0");
  EXPECT_EQ(report["blk.compare"], "ok");
  std::string after = ReadFile((dir.path() / "disk.img").string());
  for (uint32_t i = 0; i < 4096; ++i) image[8 * 512 + i] = static_cast<char>(i + (i >> 8) * 13 + 0x5a);
  EXPECT_TRUE(after == image) << "the disk does not hold exactly the guest's pattern at sector 8";
}

// ---------------------------------------------------------------------------------------
// Straight into startup_64 with the 64-bit boot protocol's state, as hull-vmm does.

constexpr uint64_t kGdt = 0x500;
constexpr uint64_t kZeroPage = 0x7000;
constexpr uint64_t kStackTop = 0x8ff0;
constexpr uint64_t kPml4 = 0x9000;
constexpr uint64_t kCmdline = 0x20000;
constexpr uint64_t kMpTable = 0x9fc00;
constexpr uint64_t kLowMemoryEnd = 0xa0000;
constexpr uint64_t kInitrd = 0x1000000;
constexpr uint64_t kRamEnd = 64ull << 20;
constexpr uint64_t kBootGdt[] = {0, 0, 0x00af9a000000ffff, 0x00cf92000000ffff};

template <typename T>
void Put(std::string& memory, uint64_t addr, const T& value) {
  std::memcpy(memory.data() + addr, &value, sizeof(value));
}

uint8_t Checksum(const std::string& memory, uint64_t addr, size_t len) {
  uint8_t sum = 0;
  for (size_t i = 0; i < len; i++) sum += static_cast<uint8_t>(memory[addr + i]);
  return static_cast<uint8_t>(-sum);
}

// An MP 1.4 floating pointer and configuration table with `cpus` processor entries.
void PutMpTable(std::string& memory, int cpus) {
  const uint64_t config = kMpTable + 16;
  const uint16_t length = static_cast<uint16_t>(44 + 20 * cpus);
  memory.replace(config, 4, "PCMP");
  Put<uint16_t>(memory, config + 4, length);
  Put<uint8_t>(memory, config + 6, 4);  // spec revision 1.4
  memory.replace(config + 8, 20, "HULL    TESTGUEST   ");
  Put<uint16_t>(memory, config + 34, static_cast<uint16_t>(cpus));
  Put<uint32_t>(memory, config + 36, 0xfee00000);
  for (int i = 0; i < cpus; i++) {
    uint64_t entry = config + 44 + 20 * i;
    Put<uint8_t>(memory, entry + 0, 0);                        // processor
    Put<uint8_t>(memory, entry + 1, static_cast<uint8_t>(i));  // local APIC ID
    Put<uint8_t>(memory, entry + 2, 0x14);                     // local APIC version
    Put<uint8_t>(memory, entry + 3, i == 0 ? 0x3 : 0x1);       // enabled, BSP
  }
  Put<uint8_t>(memory, config + 7, Checksum(memory, config, length));
  memory.replace(kMpTable, 4, "_MP_");
  Put<uint32_t>(memory, kMpTable + 4, static_cast<uint32_t>(config));
  Put<uint8_t>(memory, kMpTable + 8, 1);  // length in 16-byte units
  Put<uint8_t>(memory, kMpTable + 9, 4);
  Put<uint8_t>(memory, kMpTable + 10, Checksum(memory, kMpTable, 16));
}

// Guest-physical 0 .. 640 KiB as a 64-bit boot protocol loader leaves it.
std::string LowMemory(const std::string& cmdline, uint32_t initrd_size, int cpus) {
  std::string memory(kLowMemoryEnd, '\0');
  // At reset QEMU's GDTR base is 0, and its gdbstub reads a written selector's
  // descriptor there; hull-vmm's copy is at 0x500.
  for (size_t i = 0; i < std::size(kBootGdt); i++) {
    Put(memory, 8 * i, kBootGdt[i]);
    Put(memory, kGdt + 8 * i, kBootGdt[i]);
  }
  boot_params params = {};
  params.hdr.boot_flag = 0xaa55;
  params.hdr.header = 0x53726448;
  params.hdr.version = 0x020f;
  params.hdr.type_of_loader = 0xff;
  params.hdr.loadflags = LOADED_HIGH;
  params.hdr.cmd_line_ptr = kCmdline;
  params.hdr.cmdline_size = 2048;
  params.hdr.ramdisk_image = initrd_size ? kInitrd : 0;
  params.hdr.ramdisk_size = initrd_size;
  params.e820_table[0] = {0, kMpTable, 1};
  params.e820_table[1] = {kMpTable, kLowMemoryEnd - kMpTable, 2};
  params.e820_table[2] = {kLoadAddress, kRamEnd - kLoadAddress, 1};
  params.e820_entries = 3;
  Put(memory, kZeroPage, params);
  // Identity map of 0-4 GiB with 2 MiB pages: PML4, one PDPT, four page directories.
  const uint64_t pdpt = kPml4 + 0x1000, pd = kPml4 + 0x2000;
  Put<uint64_t>(memory, kPml4, pdpt | 0x3);
  for (uint64_t i = 0; i < 4; i++) Put<uint64_t>(memory, pdpt + 8 * i, (pd + 0x1000 * i) | 0x3);
  for (uint64_t i = 0; i < 2048; i++) Put<uint64_t>(memory, pd + 8 * i, (i << 21) | 0x83);
  memory.replace(kCmdline, cmdline.size(), cmdline);
  PutMpTable(memory, cpus);
  return memory;
}

// Sets the vCPU as the 64-bit boot protocol hands it over and resumes it. The order
// matters: PAE and EFER.LME before CR0.PG (which sets LMA), paging before CS.
bool EnterStartup64(const std::string& gdb_socket) {
  auto gdb = GdbRemote::Connect(gdb_socket, std::chrono::seconds(10));
  if (!gdb.ok()) {
    ADD_FAILURE() << gdb.status().message();
    return false;
  }
  const std::pair<X86Register, uint64_t> kState[] = {
      {X86Register::kCr4, 0x20},        {X86Register::kEfer, 0x100},
      {X86Register::kCr3, kPml4},       {X86Register::kCr0, 0x80000011},
      {X86Register::kCs, 0x10},         {X86Register::kDs, 0x18},
      {X86Register::kEs, 0x18},         {X86Register::kSs, 0x18},
      {X86Register::kRip, kLoadAddress + 0x200},
      {X86Register::kRsi, kZeroPage},   {X86Register::kRsp, kStackTop},
      {X86Register::kEflags, 0x2},
  };
  for (const auto& [reg, value] : kState) {
    base::Status status = gdb->WriteRegister(reg, value);
    if (!status.ok()) {
      ADD_FAILURE() << status.message();
      return false;
    }
  }
  base::Status status = gdb->Detach();
  if (!status.ok()) ADD_FAILURE() << status.message();
  return status.ok();
}

class Startup64 : public ::testing::TestWithParam<std::string> {
 protected:
  // Boots the image named by the parameter straight into startup_64.
  QemuRun Boot(const std::string& cmdline, const std::string& initrd = "", int cpus = 1) {
    if (dir_.path().empty()) {
      ADD_FAILURE() << "mkdtemp failed";
      return {};
    }
    std::filesystem::path low = dir_.path() / "low.bin";
    std::filesystem::path initrd_path = dir_.path() / "initrd";
    EXPECT_TRUE(WriteFile(low, LowMemory(cmdline, static_cast<uint32_t>(initrd.size()), cpus)));
    EXPECT_TRUE(WriteFile(initrd_path, initrd));
    QemuOptions options;
    options.boot_args = {
        "-smp", std::to_string(cpus),
        "-device", "loader,file=" + low.string() + ",addr=0,force-raw=on",
        "-device", "loader,file=" + initrd_path.string() + ",addr=" + std::to_string(kInitrd) +
                       ",force-raw=on",
        "-device", ImageLoader()};
    options.while_paused = EnterStartup64;
    return RunQemu(options);
  }

 private:
  // The ELF is loaded by its PT_LOAD p_paddr; the bzImage's protected-mode part at
  // 1 MiB, as hull-vmm does.
  std::string ImageLoader() {
    if (GetParam() == "elf") return std::string("loader,file=") + HULL_TEST_GUEST_ELF_PATH;
    std::string image = ReadFile(HULL_TEST_GUEST_BZIMAGE_PATH);
    size_t setup_size = (static_cast<uint8_t>(image.at(0x1f1)) + 1) * 512;
    std::filesystem::path part = dir_.path() / "protected.bin";
    EXPECT_TRUE(WriteFile(part, image.substr(setup_size)));
    return "loader,file=" + part.string() + ",addr=" + std::to_string(kLoadAddress) +
           ",force-raw=on";
  }

  TempDir dir_;
};

TEST_P(Startup64, BootStateShowsTheHandedOverStateAndBootParams) {
  SKIP_WITHOUT_QEMU();
  const std::string cmdline = "hulltest.mode=bootstate marker=direct-64";
  const std::string initrd = "hull initrd payload 0123456789 " + std::string(5000, 'x');
  QemuRun run = Boot(cmdline, initrd, 2);
  ASSERT_EQ(run.exit_code, QemuExitCode(0)) << run.error << run.log << run.serial;
  ASSERT_TRUE(run.serial.ends_with("\ndone\n")) << run.serial;
  auto report = ParseReport(run.serial);
  EXPECT_EQ(report["entry"], "startup_64");
  EXPECT_EQ(Number(report, "rsi"), kZeroPage);
  EXPECT_EQ(Number(report, "rsp"), kStackTop);
  EXPECT_EQ(Number(report, "cs"), 0x10u);
  EXPECT_EQ(Number(report, "cr0"), 0x80000011u);
  EXPECT_EQ(Number(report, "cr3"), kPml4);
  EXPECT_EQ(Number(report, "cr4"), 0x20u);
  EXPECT_EQ(Number(report, "efer"), 0x500u);
  EXPECT_EQ(Number(report, "rflags"), 0x2u);
  EXPECT_EQ(Number(report, "rflags_if"), 0u);
  EXPECT_EQ(Number(report, "type_of_loader"), 0xffu);
  EXPECT_EQ(Number(report, "cmd_line_ptr"), kCmdline);
  EXPECT_EQ(report["cmdline"], cmdline);
  EXPECT_EQ(Number(report, "ramdisk_image"), kInitrd);
  EXPECT_EQ(Number(report, "ramdisk_size"), initrd.size());
  EXPECT_EQ(Number(report, "initrd_fnv1a"), Fnv1a(initrd));
  EXPECT_EQ(report["initrd_head"], initrd.substr(0, 16));
  EXPECT_EQ(Number(report, "e820_entries"), 3u);
  EXPECT_EQ(report["e820.0"], "0x0,0x9fc00,1");
  EXPECT_EQ(report["e820.1"], "0x9fc00,0x400,2");
  EXPECT_EQ(report["e820.2"], "0x100000,0x3f00000,1");
  EXPECT_EQ(Number(report, "mp.found"), 1u);
  EXPECT_EQ(Number(report, "mp.floating"), kMpTable);
  EXPECT_EQ(Number(report, "mp.checksum_ok"), 1u);
  EXPECT_EQ(Number(report, "mp.config_checksum_ok"), 1u);
  EXPECT_EQ(Number(report, "mp.cpus"), 2u);
  EXPECT_EQ(report["mp.cpu.0"], "0,0x3");
  EXPECT_EQ(report["mp.cpu.1"], "1,0x1");
}

TEST_P(Startup64, HelloIsByteExact) {
  SKIP_WITHOUT_QEMU();
  QemuRun run = Boot("hulltest.mode=hello");
  std::string expected = "hello from the hull test guest\nbytes:";
  for (int b = 0; b < 256; b++) expected.push_back(static_cast<char>(b));
  expected += "\n";
  EXPECT_EQ(run.serial, expected);
  EXPECT_EQ(run.exit_code, QemuExitCode(0)) << run.error << run.log;
}

INSTANTIATE_TEST_SUITE_P(TestGuestUnderQemu, Startup64, ::testing::Values("elf", "bzimage"));

}  // namespace
}  // namespace hull::tests
