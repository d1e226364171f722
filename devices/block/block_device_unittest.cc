// virtio-blk driven through the virtio-mmio transport by the fake driver, on real
// files: reads, writes, flush, get-id, discard and write-zeroes reach the file; every
// malformed request gets the status byte the spec asks for, or — when there is no
// status byte to write, or the chain itself is broken — DEVICE_NEEDS_RESET; the worker
// thread serves kicks and stops on reset.
#include "devices/block/block_device.h"

#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "devices/block/cow_disk.h"
#include "devices/block/raw_disk.h"
#include "devices/block/test_files.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::block {
namespace {

using devices::testing::Buffer;
using testing::PatternBytes;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr uint64_t kVersion1 = 1ull << VIRTIO_F_VERSION_1;
constexpr uint64_t kDiskSize = 1 << 20;  // 2048 sectors
constexpr uint64_t Bit(unsigned n) { return uint64_t{1} << n; }

struct Answer {
  uint32_t used_len = 0;
  uint8_t status = 0xff;
};

class BlockDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteFile(dir_.Path("disk"), PatternBytes(kDiskSize, 5)); }

  void Start(BlockDevice::Options options, uint64_t features = ~uint64_t{0},
             std::unique_ptr<Disk> disk = nullptr) {
    if (!disk) {
      auto raw = RawDisk::Open(dir_.Path("disk"), options.read_only);
      ASSERT_TRUE(raw.ok()) << raw.status().message();
      disk = std::move(*raw);
    }
    auto device = BlockDevice::Create(std::move(disk), options);
    ASSERT_TRUE(device.ok());
    device_ = *device;
    auto t = virtio::MmioTransport::Create(device_, ram_.memory(), irq_, nullptr);
    ASSERT_TRUE(t.ok()) << t.status().message();
    transport_ = *t;
    driver_ = std::make_unique<devices::testing::FakeDriver>(*transport_, ram_.memory());
    ASSERT_TRUE(driver_->BringUp((driver_->DeviceFeatures() & features) | kVersion1, {64}).ok());
  }
  void Start() { Start({.id = "disk0", .read_only = false, .writeback = true, .worker = false}); }

  Buffer Header(uint32_t type, uint64_t sector) {
    virtio_blk_outhdr h{type, 0, sector};
    return driver_->Readable({reinterpret_cast<const uint8_t*>(&h), sizeof(h)});
  }
  // Posts a chain, kicks, lets the device run; the used length and the status byte
  // (the chain's last buffer), if the chain came back.
  std::optional<Answer> Submit(std::vector<Buffer> buffers) {
    driver_->queue(0).AddChain(buffers);
    driver_->Kick(0);
    device_->Process();
    auto used = driver_->queue(0).PopUsed();
    if (!used) return std::nullopt;
    const Buffer& last = buffers.back();
    return Answer{used->len, driver_->ReadBytes(last.addr + last.len - 1, 1)[0]};
  }
  std::optional<Answer> ReadSectors(uint64_t sector, Buffer data) {
    return Submit({Header(VIRTIO_BLK_T_IN, sector), data, driver_->Writable(1)});
  }
  std::optional<Answer> WriteSectors(uint64_t sector, const std::vector<uint8_t>& bytes) {
    return Submit({Header(VIRTIO_BLK_T_OUT, sector), driver_->Readable(bytes), driver_->Writable(1)});
  }
  bool NeedsReset() const { return (driver_->status() & VIRTIO_CONFIG_S_NEEDS_RESET) != 0; }
  uint32_t Config32(uint32_t offset) const { return driver_->Read32(VIRTIO_MMIO_CONFIG + offset); }

  TempDir dir_;
  devices::testing::FakeGuestMemory ram_;
  std::shared_ptr<devices::testing::FakeInterruptLine> irq_ =
      std::make_shared<devices::testing::FakeInterruptLine>();
  std::shared_ptr<BlockDevice> device_;
  std::shared_ptr<virtio::MmioTransport> transport_;
  std::unique_ptr<devices::testing::FakeDriver> driver_;
};

TEST_F(BlockDeviceTest, IdentifiesAsBlockDeviceWithCapacityInSectors) {
  Start();
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_DEVICE_ID), uint32_t{VIRTIO_ID_BLOCK});
  EXPECT_EQ(Config32(offsetof(virtio_blk_config, capacity)), kDiskSize / 512);
  EXPECT_EQ(Config32(offsetof(virtio_blk_config, capacity) + 4), 0u);
  EXPECT_EQ(Config32(offsetof(virtio_blk_config, blk_size)), 512u);
  EXPECT_EQ(Config32(offsetof(virtio_blk_config, seg_max)), kBlockQueueSize - 2u);
}

TEST_F(BlockDeviceTest, OffersFlushOnlyForWritebackAndNoWritesOnReadOnlyDisks) {
  Start({.id = "a", .read_only = false, .writeback = true, .worker = false});
  uint64_t rw = driver_->DeviceFeatures();
  EXPECT_TRUE(rw & Bit(VIRTIO_BLK_F_FLUSH));
  EXPECT_FALSE(rw & Bit(VIRTIO_BLK_F_RO));
  EXPECT_TRUE(rw & Bit(VIRTIO_BLK_F_WRITE_ZEROES));
  Start({.id = "b", .read_only = true, .writeback = false, .worker = false});
  uint64_t ro = driver_->DeviceFeatures();
  EXPECT_FALSE(ro & Bit(VIRTIO_BLK_F_FLUSH));
  EXPECT_TRUE(ro & Bit(VIRTIO_BLK_F_RO));
  EXPECT_FALSE(ro & Bit(VIRTIO_BLK_F_WRITE_ZEROES));
  EXPECT_FALSE(ro & Bit(VIRTIO_BLK_F_DISCARD));
}

TEST_F(BlockDeviceTest, WritesReachTheFileAndReadBackAcrossBuffers) {
  Start();
  std::vector<uint8_t> data(3 * 512);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13 + 1);
  // Header and the first bytes of data in one buffer, the rest split unevenly.
  virtio_blk_outhdr h{VIRTIO_BLK_T_OUT, 0, 10};
  std::vector<uint8_t> first(reinterpret_cast<uint8_t*>(&h), reinterpret_cast<uint8_t*>(&h) + 16);
  first.insert(first.end(), data.begin(), data.begin() + 100);
  std::vector<uint8_t> rest(data.begin() + 100, data.end());
  auto w = Submit({driver_->Readable(first), driver_->Readable(rest), driver_->Writable(1)});
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, VIRTIO_BLK_S_OK);
  EXPECT_EQ(w->used_len, 1u);
  ASSERT_TRUE(Submit({Header(VIRTIO_BLK_T_FLUSH, 0), driver_->Writable(1)}));

  auto file = ReadFile(dir_.Path("disk"));
  EXPECT_TRUE(std::equal(data.begin(), data.end(), file.begin() + 10 * 512));

  Buffer a = driver_->Writable(700), b = driver_->Writable(3 * 512 - 700);
  auto r = Submit({Header(VIRTIO_BLK_T_IN, 10), a, b, driver_->Writable(1)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, VIRTIO_BLK_S_OK);
  EXPECT_EQ(r->used_len, 3 * 512 + 1u);
  auto got = driver_->ReadBytes(a.addr, 700);
  auto got_b = driver_->ReadBytes(b.addr, b.len);
  got.insert(got.end(), got_b.begin(), got_b.end());
  EXPECT_EQ(got, data);
  EXPECT_EQ(device_->requests(), 3u);
  EXPECT_FALSE(NeedsReset());
}

TEST_F(BlockDeviceTest, DataAndStatusInOneWritableBuffer) {
  Start();
  Buffer both = driver_->Writable(513);
  auto r = Submit({Header(VIRTIO_BLK_T_IN, 1), both});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, VIRTIO_BLK_S_OK);
  EXPECT_EQ(r->used_len, 513u);
  auto image = PatternBytes(kDiskSize, 5);
  EXPECT_EQ(driver_->ReadBytes(both.addr, 512),
            std::vector<uint8_t>(image.begin() + 512, image.begin() + 1024));
}

TEST_F(BlockDeviceTest, GetIdAnswersTheDriveIdPaddedToTwentyBytes) {
  Start();
  Buffer id = driver_->Writable(VIRTIO_BLK_ID_BYTES);
  auto r = Submit({Header(VIRTIO_BLK_T_GET_ID, 0), id, driver_->Writable(1)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, VIRTIO_BLK_S_OK);
  EXPECT_EQ(r->used_len, VIRTIO_BLK_ID_BYTES + 1u);
  std::vector<uint8_t> want(VIRTIO_BLK_ID_BYTES, 0);
  std::memcpy(want.data(), "disk0", 5);
  EXPECT_EQ(driver_->ReadBytes(id.addr, VIRTIO_BLK_ID_BYTES), want);
}

TEST_F(BlockDeviceTest, ReadOnlyDiskAnswersWritesWithIoerrAndKeepsTheFile) {
  Start({.id = "ro", .read_only = true, .writeback = false, .worker = false});
  auto w = WriteSectors(0, std::vector<uint8_t>(512, 0xaa));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, VIRTIO_BLK_S_IOERR);
  auto z = Submit({Header(VIRTIO_BLK_T_WRITE_ZEROES, 0), driver_->Writable(1)});
  ASSERT_TRUE(z);
  EXPECT_EQ(z->status, VIRTIO_BLK_S_UNSUPP);  // not offered on a read-only disk
  EXPECT_EQ(ReadFile(dir_.Path("disk")), PatternBytes(kDiskSize, 5));
  auto r = ReadSectors(0, driver_->Writable(512));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, VIRTIO_BLK_S_OK);
  EXPECT_FALSE(NeedsReset());
}

TEST_F(BlockDeviceTest, UnknownRequestTypeAnswersUnsupp) {
  Start();
  for (uint32_t type : {2u, 14u, 0x80000000u, 12345u}) {
    auto r = Submit({Header(type, 0), driver_->Writable(1)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, VIRTIO_BLK_S_UNSUPP) << type;
    EXPECT_EQ(r->used_len, 1u);
  }
  EXPECT_FALSE(NeedsReset());
}

TEST_F(BlockDeviceTest, OutOfRangeAndPartialSectorRequestsAnswerIoerr) {
  Start();
  const uint64_t last = kDiskSize / 512 - 1;
  EXPECT_EQ(ReadSectors(last, driver_->Writable(512))->status, VIRTIO_BLK_S_OK);
  EXPECT_EQ(ReadSectors(last, driver_->Writable(1024))->status, VIRTIO_BLK_S_IOERR);  // crosses the end
  EXPECT_EQ(ReadSectors(last + 1, driver_->Writable(512))->status, VIRTIO_BLK_S_IOERR);
  EXPECT_EQ(ReadSectors(~uint64_t{0}, driver_->Writable(512))->status, VIRTIO_BLK_S_IOERR);
  EXPECT_EQ(ReadSectors(0, driver_->Writable(100))->status, VIRTIO_BLK_S_IOERR);  // not whole sectors
  EXPECT_EQ(WriteSectors(last, std::vector<uint8_t>(1024, 1))->status, VIRTIO_BLK_S_IOERR);
  EXPECT_EQ(WriteSectors(~uint64_t{0} >> 9, std::vector<uint8_t>(512, 1))->status, VIRTIO_BLK_S_IOERR);
  EXPECT_EQ(ReadFile(dir_.Path("disk")), PatternBytes(kDiskSize, 5));
  EXPECT_FALSE(NeedsReset());
}

TEST_F(BlockDeviceTest, ShortHeaderAndWrongDirectionsAnswerIoerr) {
  Start();
  const uint8_t shorty[8] = {};
  EXPECT_EQ(Submit({driver_->Readable(shorty), driver_->Writable(1)})->status, VIRTIO_BLK_S_IOERR);
  // A read with readable data after the header; a write with writable data before the status.
  const uint8_t extra[512] = {};
  EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_IN, 0), driver_->Readable(extra), driver_->Writable(513)})->status,
            VIRTIO_BLK_S_IOERR);
  EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_OUT, 0), driver_->Readable(extra), driver_->Writable(513)})->status,
            VIRTIO_BLK_S_IOERR);
  EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_GET_ID, 0), driver_->Writable(1)})->status, VIRTIO_BLK_S_IOERR);
  EXPECT_EQ(ReadFile(dir_.Path("disk")), PatternBytes(kDiskSize, 5));
  EXPECT_FALSE(NeedsReset());
}

TEST_F(BlockDeviceTest, ZeroLengthBuffersAreSkipped) {
  Start();
  Buffer data = driver_->Writable(512);
  auto r = Submit({Header(VIRTIO_BLK_T_IN, 0), driver_->Writable(0), data, driver_->Writable(0),
                   driver_->Writable(1)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, VIRTIO_BLK_S_OK);
  EXPECT_EQ(r->used_len, 513u);
}

TEST_F(BlockDeviceTest, MissingOrReadOnlyStatusByteSetsNeedsReset) {
  Start();
  const uint8_t status[1] = {0};
  EXPECT_FALSE(Submit({Header(VIRTIO_BLK_T_FLUSH, 0), driver_->Readable(status)}));
  EXPECT_TRUE(NeedsReset());
  EXPECT_TRUE(driver_->interrupt_status() & VIRTIO_MMIO_INT_CONFIG);
  // After a reset the device works again.
  driver_->Reset();
  ASSERT_TRUE(driver_->BringUp(driver_->DeviceFeatures() | kVersion1, {64}).ok());
  EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_FLUSH, 0), driver_->Writable(1)})->status, VIRTIO_BLK_S_OK);
  EXPECT_FALSE(NeedsReset());
}

TEST_F(BlockDeviceTest, DescriptorLoopSetsNeedsReset) {
  Start();
  auto& q = driver_->queue(0);
  GuestAddress buf = driver_->Writable(16).addr;
  q.WriteDescriptor(0, {buf, 16, VRING_DESC_F_NEXT, 1});
  q.WriteDescriptor(1, {buf, 16, VRING_DESC_F_NEXT, 0});
  q.MakeAvailable(0);
  driver_->Kick(0);
  device_->Process();
  EXPECT_TRUE(NeedsReset());
  EXPECT_FALSE(q.PopUsed());
}

TEST_F(BlockDeviceTest, BuffersOutsideGuestMemoryOrHugeSetNeedsReset) {
  Start();
  EXPECT_FALSE(ReadSectors(0, Buffer{(1ull << 20) - 256, 512, true}));  // runs off RAM
  EXPECT_TRUE(NeedsReset());
  driver_->Reset();
  ASSERT_TRUE(driver_->BringUp(driver_->DeviceFeatures() | kVersion1, {64}).ok());
  EXPECT_FALSE(ReadSectors(0, Buffer{0x20000, 0xffffffff, true}));  // 4 GiB
  EXPECT_TRUE(NeedsReset());
  driver_->Reset();
  ASSERT_TRUE(driver_->BringUp(driver_->DeviceFeatures() | kVersion1, {64}).ok());
  EXPECT_FALSE(Submit({Buffer{0x7fff'ffff'0000, 16, false}, driver_->Writable(1)}));
  EXPECT_TRUE(NeedsReset());
  EXPECT_EQ(ReadFile(dir_.Path("disk")), PatternBytes(kDiskSize, 5));
}

TEST_F(BlockDeviceTest, ManyBuffersNamingTheSamePageAreBoundedByTheDisk) {
  Start();
  // 64 buffers of 64 KiB over the same guest memory: 4 MiB asked of a 1 MiB disk.
  Buffer page = driver_->Writable(64 * 1024);
  std::vector<Buffer> chain{Header(VIRTIO_BLK_T_IN, 0)};
  for (int i = 0; i < 60; ++i) chain.push_back(page);
  chain.push_back(driver_->Writable(1));
  auto r = Submit(chain);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, VIRTIO_BLK_S_IOERR);
}

TEST_F(BlockDeviceTest, NotificationBeforeDriverOkDoesNothing) {
  auto raw = RawDisk::Open(dir_.Path("disk"), false);
  ASSERT_TRUE(raw.ok());
  auto device = BlockDevice::Create(std::move(*raw), {.id = "x", .worker = false});
  ASSERT_TRUE(device.ok());
  device_ = *device;
  auto t = virtio::MmioTransport::Create(device_, ram_.memory(), irq_, nullptr);
  ASSERT_TRUE(t.ok());
  transport_ = *t;
  driver_ = std::make_unique<devices::testing::FakeDriver>(*transport_, ram_.memory());
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  auto& q = driver_->SetUpQueue(0, 64);
  q.AddChain(std::vector<Buffer>{Header(VIRTIO_BLK_T_FLUSH, 0), driver_->Writable(1)});
  driver_->Kick(0);
  device_->Process();  // not active: nothing
  EXPECT_FALSE(q.PopUsed());
  EXPECT_EQ(device_->requests(), 0u);
  ASSERT_TRUE(driver_->DriverOk().ok());
  driver_->Kick(0);
  device_->Process();
  EXPECT_TRUE(q.PopUsed());
  EXPECT_FALSE(NeedsReset());
}

TEST_F(BlockDeviceTest, DiscardAndWriteZeroesZeroTheRange) {
  Start();
  virtio_blk_discard_write_zeroes seg{};
  seg.sector = 4;
  seg.num_sectors = 8;
  auto seg_bytes = [&] {
    return driver_->Readable({reinterpret_cast<const uint8_t*>(&seg), sizeof(seg)});
  };
  EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_WRITE_ZEROES, 0), seg_bytes(), driver_->Writable(1)})->status,
            VIRTIO_BLK_S_OK);
  seg.sector = 100;
  if (device_->avail_features() & Bit(VIRTIO_BLK_F_DISCARD)) {
    EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_DISCARD, 0), seg_bytes(), driver_->Writable(1)})->status,
              VIRTIO_BLK_S_OK);
    seg.flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;  // not allowed on a discard
    EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_DISCARD, 0), seg_bytes(), driver_->Writable(1)})->status,
              VIRTIO_BLK_S_UNSUPP);
  }
  seg.sector = kDiskSize / 512 - 4;  // crosses the end
  seg.flags = 0;
  EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_WRITE_ZEROES, 0), seg_bytes(), driver_->Writable(1)})->status,
            VIRTIO_BLK_S_IOERR);
  EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_WRITE_ZEROES, 0), driver_->Writable(1)})->status,
            VIRTIO_BLK_S_IOERR);  // no segment
  auto want = PatternBytes(kDiskSize, 5);
  std::fill(want.begin() + 4 * 512, want.begin() + 12 * 512, 0);
  if (device_->avail_features() & Bit(VIRTIO_BLK_F_DISCARD)) {
    std::fill(want.begin() + 100 * 512, want.begin() + 108 * 512, 0);
  }
  EXPECT_EQ(ReadFile(dir_.Path("disk")), want);
}

TEST_F(BlockDeviceTest, SizeNotWholeSectorsIsRoundedDown) {
  WriteFile(dir_.Path("odd"), PatternBytes(4096 + 100, 1));
  auto raw = RawDisk::Open(dir_.Path("odd"), false);
  ASSERT_TRUE(raw.ok());
  Start({.id = "odd", .worker = false}, ~uint64_t{0}, std::move(*raw));
  EXPECT_EQ(device_->capacity_sectors(), 8u);
  EXPECT_EQ(ReadSectors(7, driver_->Writable(512))->status, VIRTIO_BLK_S_OK);
  EXPECT_EQ(ReadSectors(8, driver_->Writable(512))->status, VIRTIO_BLK_S_IOERR);
}

TEST_F(BlockDeviceTest, CopyOnWriteLeavesTheBaseUntouched) {
  auto cow = CowDisk::Open(dir_.Path("disk"), dir_.Path("overlay"));
  ASSERT_TRUE(cow.ok()) << cow.status().message();
  Start({.id = "cow", .writeback = true, .worker = false}, ~uint64_t{0}, std::move(*cow));
  EXPECT_EQ(WriteSectors(3, std::vector<uint8_t>(1024, 0x77))->status, VIRTIO_BLK_S_OK);
  virtio_blk_discard_write_zeroes seg{};
  seg.sector = 256;
  seg.num_sectors = 256;
  EXPECT_EQ(Submit({Header(VIRTIO_BLK_T_DISCARD, 0),
                    driver_->Readable({reinterpret_cast<const uint8_t*>(&seg), sizeof(seg)}),
                    driver_->Writable(1)})->status,
            VIRTIO_BLK_S_OK);
  Buffer data = driver_->Writable(2048);
  EXPECT_EQ(ReadSectors(2, data)->status, VIRTIO_BLK_S_OK);
  auto image = PatternBytes(kDiskSize, 5);
  auto got = driver_->ReadBytes(data.addr, 2048);
  EXPECT_TRUE(std::equal(got.begin(), got.begin() + 512, image.begin() + 1024));
  EXPECT_EQ(std::vector<uint8_t>(got.begin() + 512, got.begin() + 1536), std::vector<uint8_t>(1024, 0x77));
  Buffer zeros = driver_->Writable(512);
  EXPECT_EQ(ReadSectors(300, zeros)->status, VIRTIO_BLK_S_OK);
  EXPECT_EQ(driver_->ReadBytes(zeros.addr, 512), std::vector<uint8_t>(512, 0));
  EXPECT_EQ(ReadFile(dir_.Path("disk")), image);
}

TEST_F(BlockDeviceTest, WorkerThreadServesKicksAndStopsOnReset) {
  Start({.id = "w", .writeback = true, .worker = true});
  Buffer data = driver_->Writable(4096);
  driver_->queue(0).AddChain(std::vector<Buffer>{Header(VIRTIO_BLK_T_IN, 8), data, driver_->Writable(1)});
  driver_->Kick(0);
  std::optional<vring_used_elem> used;
  for (int i = 0; i < 5000 && !used; ++i) {
    used = driver_->queue(0).PopUsed();
    if (!used) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, 4097u);
  auto image = PatternBytes(kDiskSize, 5);
  EXPECT_EQ(driver_->ReadBytes(data.addr, 4096),
            std::vector<uint8_t>(image.begin() + 8 * 512, image.begin() + 8 * 512 + 4096));
  driver_->Reset();  // joins the worker
  const uint64_t before = device_->requests();
  EXPECT_EQ(before, 1u);
  driver_->Kick(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(device_->requests(), before);
  // Up again, with a worker again.
  ASSERT_TRUE(driver_->BringUp(driver_->DeviceFeatures() | kVersion1, {64}).ok());
  driver_->queue(0).AddChain(std::vector<Buffer>{Header(VIRTIO_BLK_T_FLUSH, 0), driver_->Writable(1)});
  driver_->Kick(0);
  for (int i = 0; i < 5000 && device_->requests() == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(device_->requests(), before + 1);
}

TEST_F(BlockDeviceTest, ResetStopsTheWorkerBeforeItReturnsEvenWithABacklog) {
  Start({.id = "w", .writeback = true, .worker = true});
  // 20 chains of 64 KiB reads queued at once; reset while the worker is at them.
  Buffer data = driver_->Writable(64 * 1024);
  for (int i = 0; i < 20; ++i) {
    driver_->queue(0).AddChain(std::vector<Buffer>{Header(VIRTIO_BLK_T_IN, 0), data, driver_->Writable(1)});
  }
  driver_->Kick(0);
  driver_->Reset();
  const uint64_t after_reset = device_->requests();
  EXPECT_LE(after_reset, 20u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(device_->requests(), after_reset);  // nothing ran once Reset returned
}

TEST_F(BlockDeviceTest, ConfigWritesAreIgnored) {
  Start();
  driver_->Write32(VIRTIO_MMIO_CONFIG, 0x12345678);
  EXPECT_EQ(Config32(0), kDiskSize / 512);
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_CONFIG + 0x400), 0u);  // beyond config space
  EXPECT_FALSE(NeedsReset());
}

}  // namespace
}  // namespace hull::devices::block
