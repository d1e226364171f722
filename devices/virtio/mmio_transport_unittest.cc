// The virtio-mmio transport driven through its registers by the fake driver: the
// happy path with the echo device, the status state machine, feature negotiation,
// access widths, config space, DEVICE_NEEDS_RESET on driver errors, and reset.
#include "devices/virtio/mmio_transport.h"

#include "devices/virtio/virtio_uapi.h"

#include <chrono>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "devices/testing/echo_device.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"

namespace hull::devices::virtio {
namespace {

using testing::Buffer;

constexpr uint64_t kVersion1 = 1ull << VIRTIO_F_VERSION_1;
constexpr uint32_t kNeedsReset = VIRTIO_CONFIG_S_NEEDS_RESET;

class MmioTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = MmioTransport::Create(device_, ram_.memory(), irq_, nullptr);
    ASSERT_TRUE(t.ok()) << t.status().message();
    transport_ = *t;
    driver_ = std::make_unique<testing::FakeDriver>(*transport_, ram_.memory());
  }
  // Echoes `text` through the device and returns what came back.
  std::string Echo(const std::string& text) {
    Buffer in = driver_->Readable({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    Buffer out = driver_->Writable(static_cast<uint32_t>(text.size()));
    Buffer chain[] = {in, out};
    driver_->queue(0).AddChain(chain);
    driver_->Kick(0);
    device_->Process();
    auto used = driver_->queue(0).PopUsed();
    if (!used) return "<nothing used>";
    std::vector<uint8_t> bytes = driver_->ReadBytes(out.addr, used->len);
    return std::string(bytes.begin(), bytes.end());
  }
  uint64_t Read(uint64_t offset, size_t width) {
    uint64_t value = 0;
    transport_->Read(offset, {reinterpret_cast<uint8_t*>(&value), width});
    return value;
  }
  void Write(uint64_t offset, size_t width, uint64_t value) {
    transport_->Write(offset, {reinterpret_cast<const uint8_t*>(&value), width});
  }

  testing::FakeGuestMemory ram_;
  std::shared_ptr<testing::EchoDevice> device_ = std::make_shared<testing::EchoDevice>();
  std::shared_ptr<testing::FakeInterruptLine> irq_ = std::make_shared<testing::FakeInterruptLine>();
  std::shared_ptr<MmioTransport> transport_;
  std::unique_ptr<testing::FakeDriver> driver_;
};

TEST_F(MmioTransportTest, IdentifiesAsVirtioMmioVersion2) {
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976u);
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_VERSION), 2u);
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_DEVICE_ID), testing::kEchoDeviceId);
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_QUEUE_NUM_MAX), testing::kEchoQueueSize);
  driver_->Write32(VIRTIO_MMIO_QUEUE_SEL, 1);
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_QUEUE_NUM_MAX), 0u) << "queue 1 does not exist";
}

TEST_F(MmioTransportTest, OffersVersion1IndirectAndEventIdx) {
  uint64_t features = driver_->DeviceFeatures();
  EXPECT_TRUE(features & kVersion1);
  EXPECT_TRUE(features & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
  EXPECT_TRUE(features & (1ull << VIRTIO_RING_F_EVENT_IDX));
}

TEST_F(MmioTransportTest, EchoesThroughTheQueueAndRaisesUsedBufferInterrupt) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  EXPECT_TRUE(device_->active());
  EXPECT_EQ(Echo("hello, virtio"), "hello, virtio");
  EXPECT_EQ(driver_->interrupt_status(), uint32_t{VIRTIO_MMIO_INT_VRING});
  EXPECT_EQ(irq_->rising_edges(), 1);
  driver_->AckInterrupt(VIRTIO_MMIO_INT_VRING);
  EXPECT_EQ(driver_->interrupt_status(), 0u);
}

TEST_F(MmioTransportTest, QueueNotifySignalsTheQueueEventFd) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  driver_->Kick(0);
  driver_->Kick(0);
  EXPECT_EQ(*transport_->queue_notify_fd(0).Consume(), 2u);
  driver_->Kick(7);  // no such queue: logged and ignored
  EXPECT_EQ(*transport_->queue_notify_fd(0).Consume(), 0u);
}

TEST_F(MmioTransportTest, NotificationBeforeDriverOkIsIgnored) {
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  driver_->SetUpQueue(0, 16);
  driver_->Kick(0);
  EXPECT_EQ(*transport_->queue_notify_fd(0).Consume(), 0u);
  EXPECT_FALSE(device_->active());
}

TEST_F(MmioTransportTest, RefusesFeaturesWithoutVersion1) {
  EXPECT_FALSE(driver_->Negotiate(0).ok());
  EXPECT_EQ(driver_->status() & VIRTIO_CONFIG_S_FEATURES_OK, 0u);
}

TEST_F(MmioTransportTest, RefusesFeaturesTheDeviceDidNotOffer) {
  EXPECT_FALSE(driver_->Negotiate(kVersion1 | (1ull << 5)).ok());
}

TEST_F(MmioTransportTest, StatusStepsOutOfOrderAreIgnored) {
  driver_->SetStatus(VIRTIO_CONFIG_S_DRIVER);  // without ACKNOWLEDGE
  EXPECT_EQ(driver_->status(), 0u);
  driver_->SetStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
  driver_->SetStatus(driver_->status() | VIRTIO_CONFIG_S_DRIVER_OK);  // without FEATURES_OK
  EXPECT_EQ(driver_->status() & VIRTIO_CONFIG_S_DRIVER_OK, 0u);
  EXPECT_FALSE(device_->active());
  driver_->SetStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);  // clearing DRIVER without a reset
  EXPECT_TRUE(driver_->status() & VIRTIO_CONFIG_S_DRIVER);
  driver_->SetStatus(driver_->status() | kNeedsReset);  // only the device sets it
  EXPECT_EQ(driver_->status() & kNeedsReset, 0u);
}

TEST_F(MmioTransportTest, QueueSizeNotPowerOfTwoSetsNeedsResetAndConfigInterrupt) {
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  driver_->SetUpQueue(0, 16);
  driver_->Write32(VIRTIO_MMIO_QUEUE_NUM, 12);
  EXPECT_FALSE(driver_->DriverOk().ok());
  EXPECT_TRUE(driver_->status() & kNeedsReset);
  EXPECT_EQ(driver_->interrupt_status(), uint32_t{VIRTIO_MMIO_INT_CONFIG});
  EXPECT_EQ(irq_->rising_edges(), 1);
  EXPECT_FALSE(device_->active());
}

TEST_F(MmioTransportTest, QueueSizeAboveMaximumSetsNeedsReset) {
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  driver_->SetUpQueue(0, 16);
  driver_->Write32(VIRTIO_MMIO_QUEUE_NUM, 512);
  EXPECT_FALSE(driver_->DriverOk().ok());
  EXPECT_TRUE(driver_->status() & kNeedsReset);
}

TEST_F(MmioTransportTest, RingOutsideGuestMemorySetsNeedsReset) {
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  driver_->SetUpQueue(0, 16);
  driver_->Write32(VIRTIO_MMIO_QUEUE_USED_HIGH, 0x100);  // used ring at 1 TiB + x
  EXPECT_FALSE(driver_->DriverOk().ok());
  EXPECT_TRUE(driver_->status() & kNeedsReset);
}

TEST_F(MmioTransportTest, DescriptorLoopSetsNeedsResetAndConfigInterrupt) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  vring_desc loop{};
  loop.addr = 0x50000;
  loop.len = 8;
  loop.flags = VRING_DESC_F_NEXT;
  loop.next = 0;
  driver_->queue(0).WriteDescriptor(0, loop);
  driver_->queue(0).MakeAvailable(0);
  driver_->Kick(0);
  device_->Process();
  EXPECT_TRUE(driver_->status() & kNeedsReset);
  EXPECT_TRUE(driver_->interrupt_status() & VIRTIO_MMIO_INT_CONFIG);
  EXPECT_FALSE(device_->active()) << "the device stops until the driver resets it";
  EXPECT_FALSE(driver_->queue(0).PopUsed().has_value());
  driver_->Kick(0);  // ignored while the device needs a reset
  EXPECT_EQ(*transport_->queue_notify_fd(0).Consume(), 1u) << "only the kick before the error";
}

TEST_F(MmioTransportTest, ResetClearsStateAndTheDeviceWorksAgain) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  driver_->queue(0).MakeAvailable(99);  // a driver error
  device_->Process();
  ASSERT_TRUE(driver_->status() & kNeedsReset);
  driver_->Reset();
  EXPECT_EQ(driver_->status(), 0u);
  EXPECT_EQ(driver_->interrupt_status(), 0u);
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_QUEUE_READY), 0u);
  EXPECT_FALSE(device_->active());
  ASSERT_TRUE(driver_->BringUp(kVersion1, {8}).ok());
  EXPECT_EQ(Echo("again"), "again");
}

TEST_F(MmioTransportTest, QueueRegistersAreFrozenAfterDriverOk) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  driver_->Write32(VIRTIO_MMIO_QUEUE_READY, 0);
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_QUEUE_READY), 1u);
  driver_->Write32(VIRTIO_MMIO_QUEUE_DESC_LOW, 0xdead0000);
  EXPECT_EQ(Echo("still fine"), "still fine");
}

TEST_F(MmioTransportTest, RegistersIgnoreAccessesThatAreNot32Bit) {
  EXPECT_EQ(Read(VIRTIO_MMIO_MAGIC_VALUE, 1), 0u);
  EXPECT_EQ(Read(VIRTIO_MMIO_MAGIC_VALUE, 2), 0u);
  EXPECT_EQ(Read(VIRTIO_MMIO_MAGIC_VALUE, 8), 0u);
  EXPECT_EQ(Read(VIRTIO_MMIO_MAGIC_VALUE + 2, 4), 0u) << "misaligned";
  EXPECT_EQ(Read(VIRTIO_MMIO_MAGIC_VALUE, 4), 0x74726976u);
  Write(VIRTIO_MMIO_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  Write(VIRTIO_MMIO_STATUS, 2, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  Write(VIRTIO_MMIO_STATUS, 8, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  EXPECT_EQ(driver_->status(), 0u);
  Write(VIRTIO_MMIO_STATUS, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  EXPECT_EQ(driver_->status(), uint32_t{VIRTIO_CONFIG_S_ACKNOWLEDGE});
}

TEST_F(MmioTransportTest, ConfigSpaceTakesByteWordDwordAndQuadAccesses) {
  Write(VIRTIO_MMIO_CONFIG, 8, 0x1122334455667788ull);
  EXPECT_EQ(Read(VIRTIO_MMIO_CONFIG, 8), 0x1122334455667788ull);
  EXPECT_EQ(Read(VIRTIO_MMIO_CONFIG + 4, 4), 0x11223344u);
  EXPECT_EQ(Read(VIRTIO_MMIO_CONFIG + 2, 2), 0x5566u);
  Write(VIRTIO_MMIO_CONFIG + 7, 1, 0xaa);
  EXPECT_EQ(Read(VIRTIO_MMIO_CONFIG + 7, 1), 0xaau);
}

TEST_F(MmioTransportTest, ConfigAccessesOutOfRangeAreIgnored) {
  Write(VIRTIO_MMIO_CONFIG, 8, ~uint64_t{0});
  Write(VIRTIO_MMIO_CONFIG + 6, 4, 0);      // crosses the end of the 8-byte space
  Write(kMmioWindowSize - 1, 1, 0);         // last byte of the window
  EXPECT_EQ(Read(VIRTIO_MMIO_CONFIG, 8), ~uint64_t{0});
  EXPECT_EQ(Read(VIRTIO_MMIO_CONFIG + 8, 4), 0u);
  EXPECT_EQ(Read(kMmioWindowSize - 8, 8), 0u);
}

TEST_F(MmioTransportTest, UnknownAndWriteOnlyRegistersReadZero) {
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_QUEUE_NOTIFY), 0u);
  EXPECT_EQ(driver_->Read32(0x0f0), 0u);
  driver_->Write32(VIRTIO_MMIO_MAGIC_VALUE, 0);  // read-only: ignored
  EXPECT_EQ(driver_->Read32(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976u);
}

// A device that keeps what the transport hands it, to drive DeviceSignals directly.
class RecordingDevice final : public VirtioDevice {
 public:
  uint32_t device_type() const override { return 1; }
  uint64_t avail_features() const override { return 0; }
  std::vector<uint16_t> queue_max_sizes() const override { return {8, 8}; }
  uint32_t config_size() const override { return 4; }
  void ReadConfig(uint32_t, std::span<uint8_t>) override {}
  void WriteConfig(uint32_t, std::span<const uint8_t>) override {}
  base::Status Activate(ActivationContext context) override {
    context_ = std::move(context);
    return base::Status::Ok();
  }
  void Reset() override {
    ++resets_;
    context_.reset();
  }
  std::optional<ActivationContext> context_;
  int resets_ = 0;
};

TEST(MmioTransport, ConfigChangeBumpsGenerationAndRaisesTheConfigInterrupt) {
  testing::FakeGuestMemory ram;
  auto device = std::make_shared<RecordingDevice>();
  auto irq = std::make_shared<testing::FakeInterruptLine>();
  auto t = MmioTransport::Create(device, ram.memory(), irq, nullptr);
  ASSERT_TRUE(t.ok());
  testing::FakeDriver driver(**t, ram.memory());
  ASSERT_TRUE(driver.BringUp(kVersion1, {8}).ok()) << "queue 1 left disabled";
  ASSERT_TRUE(device->context_.has_value());
  EXPECT_TRUE(device->context_->queues[0].has_value());
  EXPECT_FALSE(device->context_->queues[1].has_value()) << "a disabled queue is nullopt";
  EXPECT_EQ(device->context_->features, kVersion1);
  uint32_t generation = driver.Read32(VIRTIO_MMIO_CONFIG_GENERATION);
  device->context_->signals->SignalConfigChange();
  EXPECT_EQ(driver.Read32(VIRTIO_MMIO_CONFIG_GENERATION), generation + 1);
  EXPECT_EQ(driver.interrupt_status(), uint32_t{VIRTIO_MMIO_INT_CONFIG});
  EXPECT_EQ(irq->pulses(), 1);
  driver.Reset();
  EXPECT_EQ(device->resets_, 1);
  EXPECT_FALSE(device->context_.has_value());
}

TEST_F(MmioTransportTest, KicksPendingAtResetAreForgotten) {
  ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  driver_->Kick(0);
  driver_->Reset();
  EXPECT_EQ(*transport_->queue_notify_fd(0).Consume(), 0u);
}

TEST_F(MmioTransportTest, SurvivesAFailingInterruptLine) {
  irq_->set_fail(true);
  ASSERT_TRUE(driver_->BringUp(kVersion1, {16}).ok());
  EXPECT_EQ(Echo("no irq"), "no irq");
  EXPECT_TRUE(driver_->interrupt_status() & VIRTIO_MMIO_INT_VRING);
}

TEST_F(MmioTransportTest, WorksWithTheEventLoopOnItsOwnThread) {
  auto loop = base::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  auto t = MmioTransport::Create(device_, ram_.memory(), irq_, loop->get());
  ASSERT_TRUE(t.ok());
  testing::FakeDriver driver(**t, ram_.memory());
  std::thread worker([&] { (void)(*loop)->Run(); });
  ASSERT_TRUE(driver.BringUp(kVersion1, {16}).ok());
  Buffer out = driver.Writable(4);
  Buffer chain[] = {driver.Readable(std::vector<uint8_t>{'p', 'i', 'n', 'g'}), out};
  driver.queue(0).AddChain(chain);
  driver.Kick(0);  // what a KVM ioeventfd does without a VM exit, too
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (driver.queue(0).used_idx() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(driver.queue(0).used_idx(), 1);
  EXPECT_EQ(driver.ReadBytes(out.addr, 4), (std::vector<uint8_t>{'p', 'i', 'n', 'g'}));
  driver.Reset();  // removes the kick fd from the loop
  (*loop)->Stop();
  worker.join();
}

}  // namespace
}  // namespace hull::devices::virtio
