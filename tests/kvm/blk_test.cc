// virtio-blk end to end under real KVM: hull-vmm builds a virtio-blk device from the
// config file's "drives", and the test guest (mode "blk") finds it on the command line,
// reads, writes a known pattern, flushes, reads back and gets the id; the test then
// checks the host files — the raw image holds the pattern, a read-only drive refused
// the write, a copy-on-write drive left its base byte-identical and kept the data in
// its overlay across a second boot. Also: drive order, root=, a missing image.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "devices/block/test_files.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

using devices::block::testing::PatternBytes;
using devices::block::testing::ReadFile;
using devices::block::testing::TempDir;
using devices::block::testing::WriteFile;

constexpr uint64_t kImageSize = 1 << 20;  // 2048 sectors
constexpr uint64_t kSector = 8;           // where the guest writes (its default)
constexpr uint64_t kIoBytes = 4096;

// What the guest writes: byte i = (i + (i >> 8) * 13 + 0x5a) & 0xff (tests/guests/blk.c).
std::vector<uint8_t> GuestPattern() {
  std::vector<uint8_t> out(kIoBytes);
  for (uint32_t i = 0; i < kIoBytes; ++i) out[i] = static_cast<uint8_t>(i + (i >> 8) * 13 + 0x5a);
  return out;
}

std::string Fnv1a(const std::vector<uint8_t>& bytes, uint64_t at, uint64_t len) {
  uint32_t h = 0x811c9dc5u;
  for (uint64_t i = at; i < at + len; ++i) h = (h ^ bytes[i]) * 0x01000193u;
  char text[16];
  std::snprintf(text, sizeof(text), "0x%x", h);
  return text;
}

struct Drive {
  std::string id, path;
  bool read_only = false, root = false, writeback = true;
  std::string overlay;
};

std::string ConfigJson(const std::vector<Drive>& drives, const std::string& boot_args) {
  std::string json = R"({"boot-source": {"kernel_image_path": ")" + GuestElf() +
                     R"(", "boot_args": ")" + boot_args + R"("},
    "machine-config": {"vcpu_count": 1, "mem_size_mib": 32}, "drives": [)";
  for (size_t i = 0; i < drives.size(); ++i) {
    const Drive& d = drives[i];
    json += (i ? "," : "") + std::string(R"({"drive_id": ")") + d.id + R"(", "path_on_host": ")" +
            d.path + R"(", "is_root_device": )" + (d.root ? "true" : "false") +
            R"(, "is_read_only": )" + (d.read_only ? "true" : "false") + R"(, "cache_type": ")" +
            (d.writeback ? "Writeback" : "Unsafe") + "\"" +
            (d.overlay.empty() ? "" : R"(, "overlay_path": ")" + d.overlay + "\"") + "}";
  }
  return json + "]}";
}

ProcessResult Boot(const std::vector<Drive>& drives, const std::string& boot_args = "hulltest.mode=blk") {
  TempFile config(ConfigJson(drives, boot_args));
  return RunVmm({"--config", config.path()});
}

TEST(VmmBlk, GuestWritesBlocksThatReachTheHostFile) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  const auto image = PatternBytes(kImageSize, 4);
  WriteFile(dir.Path("disk.img"), image);
  ProcessResult r = Boot({{.id = "data_disk", .path = dir.Path("disk.img")}});
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["blk.device"], "0xd0000000") << r.out;
  EXPECT_EQ(report["blk.capacity"], "2048");
  EXPECT_EQ(report["blk.ro"], "0");
  EXPECT_EQ(report["blk.flush"], "1");
  EXPECT_EQ(report["blk.id"], "data_disk");
  EXPECT_EQ(report["blk.before"], Fnv1a(image, kSector * 512, kIoBytes));
  EXPECT_EQ(report["blk.write_status"], "0");
  EXPECT_EQ(report["blk.flush_status"], "0");
  EXPECT_EQ(report["blk.read_status"], "0");
  EXPECT_EQ(report["blk.compare"], "ok");
  auto want = image;
  auto pattern = GuestPattern();
  std::copy(pattern.begin(), pattern.end(), want.begin() + kSector * 512);
  EXPECT_EQ(ReadFile(dir.Path("disk.img")), want);
}

TEST(VmmBlk, ReadOnlyDriveRefusesWritesAndKeepsTheFile) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  const auto image = PatternBytes(kImageSize, 5);
  WriteFile(dir.Path("ro.img"), image);
  ProcessResult r = Boot({{.id = "ro", .path = dir.Path("ro.img"), .read_only = true, .writeback = false}});
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["blk.ro"], "1") << r.out;
  EXPECT_EQ(report["blk.flush"], "0");
  EXPECT_EQ(report["blk.write_status"], "1");  // VIRTIO_BLK_S_IOERR
  EXPECT_EQ(report["blk.read_status"], "0");
  EXPECT_EQ(report["blk.compare"], "ok");  // still what was there before
  EXPECT_EQ(ReadFile(dir.Path("ro.img")), image);
}

TEST(VmmBlk, CopyOnWriteLeavesTheBaseUntouchedAndKeepsWritesAcrossBoots) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  const auto base = PatternBytes(kImageSize, 6);
  WriteFile(dir.Path("base.img"), base);
  Drive drive{.id = "cow", .path = dir.Path("base.img"), .overlay = dir.Path("overlay")};
  ProcessResult r = Boot({drive});
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["blk.before"], Fnv1a(base, kSector * 512, kIoBytes)) << r.out;
  EXPECT_EQ(report["blk.write_status"], "0");
  EXPECT_EQ(report["blk.compare"], "ok");
  EXPECT_EQ(ReadFile(dir.Path("base.img")), base);
  EXPECT_GT(ReadFile(dir.Path("overlay")).size(), 4096u);

  // A second VMM on the same overlay sees the first one's write.
  r = Boot({drive});
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  report = ParseReport(r.out);
  auto pattern = GuestPattern();
  EXPECT_EQ(report["blk.before"], Fnv1a(pattern, 0, kIoBytes)) << r.out;
  EXPECT_EQ(ReadFile(dir.Path("base.img")), base);
}

TEST(VmmBlk, DrivesAppearInConfigOrder) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  WriteFile(dir.Path("a.img"), PatternBytes(kImageSize, 1));
  WriteFile(dir.Path("b.img"), PatternBytes(kImageSize / 2, 2));
  std::vector<Drive> drives{{.id = "first", .path = dir.Path("a.img")},
                            {.id = "second", .path = dir.Path("b.img")}};
  ProcessResult r = Boot(drives, "hulltest.mode=blk hulltest.blk.index=1");
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["blk.device"], "0xd0001000") << r.out;
  EXPECT_EQ(report["blk.id"], "second");
  EXPECT_EQ(report["blk.capacity"], "1024");
}

TEST(VmmBlk, RootDeviceIsNamedOnTheCommandLine) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  WriteFile(dir.Path("root.img"), PatternBytes(kImageSize, 1));
  ProcessResult r = Boot({{.id = "rootfs", .path = dir.Path("root.img"), .read_only = true, .root = true}},
                         "hulltest.mode=bootstate");
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  std::string cmdline = ParseReport(r.out)["cmdline"];
  EXPECT_NE(cmdline.find("root=/dev/vda ro"), std::string::npos) << cmdline;
}

TEST(VmmBlk, DriveFlagAddsADiskWithoutAConfigFile) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  const auto image = PatternBytes(kImageSize, 7);
  WriteFile(dir.Path("flag.img"), image);
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=blk", "--memory", "32",
                            "--drive", "id=flag_disk,path=" + dir.Path("flag.img") + ",cache=writeback"});
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["blk.id"], "flag_disk") << r.out;
  EXPECT_EQ(report["blk.flush"], "1");
  EXPECT_EQ(report["blk.compare"], "ok");
  auto want = image;
  auto pattern = GuestPattern();
  std::copy(pattern.begin(), pattern.end(), want.begin() + kSector * 512);
  EXPECT_EQ(ReadFile(dir.Path("flag.img")), want);
}

TEST(VmmBlk, MissingImageIsAClearErrorBeforeBoot) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  ProcessResult r = Boot({{.id = "gone", .path = dir.Path("missing.img")}});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.err.find(dir.Path("missing.img")), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("blk."), std::string::npos) << r.out;  // the guest never ran
}

}  // namespace
}  // namespace hull::testing
