// virtio-net with rx and tx rate limiters, driven by the fake driver over the
// in-memory backend on a fake clock: transmit chains over the limit stay on the ring
// and go out when the timer fires; a throttled receive keeps the frame it read, stops
// reading the backend and delivers when the timer fires; nothing is dropped. Also the
// byte and frame counters the metrics report.
#include <cstring>

#include <gtest/gtest.h>

#include "devices/net/frame.h"
#include "devices/net/memory_backend.h"
#include "devices/net/net_device.h"
#include "devices/rate_limiter/fake_timer.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::net {
namespace {

using rate_limiter::FakeClock;
using rate_limiter::FakeRateLimiter;
using testing::Buffer;

constexpr uint64_t kVersion1 = Bit(VIRTIO_F_VERSION_1);
constexpr uint16_t kSize = 16;

std::vector<uint8_t> Frame(size_t payload, uint8_t seed) {
  std::vector<uint8_t> out(kNetHeaderSize + payload, 0);
  for (size_t i = 0; i < payload; ++i) out[kNetHeaderSize + i] = static_cast<uint8_t>(seed + i);
  return out;
}

class NetRateLimitTest : public ::testing::Test {
 protected:
  void Start(const rate_limiter::RateLimiterConfig& rx, const rate_limiter::RateLimiterConfig& tx) {
    auto backend = std::make_unique<MemoryBackend>();
    backend_ = backend.get();
    device_ = std::make_shared<NetDevice>(
        std::move(backend), MacAddress{2, 0, 0, 0, 0, 1},
        NetDevice::Options{.id = "eth0",
                           .rx_rate_limiter = FakeRateLimiter(rx, &clock_),
                           .tx_rate_limiter = FakeRateLimiter(tx, &clock_)});
    auto t = virtio::MmioTransport::Create(device_, ram_.memory(), irq_, nullptr);
    ASSERT_TRUE(t.ok());
    transport_ = *t;
    driver_ = std::make_unique<testing::FakeDriver>(*transport_, ram_.memory());
    ASSERT_TRUE(driver_->BringUp(kVersion1, {kSize, kSize}).ok());
  }
  int PopAll(size_t queue) {
    int n = 0;
    while (driver_->queue(queue).PopUsed()) ++n;
    return n;
  }

  FakeClock clock_;
  testing::FakeGuestMemory ram_;
  MemoryBackend* backend_ = nullptr;
  std::shared_ptr<NetDevice> device_;
  std::shared_ptr<testing::FakeInterruptLine> irq_ = std::make_shared<testing::FakeInterruptLine>();
  std::shared_ptr<virtio::MmioTransport> transport_;
  std::unique_ptr<testing::FakeDriver> driver_;
};

TEST_F(NetRateLimitTest, TransmitOverTheLimitWaitsOnTheRingForTheTimer) {
  Start({}, {.ops = {.size = 2, .refill_time_ms = 1000}});
  for (int i = 0; i < 3; ++i) {
    driver_->queue(kTxQueue).AddChain(std::vector<Buffer>{driver_->Readable(Frame(100, static_cast<uint8_t>(i)))});
  }
  driver_->Kick(kTxQueue);
  device_->ProcessQueue(kTxQueue);
  EXPECT_EQ(backend_->sent().size(), 2u);
  EXPECT_EQ(PopAll(kTxQueue), 2);
  ASSERT_TRUE(clock_.deadline_ns);
  clock_.AdvanceMs(500);
  ASSERT_TRUE(clock_.fired());
  device_->RateLimiterTimerFired(kTxQueue);
  ASSERT_EQ(backend_->sent().size(), 3u);
  EXPECT_EQ(backend_->sent()[2], Frame(100, 2));
  EXPECT_EQ(PopAll(kTxQueue), 1);
  NetStats stats = device_->stats();
  EXPECT_EQ(stats.tx_frames, 3u);
  EXPECT_EQ(stats.tx_bytes, 300u);  // Ethernet bytes, no virtio header
  EXPECT_EQ(stats.tx_throttled, 1u);
  EXPECT_EQ(stats.tx_dropped, 0u);
}

TEST_F(NetRateLimitTest, ThrottledReceiveKeepsTheFrameAndStopsReadingTheBackend) {
  // 1000 bytes per 100 ms (10 bytes per ms); three 600-byte frames.
  Start({.bandwidth = {.size = 1000, .refill_time_ms = 100}}, {});
  for (int i = 0; i < 3; ++i) backend_->Inject(Frame(600, static_cast<uint8_t>(i)));
  std::vector<Buffer> buffers;
  for (int i = 0; i < 3; ++i) {
    buffers.push_back(driver_->Writable(2048));
    driver_->queue(kRxQueue).AddChain({&buffers.back(), 1});
  }
  driver_->Kick(kRxQueue);
  device_->ProcessQueue(kRxQueue);
  EXPECT_EQ(PopAll(kRxQueue), 1);
  EXPECT_EQ(backend_->waiting(), 1u);  // the second is held by the device, the third unread
  EXPECT_FALSE(device_->watching_backend());
  // An rx kick while throttled delivers nothing.
  driver_->Kick(kRxQueue);
  device_->ProcessQueue(kRxQueue);
  device_->BackendReadable();
  EXPECT_EQ(PopAll(kRxQueue), 0);
  EXPECT_EQ(*clock_.deadline_ns - clock_.now_ns, 20'000'000u);  // 200 more bytes
  clock_.AdvanceMs(20);
  device_->RateLimiterTimerFired(kRxQueue);
  EXPECT_EQ(PopAll(kRxQueue), 1);
  const std::vector<uint8_t> second = Frame(600, 1);
  EXPECT_EQ(driver_->ReadBytes(buffers[1].addr + kNetHeaderSize, 600),
            std::vector<uint8_t>(second.begin() + kNetHeaderSize, second.end()));
  clock_.AdvanceMs(60);
  device_->RateLimiterTimerFired(kRxQueue);
  EXPECT_EQ(PopAll(kRxQueue), 1);
  EXPECT_EQ(backend_->waiting(), 0u);
  NetStats stats = device_->stats();
  EXPECT_EQ(stats.rx_frames, 3u);
  EXPECT_EQ(stats.rx_bytes, 1800u);
  EXPECT_EQ(stats.rx_throttled, 2u);
  EXPECT_EQ(stats.rx_dropped, 0u);
}

TEST_F(NetRateLimitTest, LiftingTheLimitAtRunTimeResumesTransmit) {
  Start({}, {.bandwidth = {.size = 100, .refill_time_ms = 60'000}});
  for (int i = 0; i < 4; ++i) driver_->queue(kTxQueue).AddChain(std::vector<Buffer>{driver_->Readable(Frame(100, 0))});
  driver_->Kick(kTxQueue);
  device_->ProcessQueue(kTxQueue);
  EXPECT_EQ(backend_->sent().size(), 1u);
  device_->tx_rate_limiter().Update({.bandwidth = rate_limiter::TokenBucketConfig{}});
  clock_.Advance(1);
  ASSERT_TRUE(clock_.fired());
  device_->RateLimiterTimerFired(kTxQueue);
  EXPECT_EQ(backend_->sent().size(), 4u);
}

}  // namespace
}  // namespace hull::devices::net
