// virtio-rng driven through the virtio-mmio transport by the fake driver: random bytes
// fill the writable buffers, chains without writable buffers get nothing, hostile
// chains set DEVICE_NEEDS_RESET, and a reset brings the device back.
#include "devices/rng/rng_device.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "devices/rate_limiter/fake_timer.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::rng {
namespace {

using testing::Buffer;

constexpr uint64_t kVersion1 = 1ull << VIRTIO_F_VERSION_1;

class FailingSource final : public EntropySource {
 public:
  base::Status Fill(std::span<uint8_t>) override { return base::Status::Error("no entropy"); }
};

class RngDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(std::make_shared<RngDevice>()); }
  void Start(std::shared_ptr<RngDevice> device) {
    device_ = std::move(device);
    auto t = virtio::MmioTransport::Create(device_, ram_.memory(), irq_, nullptr);
    ASSERT_TRUE(t.ok()) << t.status().message();
    transport_ = *t;
    driver_ = std::make_unique<testing::FakeDriver>(*transport_, ram_.memory());
    ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  }
  // Posts `buffers` as one chain, kicks, lets the device run; the used element, if any.
  std::optional<vring_used_elem> Request(std::vector<Buffer> buffers) {
    driver_->queue(0).AddChain(buffers);
    driver_->Kick(0);
    device_->Process();
    return driver_->queue(0).PopUsed();
  }
  bool NeedsReset() const { return (driver_->status() & VIRTIO_CONFIG_S_NEEDS_RESET) != 0; }

  testing::FakeGuestMemory ram_;
  std::shared_ptr<testing::FakeInterruptLine> irq_ = std::make_shared<testing::FakeInterruptLine>();
  std::shared_ptr<RngDevice> device_;
  std::shared_ptr<virtio::MmioTransport> transport_;
  std::unique_ptr<testing::FakeDriver> driver_;
};

TEST_F(RngDeviceTest, IdentifiesAsEntropyDeviceWithOneQueueAndNoConfig) {
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_DEVICE_ID), uint32_t{VIRTIO_ID_RNG});
  EXPECT_EQ(device_->queue_max_sizes().size(), 1u);
  EXPECT_EQ(device_->config_size(), 0u);
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_CONFIG), 0u);
}

TEST_F(RngDeviceTest, FillsWritableBufferWithRandomBytesThatDifferBetweenRequests) {
  Buffer first = driver_->Writable(64);
  auto used = Request({first});
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, 64u);
  Buffer second = driver_->Writable(64);
  auto used2 = Request({second});
  ASSERT_TRUE(used2);
  EXPECT_EQ(used2->len, 64u);
  std::vector<uint8_t> a = driver_->ReadBytes(first.addr, 64);
  std::vector<uint8_t> b = driver_->ReadBytes(second.addr, 64);
  EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](uint8_t x) { return x != 0; }));
  EXPECT_NE(a, b);
  EXPECT_EQ(device_->bytes_served(), 128u);
  EXPECT_FALSE(NeedsReset());
}

TEST_F(RngDeviceTest, UsedLengthIsTheWholeWritableSizeAcrossBuffers) {
  Buffer parts[] = {driver_->Writable(1), driver_->Writable(5000), driver_->Writable(0),
                    driver_->Writable(300)};
  auto used = Request({parts[0], parts[1], parts[2], parts[3]});
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, 5301u);
  std::vector<uint8_t> tail = driver_->ReadBytes(parts[3].addr, 300);
  EXPECT_TRUE(std::any_of(tail.begin(), tail.end(), [](uint8_t x) { return x != 0; }));
}

TEST_F(RngDeviceTest, ReadableBuffersAreLeftAloneAndReadableOnlyChainGetsNothing) {
  const uint8_t zeros[32] = {};
  Buffer in = driver_->Readable(zeros);
  auto used = Request({in});
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, 0u);
  EXPECT_EQ(driver_->ReadBytes(in.addr, 32), std::vector<uint8_t>(32, 0));
  Buffer out = driver_->Writable(16);
  used = Request({in, out});
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, 16u);
  EXPECT_EQ(driver_->ReadBytes(in.addr, 32), std::vector<uint8_t>(32, 0));
  EXPECT_FALSE(NeedsReset());
}

TEST_F(RngDeviceTest, HugeChainIsCappedNotAllocated) {
  // The same 64 KiB of RAM named 16 times: 1 MiB asked, kMaxBytesPerRequest served.
  Buffer page = driver_->Writable(64 * 1024);
  auto used = Request(std::vector<Buffer>(16, page));
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, kMaxBytesPerRequest);
}

TEST_F(RngDeviceTest, RaisesUsedBufferInterrupt) {
  irq_->ClearHistory();
  ASSERT_TRUE(Request({driver_->Writable(8)}));
  EXPECT_TRUE(driver_->interrupt_status() & VIRTIO_MMIO_INT_VRING);
  EXPECT_GE(irq_->rising_edges() + irq_->pulses(), 1);
}

TEST_F(RngDeviceTest, NoInterruptWhenTheDriverAsksForNone) {
  driver_->queue(0).SetAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
  ASSERT_TRUE(Request({driver_->Writable(8)}));
  EXPECT_FALSE(driver_->interrupt_status() & VIRTIO_MMIO_INT_VRING);
}

TEST_F(RngDeviceTest, DescriptorLoopSetsNeedsReset) {
  testing::FakeQueueDriver& q = driver_->queue(0);
  GuestAddress buf = driver_->Writable(8).addr;
  q.WriteDescriptor(0, {buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1});
  q.WriteDescriptor(1, {buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0});
  q.MakeAvailable(0);
  driver_->Kick(0);
  device_->Process();
  EXPECT_TRUE(NeedsReset());
  EXPECT_TRUE(driver_->interrupt_status() & VIRTIO_MMIO_INT_CONFIG);
  EXPECT_FALSE(q.PopUsed());
  EXPECT_FALSE(device_->active());
}

TEST_F(RngDeviceTest, BufferOutsideGuestRamSetsNeedsReset) {
  auto used = Request({Buffer{(1ull << 20) - 4, 64, true}});  // runs off the first region
  EXPECT_FALSE(used);
  EXPECT_TRUE(NeedsReset());
  EXPECT_EQ(device_->bytes_served(), 0u);
}

TEST_F(RngDeviceTest, AvailIndexTooFarAheadSetsNeedsReset) {
  driver_->queue(0).SetAvailIdx(100);
  driver_->Kick(0);
  device_->Process();
  EXPECT_TRUE(NeedsReset());
}

TEST_F(RngDeviceTest, WorksAgainAfterReset) {
  ASSERT_TRUE(Request({Buffer{(1ull << 20) - 4, 64, true}}) == std::nullopt);
  ASSERT_TRUE(NeedsReset());
  driver_->Reset();
  EXPECT_FALSE(device_->active());
  ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  EXPECT_TRUE(device_->active());
  auto used = Request({driver_->Writable(32)});
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, 32u);
  EXPECT_FALSE(NeedsReset());
}

TEST_F(RngDeviceTest, FailingSourceAnswersWithNoBytesAndKeepsRunning) {
  Start(std::make_shared<RngDevice>(std::make_unique<FailingSource>()));
  auto used = Request({driver_->Writable(32)});
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, 0u);
  EXPECT_FALSE(NeedsReset());
  EXPECT_TRUE(device_->active());
}


// Firecracker's entropy rate limiter: requests over the limit wait on the ring (nothing
// dropped, nothing answered short) until the limiter's timer fires.
class RngRateLimitTest : public RngDeviceTest {
 protected:
  void SetUp() override {}
  void StartLimited(const rate_limiter::RateLimiterConfig& config) {
    limiter_ = rate_limiter::FakeRateLimiter(config, &clock_);
    Start(std::make_shared<RngDevice>(std::make_unique<GetrandomSource>(), limiter_));
  }
  void Queue(int n, uint32_t bytes) {
    for (int i = 0; i < n; ++i) driver_->queue(0).AddChain(std::vector<Buffer>{driver_->Writable(bytes)});
    driver_->Kick(0);
    device_->Process();
  }
  // Pops every used element; each must carry the whole buffer.
  int PopAllUsed(uint32_t bytes) {
    int n = 0;
    while (auto used = driver_->queue(0).PopUsed()) {
      EXPECT_EQ(used->len, bytes);
      ++n;
    }
    return n;
  }

  rate_limiter::FakeClock clock_;
  std::shared_ptr<rate_limiter::RateLimiter> limiter_;
};

TEST_F(RngRateLimitTest, BytesOverTheLimitWaitOnTheRingUntilTheTimerFires) {
  // 8 KiB per 100 ms: two 4 KiB requests at once, then one per 50 ms.
  StartLimited({.bandwidth = {.size = 8192, .refill_time_ms = 100}});
  Queue(4, 4096);
  EXPECT_EQ(PopAllUsed(4096), 2);
  ASSERT_TRUE(clock_.deadline_ns);
  EXPECT_EQ(*clock_.deadline_ns - clock_.now_ns, 50'000'000u);
  driver_->Kick(0);  // a kick while throttled changes nothing
  device_->Process();
  EXPECT_EQ(PopAllUsed(4096), 0);
  clock_.AdvanceMs(50);
  ASSERT_TRUE(clock_.fired());
  device_->RateLimiterTimerFired();
  EXPECT_EQ(PopAllUsed(4096), 1);
  clock_.AdvanceMs(50);
  device_->RateLimiterTimerFired();
  EXPECT_EQ(PopAllUsed(4096), 1);
  EXPECT_EQ(device_->bytes_served(), 4u * 4096);
  EXPECT_EQ(limiter_->throttled_events(), 2u);
  EXPECT_FALSE(NeedsReset());
}

TEST_F(RngRateLimitTest, OpsBucketCountsRequests) {
  StartLimited({.ops = {.size = 2, .refill_time_ms = 1000}});
  Queue(3, 16);
  EXPECT_EQ(PopAllUsed(16), 2);
  clock_.AdvanceMs(500);
  device_->RateLimiterTimerFired();
  EXPECT_EQ(PopAllUsed(16), 1);
}

TEST_F(RngRateLimitTest, AHugeRequestCostsOnlyWhatItGets) {
  // A buffer twice kMaxBytesPerRequest gets kMaxBytesPerRequest bytes and is charged that much, so a bucket
  // of exactly that size lets it through.
  StartLimited({.bandwidth = {.size = kMaxBytesPerRequest, .refill_time_ms = 1000}});
  Queue(1, 2 * kMaxBytesPerRequest);
  auto used = driver_->queue(0).PopUsed();
  ASSERT_TRUE(used);
  EXPECT_EQ(used->len, kMaxBytesPerRequest);
}

TEST_F(RngRateLimitTest, UpdateAtRunTimeTakesEffectAtOnce) {
  StartLimited({.bandwidth = {.size = 4096, .refill_time_ms = 10'000}});
  Queue(5, 4096);
  EXPECT_EQ(PopAllUsed(4096), 1);
  limiter_->Update({.bandwidth = rate_limiter::TokenBucketConfig{}});  // lift the limit
  clock_.Advance(1);
  ASSERT_TRUE(clock_.fired());
  device_->RateLimiterTimerFired();
  EXPECT_EQ(PopAllUsed(4096), 4);
}

TEST_F(RngRateLimitTest, TimerAfterResetIsAcknowledgedAndServesNothing) {
  StartLimited({.bandwidth = {.size = 4096, .refill_time_ms = 100}});
  Queue(2, 4096);
  EXPECT_EQ(PopAllUsed(4096), 1);
  driver_->Reset();
  clock_.AdvanceMs(100);
  device_->RateLimiterTimerFired();
  EXPECT_FALSE(clock_.deadline_ns);
  EXPECT_FALSE(limiter_->throttled());
}

}  // namespace
}  // namespace hull::devices::rng
