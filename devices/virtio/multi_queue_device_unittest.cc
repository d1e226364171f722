// MultiQueueDevice through the real transport and the fake driver: a two-queue device
// (rx filled by a backend, tx drained on kicks) proves activation checks, per-queue
// kicks, backend-driven work through RunIfActive, interrupts, failure and reset.
#include "devices/virtio/multi_queue_device.h"

#include <string>

#include <gtest/gtest.h>

#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::virtio {
namespace {

using testing::Buffer;

constexpr uint64_t kVersion1 = 1ull << VIRTIO_F_VERSION_1;
constexpr uint16_t kQueueSize = 16;

// Queue 0 (rx): the backend's pending bytes go into writable buffers. Queue 1 (tx):
// readable bytes are appended to `sent`.
class TwoQueueDevice final : public MultiQueueDevice {
 public:
  TwoQueueDevice() : MultiQueueDevice({"rx", "tx"}) {}

  uint32_t device_type() const override { return 0xfd; }
  uint64_t avail_features() const override { return 0; }
  std::vector<uint16_t> queue_max_sizes() const override { return {kQueueSize, kQueueSize}; }
  uint32_t config_size() const override { return 0; }
  void ReadConfig(uint32_t, std::span<uint8_t>) override {}
  void WriteConfig(uint32_t, std::span<const uint8_t>) override {}

  // The backend has bytes for the guest (as a tap or socket callback would).
  void BackendReceived(const std::string& bytes) {
    RunIfActive([&] {
      pending += bytes;
      return FillRx();
    });
  }

  std::string pending, sent;
  int activations = 0, resets = 0;
  bool fail_activation = false, fail_tx = false;

 private:
  base::Status OnActivate() override {
    ++activations;
    if (fail_activation) return base::Status::Error("backend refused to start");
    return base::Status::Ok();
  }
  void OnReset() override { ++resets; }
  base::Status OnQueueKick(size_t index) override {
    if (index == 0) return FillRx();
    if (fail_tx) return base::Status::Error("tx: malformed request");
    return DrainQueue(1, [this](const DescriptorChain& chain) -> base::Result<uint32_t> {
      ChainReader reader(context().memory, chain);
      std::string bytes(reader.remaining(), '\0');
      RETURN_IF_ERROR(reader.Read({reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()}));
      sent += bytes;
      return 0u;
    });
  }
  base::Status FillRx() {
    while (!pending.empty()) {
      ASSIGN_OR_RETURN(std::optional<DescriptorChain> chain, queue(0).Pop());
      if (!chain) break;  // no buffers: wait for the rx kick
      ChainWriter writer(context().memory, *chain);
      size_t n = std::min<size_t>(pending.size(), writer.remaining());
      RETURN_IF_ERROR(writer.Write({reinterpret_cast<const uint8_t*>(pending.data()), n}));
      pending.erase(0, n);
      RETURN_IF_ERROR(AddUsed(0, *chain, static_cast<uint32_t>(n)));
    }
    return SignalIfNeeded(0);
  }
};

class MultiQueueDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = MmioTransport::Create(device_, ram_.memory(), irq_, nullptr);
    ASSERT_TRUE(t.ok()) << t.status().message();
    transport_ = *t;
    driver_ = std::make_unique<testing::FakeDriver>(*transport_, ram_.memory());
  }
  void Send(const std::string& text) {
    Buffer in = driver_->Readable({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    driver_->queue(1).AddChain({&in, 1});
    driver_->Kick(1);
    device_->ProcessQueue(1);
  }
  Buffer PostRx(uint32_t len) {
    Buffer out = driver_->Writable(len);
    driver_->queue(0).AddChain({&out, 1});
    driver_->Kick(0);
    device_->ProcessQueue(0);
    return out;
  }

  testing::FakeGuestMemory ram_;
  std::shared_ptr<TwoQueueDevice> device_ = std::make_shared<TwoQueueDevice>();
  std::shared_ptr<testing::FakeInterruptLine> irq_ =
      std::make_shared<testing::FakeInterruptLine>();
  std::shared_ptr<MmioTransport> transport_;
  std::unique_ptr<testing::FakeDriver> driver_;
};

TEST_F(MultiQueueDeviceTest, RefusesActivationWhenAQueueIsNotEnabled) {
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  driver_->SetUpQueue(0, kQueueSize);
  EXPECT_FALSE(driver_->DriverOk().ok());
  EXPECT_TRUE(driver_->status() & VIRTIO_CONFIG_S_NEEDS_RESET);
  EXPECT_FALSE(device_->active());
  EXPECT_EQ(device_->activations, 0);
}

TEST_F(MultiQueueDeviceTest, KickOnOneQueueServesThatQueueAndInterrupts) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {kQueueSize, kQueueSize}).ok());
  Send("hello");
  Send(" world");
  EXPECT_EQ(device_->sent, "hello world");
  EXPECT_TRUE(driver_->queue(1).PopUsed().has_value());
  EXPECT_TRUE(driver_->interrupt_status() & VIRTIO_MMIO_INT_VRING);
  EXPECT_FALSE(driver_->queue(0).PopUsed().has_value()) << "rx untouched by a tx kick";
}

TEST_F(MultiQueueDeviceTest, BackendDataWaitsForBuffersThenFillsThem) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {kQueueSize, kQueueSize}).ok());
  device_->BackendReceived("frame-1");
  EXPECT_FALSE(driver_->queue(0).PopUsed().has_value()) << "no rx buffer posted yet";
  Buffer out = PostRx(64);
  auto used = driver_->queue(0).PopUsed();
  ASSERT_TRUE(used.has_value());
  std::vector<uint8_t> got = driver_->ReadBytes(out.addr, used->len);
  EXPECT_EQ(std::string(got.begin(), got.end()), "frame-1");
}

TEST_F(MultiQueueDeviceTest, ErrorFromAKickSetsNeedsResetAndStopsBackendWork) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {kQueueSize, kQueueSize}).ok());
  device_->fail_tx = true;
  Send("x");
  EXPECT_TRUE(driver_->status() & VIRTIO_CONFIG_S_NEEDS_RESET);
  EXPECT_FALSE(device_->active());
  PostRx(64);
  device_->BackendReceived("late");
  EXPECT_FALSE(driver_->queue(0).PopUsed().has_value()) << "a failed device does no work";
}

TEST_F(MultiQueueDeviceTest, FailedBackendStartIsUndoneAndReported) {
  device_->fail_activation = true;
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  driver_->SetUpQueue(0, kQueueSize);
  driver_->SetUpQueue(1, kQueueSize);
  EXPECT_FALSE(driver_->DriverOk().ok());
  EXPECT_EQ(device_->activations, 1);
  EXPECT_EQ(device_->resets, 1) << "OnReset undoes a failed OnActivate";
  EXPECT_FALSE(device_->active());
}

TEST_F(MultiQueueDeviceTest, ResetStopsWorkAndTheDeviceCanBeBroughtUpAgain) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {kQueueSize, kQueueSize}).ok());
  driver_->Reset();
  EXPECT_EQ(device_->resets, 1);
  EXPECT_FALSE(device_->active());
  device_->ProcessQueue(1);  // a kick racing with reset finds nothing to do
  device_->ProcessQueue(7);  // and an out-of-range index is ignored
  ASSERT_TRUE(driver_->BringUp(kVersion1, {kQueueSize, kQueueSize}).ok());
  Send("again");
  EXPECT_EQ(device_->sent, "again");
  EXPECT_EQ(device_->activations, 2);
}

}  // namespace
}  // namespace hull::devices::virtio
