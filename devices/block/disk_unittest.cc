// The disk backends on real files: RawDisk reads, writes and zeroes in place and opens
// read-only disks O_RDONLY; CowDisk keeps the base byte-identical, puts writes (whole
// and partial clusters, zeroes) in the overlay, survives being reopened, and refuses
// overlays that do not belong to the base.
#include <gtest/gtest.h>

#include <cstring>

#include "devices/block/cow_disk.h"
#include "devices/block/raw_disk.h"
#include "devices/block/test_files.h"

namespace hull::devices::block {
namespace {

using testing::PatternBytes;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

std::vector<uint8_t> Read(Disk& disk, uint64_t offset, uint64_t len) {
  std::vector<uint8_t> out(len, 0xee);
  // Two iovecs, so the backends' splitting is exercised too.
  iovec iov[2] = {{out.data(), len / 3}, {out.data() + len / 3, len - len / 3}};
  EXPECT_TRUE(disk.ReadV(offset, iov).ok());
  return out;
}

void Write(Disk& disk, uint64_t offset, std::vector<uint8_t> bytes) {
  iovec iov{bytes.data(), bytes.size()};
  ASSERT_TRUE(disk.WriteV(offset, {&iov, 1}).ok());
}

std::vector<uint8_t> Slice(const std::vector<uint8_t>& v, uint64_t at, uint64_t len) {
  return {v.begin() + static_cast<long>(at), v.begin() + static_cast<long>(at + len)};
}

TEST(RawDisk, ReadsWritesAndZeroesTheFileInPlace) {
  TempDir dir;
  auto image = PatternBytes(1 << 20, 1);
  WriteFile(dir.Path("disk"), image);
  auto disk = RawDisk::Open(dir.Path("disk"), false);
  ASSERT_TRUE(disk.ok()) << disk.status().message();
  EXPECT_EQ((*disk)->size(), 1u << 20);
  EXPECT_EQ(Read(**disk, 4096, 3000), Slice(image, 4096, 3000));
  Write(**disk, 512, std::vector<uint8_t>(1024, 0xab));
  ASSERT_TRUE((*disk)->WriteZeroes(65536, 8192).ok());
  ASSERT_TRUE((*disk)->Flush().ok());
  auto after = ReadFile(dir.Path("disk"));
  std::fill(image.begin() + 512, image.begin() + 1536, 0xab);
  std::fill(image.begin() + 65536, image.begin() + 65536 + 8192, 0);
  EXPECT_EQ(after, image);
}

TEST(RawDisk, ReadOnlyDiskCannotBeWritten) {
  TempDir dir;
  WriteFile(dir.Path("disk"), PatternBytes(8192, 2));
  auto disk = RawDisk::Open(dir.Path("disk"), true);
  ASSERT_TRUE(disk.ok());
  EXPECT_FALSE((*disk)->supports_discard());
  std::vector<uint8_t> bytes(512, 1);
  iovec iov{bytes.data(), bytes.size()};
  EXPECT_FALSE((*disk)->WriteV(0, {&iov, 1}).ok());  // EBADF: the fd is O_RDONLY
  EXPECT_EQ(ReadFile(dir.Path("disk")), PatternBytes(8192, 2));
}

TEST(RawDisk, MissingFileIsAClearError) {
  TempDir dir;
  auto disk = RawDisk::Open(dir.Path("nope"), false);
  ASSERT_FALSE(disk.ok());
  EXPECT_NE(disk.status().message().find(dir.Path("nope")), std::string::npos);
}

TEST(RawDisk, ReadPastTheEndOfAShrunkFileYieldsZeros) {
  TempDir dir;
  WriteFile(dir.Path("disk"), PatternBytes(4096, 3));
  auto disk = RawDisk::Open(dir.Path("disk"), true);
  ASSERT_TRUE(disk.ok());
  ASSERT_EQ(truncate(dir.Path("disk").c_str(), 1024), 0);
  auto got = Read(**disk, 0, 4096);
  auto want = PatternBytes(1024, 3);
  want.resize(4096, 0);
  EXPECT_EQ(got, want);
}

class CowDiskTest : public ::testing::Test {
 protected:
  // Three and a half clusters, so the last one is partial.
  static constexpr uint64_t kSize = 3 * kCowClusterSize + kCowClusterSize / 2;
  void SetUp() override {
    base_ = PatternBytes(kSize, 9);
    WriteFile(dir_.Path("base"), base_);
  }
  std::unique_ptr<CowDisk> Open() {
    auto disk = CowDisk::Open(dir_.Path("base"), dir_.Path("overlay"));
    EXPECT_TRUE(disk.ok()) << disk.status().message();
    return disk.ok() ? std::move(*disk) : nullptr;
  }
  TempDir dir_;
  std::vector<uint8_t> base_;
};

TEST_F(CowDiskTest, NewOverlayReadsAsTheBase) {
  auto disk = Open();
  ASSERT_TRUE(disk);
  EXPECT_EQ(disk->size(), kSize);
  EXPECT_EQ(Read(*disk, 0, kSize), base_);
  EXPECT_EQ(disk->allocated_clusters(), 0u);
}

TEST_F(CowDiskTest, WritesLandInTheOverlayAndTheBaseStaysByteIdentical) {
  auto disk = Open();
  ASSERT_TRUE(disk);
  auto expected = base_;
  // A partial cluster (read-modify-write), a write spanning two clusters, and the tail.
  Write(*disk, 1000, std::vector<uint8_t>(512, 0x11));
  std::fill(expected.begin() + 1000, expected.begin() + 1512, 0x11);
  Write(*disk, 2 * kCowClusterSize - 512, std::vector<uint8_t>(1024, 0x22));
  std::fill(expected.begin() + 2 * kCowClusterSize - 512, expected.begin() + 2 * kCowClusterSize + 512, 0x22);
  Write(*disk, kSize - 512, std::vector<uint8_t>(512, 0x33));
  std::fill(expected.end() - 512, expected.end(), 0x33);
  ASSERT_TRUE(disk->Flush().ok());
  EXPECT_EQ(Read(*disk, 0, kSize), expected);
  EXPECT_EQ(disk->allocated_clusters(), 4u);
  EXPECT_EQ(ReadFile(dir_.Path("base")), base_);
}

TEST_F(CowDiskTest, WholeClusterWriteNeedsNoBaseRead) {
  auto disk = Open();
  ASSERT_TRUE(disk);
  Write(*disk, kCowClusterSize, std::vector<uint8_t>(kCowClusterSize, 0x44));
  EXPECT_EQ(Read(*disk, kCowClusterSize, kCowClusterSize), std::vector<uint8_t>(kCowClusterSize, 0x44));
  EXPECT_EQ(Read(*disk, 0, kCowClusterSize), Slice(base_, 0, kCowClusterSize));
  EXPECT_EQ(disk->allocated_clusters(), 1u);
}

TEST_F(CowDiskTest, OverlaySurvivesReopening) {
  {
    auto disk = Open();
    ASSERT_TRUE(disk);
    Write(*disk, 4096, std::vector<uint8_t>(4096, 0x55));
  }
  auto disk = Open();
  ASSERT_TRUE(disk);
  auto expected = base_;
  std::fill(expected.begin() + 4096, expected.begin() + 8192, 0x55);
  EXPECT_EQ(Read(*disk, 0, kSize), expected);
  EXPECT_EQ(ReadFile(dir_.Path("base")), base_);
}

TEST_F(CowDiskTest, ZeroesHideTheBaseEvenAfterReopening) {
  {
    auto disk = Open();
    ASSERT_TRUE(disk);
    ASSERT_TRUE(disk->WriteZeroes(512, 2 * kCowClusterSize).ok());  // partial, whole, partial
  }
  auto disk = Open();
  ASSERT_TRUE(disk);
  auto expected = base_;
  std::fill(expected.begin() + 512, expected.begin() + 512 + 2 * kCowClusterSize, 0);
  EXPECT_EQ(Read(*disk, 0, kSize), expected);
  EXPECT_EQ(ReadFile(dir_.Path("base")), base_);
}

TEST_F(CowDiskTest, RefusesOverlayOfAnotherBaseSize) {
  { ASSERT_TRUE(Open()); }
  WriteFile(dir_.Path("base"), PatternBytes(kSize + 512, 9));
  auto disk = CowDisk::Open(dir_.Path("base"), dir_.Path("overlay"));
  ASSERT_FALSE(disk.ok());
  EXPECT_NE(disk.status().message().find("made for a base of"), std::string::npos);
}

TEST_F(CowDiskTest, RefusesAFileThatIsNotAnOverlay) {
  WriteFile(dir_.Path("overlay"), PatternBytes(8192, 1));
  auto disk = CowDisk::Open(dir_.Path("base"), dir_.Path("overlay"));
  ASSERT_FALSE(disk.ok());
  EXPECT_NE(disk.status().message().find("bad magic"), std::string::npos);
}

TEST_F(CowDiskTest, RefusesAnOverlayInUseByAnotherDisk) {
  auto first = Open();
  ASSERT_TRUE(first);
  auto second = CowDisk::Open(dir_.Path("base"), dir_.Path("overlay"));
  EXPECT_FALSE(second.ok());
}

TEST_F(CowDiskTest, MissingBaseIsAClearError) {
  auto disk = CowDisk::Open(dir_.Path("missing"), dir_.Path("overlay"));
  ASSERT_FALSE(disk.ok());
  EXPECT_NE(disk.status().message().find("base image"), std::string::npos);
}

}  // namespace
}  // namespace hull::devices::block
