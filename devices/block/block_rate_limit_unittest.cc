// virtio-blk with a rate limiter, driven by the fake driver: requests over the limit
// stay on the ring (nothing dropped, nothing answered early) until the limiter's timer
// fires; ops and bytes both count; an update at run time takes effect at once; the
// worker thread sleeps on the real timerfd and resumes. Also the metrics counters.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "devices/block/block_device.h"
#include "devices/block/raw_disk.h"
#include "devices/block/test_files.h"
#include "devices/rate_limiter/fake_timer.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::block {
namespace {

using devices::testing::Buffer;
using rate_limiter::FakeClock;
using rate_limiter::RateLimiterConfig;
using testing::PatternBytes;

constexpr uint64_t kVersion1 = 1ull << VIRTIO_F_VERSION_1;
constexpr uint64_t kDiskSize = 1 << 20;

class BlockRateLimitTest : public ::testing::Test {
 protected:
  void Start(std::shared_ptr<rate_limiter::RateLimiter> limiter, bool worker = false) {
    testing::WriteFile(dir_.Path("disk"), PatternBytes(kDiskSize, 9));
    auto disk = RawDisk::Open(dir_.Path("disk"), false);
    ASSERT_TRUE(disk.ok());
    auto device = BlockDevice::Create(
        std::move(*disk),
        {.id = "d", .writeback = true, .worker = worker, .rate_limiter = std::move(limiter)});
    ASSERT_TRUE(device.ok());
    device_ = *device;
    auto t = virtio::MmioTransport::Create(device_, ram_.memory(), irq_, nullptr);
    ASSERT_TRUE(t.ok());
    transport_ = *t;
    driver_ = std::make_unique<devices::testing::FakeDriver>(*transport_, ram_.memory());
    ASSERT_TRUE(driver_->BringUp(driver_->DeviceFeatures() | kVersion1, {64}).ok());
  }
  Buffer Header(uint32_t type, uint64_t sector) {
    virtio_blk_outhdr h{type, 0, sector};
    return driver_->Readable({reinterpret_cast<const uint8_t*>(&h), sizeof(h)});
  }
  // Queues a read of `bytes` at `sector` (no kick).
  Buffer QueueRead(uint64_t sector, uint32_t bytes) {
    Buffer data = driver_->Writable(bytes);
    driver_->queue(0).AddChain(std::vector<Buffer>{Header(VIRTIO_BLK_T_IN, sector), data,
                                                   driver_->Writable(1)});
    return data;
  }
  int PopAllUsed() {
    int n = 0;
    while (driver_->queue(0).PopUsed()) ++n;
    return n;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  devices::testing::FakeGuestMemory ram_;
  std::shared_ptr<devices::testing::FakeInterruptLine> irq_ =
      std::make_shared<devices::testing::FakeInterruptLine>();
  std::shared_ptr<BlockDevice> device_;
  std::shared_ptr<virtio::MmioTransport> transport_;
  std::unique_ptr<devices::testing::FakeDriver> driver_;
};

TEST_F(BlockRateLimitTest, RequestsOverTheLimitWaitOnTheRingUntilTheTimerFires) {
  // 8 KiB per 100 ms: two 4 KiB reads at once, then one per 50 ms.
  Start(rate_limiter::FakeRateLimiter(
      {.bandwidth = {.size = 8192, .refill_time_ms = 100}}, &clock_));
  std::vector<Buffer> data;
  for (int i = 0; i < 4; ++i) data.push_back(QueueRead(8 * i, 4096));
  driver_->Kick(0);
  device_->Process();
  EXPECT_EQ(PopAllUsed(), 2);
  ASSERT_TRUE(clock_.deadline_ns);
  EXPECT_EQ(*clock_.deadline_ns - clock_.now_ns, 50'000'000u);
  // A kick while throttled changes nothing.
  driver_->Kick(0);
  device_->Process();
  EXPECT_EQ(PopAllUsed(), 0);
  clock_.AdvanceMs(50);
  ASSERT_TRUE(clock_.fired());
  device_->RateLimiterTimerFired();
  EXPECT_EQ(PopAllUsed(), 1);
  clock_.AdvanceMs(50);
  device_->RateLimiterTimerFired();
  EXPECT_EQ(PopAllUsed(), 1);
  // Each delayed read got its own sectors.
  auto image = PatternBytes(kDiskSize, 9);
  EXPECT_EQ(driver_->ReadBytes(data[3].addr, 4096),
            std::vector<uint8_t>(image.begin() + 24 * 512, image.begin() + 24 * 512 + 4096));
  BlockDevice::Counters c = device_->counters();
  EXPECT_EQ(c.read_count, 4u);
  EXPECT_EQ(c.read_bytes, 4u * 4096);
  EXPECT_EQ(c.throttled_events, 2u);
  EXPECT_FALSE(driver_->status() & VIRTIO_CONFIG_S_NEEDS_RESET);
}

TEST_F(BlockRateLimitTest, OpsBucketCountsEveryRequestKind) {
  Start(rate_limiter::FakeRateLimiter({.ops = {.size = 2, .refill_time_ms = 1000}}, &clock_));
  for (int i = 0; i < 3; ++i) {
    driver_->queue(0).AddChain(std::vector<Buffer>{Header(VIRTIO_BLK_T_FLUSH, 0),
                                                   driver_->Writable(1)});
  }
  driver_->Kick(0);
  device_->Process();
  EXPECT_EQ(PopAllUsed(), 2);
  EXPECT_EQ(device_->counters().flush_count, 2u);
  clock_.AdvanceMs(500);
  device_->RateLimiterTimerFired();
  EXPECT_EQ(PopAllUsed(), 1);
}

TEST_F(BlockRateLimitTest, UpdateAtRunTimeTakesEffectAtOnce) {
  auto limiter = rate_limiter::FakeRateLimiter(
      {.bandwidth = {.size = 4096, .refill_time_ms = 10'000}}, &clock_);
  Start(limiter);
  for (int i = 0; i < 5; ++i) QueueRead(0, 4096);
  driver_->Kick(0);
  device_->Process();
  EXPECT_EQ(PopAllUsed(), 1);
  // Lift the limit: the device is woken (the timer armed for now), not in 10 s.
  limiter->Update({.bandwidth = rate_limiter::TokenBucketConfig{}});
  ASSERT_TRUE(clock_.deadline_ns);
  clock_.Advance(1);
  EXPECT_TRUE(clock_.fired());
  device_->RateLimiterTimerFired();
  EXPECT_EQ(PopAllUsed(), 4);
  EXPECT_EQ(device_->counters().throttled_events, 1u);
}

TEST_F(BlockRateLimitTest, CountsReadsWritesAndErrors) {
  Start(nullptr);  // unlimited
  QueueRead(0, 1024);
  std::vector<uint8_t> bytes(2048, 7);
  driver_->queue(0).AddChain(std::vector<Buffer>{Header(VIRTIO_BLK_T_OUT, 4),
                                                 driver_->Readable(bytes), driver_->Writable(1)});
  QueueRead(kDiskSize / 512, 512);  // past the end: IOERR
  driver_->Kick(0);
  device_->Process();
  EXPECT_EQ(PopAllUsed(), 3);
  BlockDevice::Counters c = device_->counters();
  EXPECT_EQ(c.read_count, 1u);
  EXPECT_EQ(c.read_bytes, 1024u);
  EXPECT_EQ(c.write_count, 1u);
  EXPECT_EQ(c.write_bytes, 2048u);
  EXPECT_EQ(c.errors, 1u);
  EXPECT_EQ(c.throttled_events, 0u);
}

TEST_F(BlockRateLimitTest, WorkerSleepsOnTheTimerfdAndResumes) {
  // 64 KiB per 100 ms; five 64 KiB reads: one at once, the others 100 ms apart.
  auto limiter = rate_limiter::RateLimiter::Create(
      {.bandwidth = {.size = 64 << 10, .refill_time_ms = 100}});
  ASSERT_TRUE(limiter.ok());
  Start(*limiter, /*worker=*/true);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) QueueRead(0, 64 << 10);
  driver_->Kick(0);
  int used = 0;
  while (used < 5 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    used += PopAllUsed();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(used, 5);
  EXPECT_GE(elapsed, std::chrono::milliseconds(390));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  EXPECT_GE(device_->counters().throttled_events, 4u);
  driver_->Reset();  // joins the worker
}

}  // namespace
}  // namespace hull::devices::block
