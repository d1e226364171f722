// NetDevice through the real virtio-mmio transport, driven by the fake driver over an
// in-memory backend: configuration, offload negotiation, transmit and receive (with and
// without mergeable buffers), starving the receive queue, and hostile drivers.
#include "devices/net/net_device.h"

#include <linux/if_tun.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "devices/net/frame.h"
#include "devices/net/memory_backend.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::net {
namespace {

using testing::Buffer;

constexpr uint64_t kVersion1 = Bit(VIRTIO_F_VERSION_1);
constexpr uint16_t kSize = 16;
constexpr MacAddress kMac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

std::vector<uint8_t> Header(uint8_t flags = 0, uint8_t gso = 0) {
  virtio_net_hdr_v1 h{};
  h.flags = flags;
  h.gso_type = gso;
  std::vector<uint8_t> out(sizeof(h));
  std::memcpy(out.data(), &h, sizeof(h));
  return out;
}

std::vector<uint8_t> Payload(size_t n, uint8_t seed) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + i * 7);
  return out;
}

std::vector<uint8_t> Concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class NetDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = std::make_unique<MemoryBackend>();
    backend_ = backend.get();
    device_ = std::make_shared<NetDevice>(std::move(backend), kMac);
    auto t = virtio::MmioTransport::Create(device_, ram_.memory(), irq_, nullptr);
    ASSERT_TRUE(t.ok()) << t.status().message();
    transport_ = *t;
    driver_ = std::make_unique<testing::FakeDriver>(*transport_, ram_.memory());
  }
  void BringUp(uint64_t features = kVersion1) {
    ASSERT_TRUE(driver_->BringUp(features, {kSize, kSize}).ok());
  }
  bool NeedsReset() const { return driver_->status() & VIRTIO_CONFIG_S_NEEDS_RESET; }
  void Transmit(std::vector<Buffer> chain) {
    driver_->queue(kTxQueue).AddChain(chain);
    driver_->Kick(kTxQueue);
    device_->ProcessQueue(kTxQueue);
  }
  Buffer PostRx(uint32_t len) {
    Buffer out = driver_->Writable(len);
    driver_->queue(kRxQueue).AddChain({&out, 1});
    driver_->Kick(kRxQueue);
    device_->ProcessQueue(kRxQueue);
    return out;
  }
  uint16_t NumBuffers(GuestAddress header) const {
    std::vector<uint8_t> b = driver_->ReadBytes(header + offsetof(virtio_net_hdr_v1, num_buffers), 2);
    return static_cast<uint16_t>(b[0] | b[1] << 8);
  }

  testing::FakeGuestMemory ram_;
  MemoryBackend* backend_ = nullptr;
  std::shared_ptr<NetDevice> device_;
  std::shared_ptr<testing::FakeInterruptLine> irq_ = std::make_shared<testing::FakeInterruptLine>();
  std::shared_ptr<virtio::MmioTransport> transport_;
  std::unique_ptr<testing::FakeDriver> driver_;
};

TEST_F(NetDeviceTest, ConfigSpaceHoldsMacAndLinkUp) {
  uint8_t mac[6];
  for (int i = 0; i < 6; ++i) transport_->Read(0x100 + i, {&mac[i], 1});
  EXPECT_EQ(0, std::memcmp(mac, kMac.data(), 6));
  uint16_t status = 0;
  transport_->Read(0x100 + offsetof(virtio_net_config, status), {reinterpret_cast<uint8_t*>(&status), 2});
  EXPECT_EQ(status, VIRTIO_NET_S_LINK_UP);
  uint64_t features = driver_->DeviceFeatures();
  for (unsigned f : {VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
                     VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_MRG_RXBUF}) {
    EXPECT_TRUE(features & Bit(f)) << "feature " << f;
  }
  EXPECT_FALSE(features & Bit(VIRTIO_NET_F_CTRL_VQ));
}

TEST_F(NetDeviceTest, IgnoresConfigWrites) {
  uint8_t junk[2] = {0xff, 0xff};
  transport_->Write(0x100, {junk, 2});
  transport_->Write(0x100 + 64, {junk, 2});  // beyond config_size
  uint8_t first = 0;
  transport_->Read(0x100, {&first, 1});
  EXPECT_EQ(first, kMac[0]);
}

TEST_F(NetDeviceTest, GuestOffloadsSetTheBackendsOffloads) {
  BringUp(kVersion1);
  EXPECT_EQ(backend_->offload(), 0u);
  driver_->Reset();
  BringUp(kVersion1 | Bit(VIRTIO_NET_F_GUEST_CSUM) | Bit(VIRTIO_NET_F_GUEST_TSO4) |
          Bit(VIRTIO_NET_F_GUEST_TSO6));
  EXPECT_EQ(backend_->offload(), unsigned{TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6});
}

TEST_F(NetDeviceTest, BackendRefusingOffloadsFailsActivation) {
  backend_->fail_offload = true;
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  driver_->SetUpQueue(0, kSize);
  driver_->SetUpQueue(1, kSize);
  EXPECT_FALSE(driver_->DriverOk().ok());
  EXPECT_TRUE(NeedsReset());
}

TEST_F(NetDeviceTest, TransmitsHeaderAndFrameAsOneWrite) {
  BringUp();
  std::vector<uint8_t> header = Header(), frame = Payload(100, 1);
  // Header and frame in separate buffers, the frame itself split in two.
  std::vector<uint8_t> a(frame.begin(), frame.begin() + 30), b(frame.begin() + 30, frame.end());
  Transmit({driver_->Readable(header), driver_->Readable(a), driver_->Readable(b)});
  ASSERT_EQ(backend_->sent().size(), 1u);
  EXPECT_EQ(backend_->sent()[0], Concat(header, frame));
  auto used = driver_->queue(kTxQueue).PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->len, 0u);
  EXPECT_TRUE(driver_->interrupt_status() & VIRTIO_MMIO_INT_VRING);
  EXPECT_EQ(device_->stats().tx_frames, 1u);
}

TEST_F(NetDeviceTest, TransmitsHeaderAndFrameInOneBuffer) {
  BringUp();
  std::vector<uint8_t> bytes = Concat(Header(), Payload(60, 9));
  Transmit({driver_->Readable(bytes)});
  ASSERT_EQ(backend_->sent().size(), 1u);
  EXPECT_EQ(backend_->sent()[0], bytes);
}

TEST_F(NetDeviceTest, DropsBadTransmitFramesButKeepsRunning) {
  BringUp();  // no CSUM, no HOST_TSO
  std::vector<uint8_t> short_header(5, 0);
  Transmit({driver_->Readable(short_header)});
  Transmit({driver_->Readable(Concat(Header(VIRTIO_NET_HDR_F_NEEDS_CSUM), Payload(60, 1)))});
  Transmit({driver_->Readable(Concat(Header(0, VIRTIO_NET_HDR_GSO_TCPV4), Payload(60, 1)))});
  Transmit({driver_->Readable(Header()), {0x20000, kMaxFrameBytes, false}});  // too long
  Buffer writable_only = driver_->Writable(64);
  Transmit({writable_only});
  EXPECT_TRUE(backend_->sent().empty());
  EXPECT_EQ(device_->stats().tx_dropped, 5u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(driver_->queue(kTxQueue).PopUsed().has_value()) << i;
  EXPECT_FALSE(NeedsReset());
  Transmit({driver_->Readable(Concat(Header(), Payload(60, 2)))});
  EXPECT_EQ(backend_->sent().size(), 1u);
}

TEST_F(NetDeviceTest, AcceptsNegotiatedChecksumAndTsoHeaders) {
  BringUp(kVersion1 | Bit(VIRTIO_NET_F_CSUM) | Bit(VIRTIO_NET_F_HOST_TSO4));
  std::vector<uint8_t> h = Header(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4);
  virtio_net_hdr_v1 fields{};
  std::memcpy(&fields, h.data(), sizeof(fields));
  fields.csum_start = 34;
  fields.csum_offset = 16;
  fields.gso_size = 1448;
  fields.hdr_len = 54;
  std::memcpy(h.data(), &fields, sizeof(fields));
  Transmit({driver_->Readable(Concat(h, Payload(3000, 3)))});
  EXPECT_EQ(backend_->sent().size(), 1u);
  EXPECT_EQ(device_->stats().tx_dropped, 0u);
}

TEST_F(NetDeviceTest, BackendWriteFailureDropsTheFrame) {
  BringUp();
  backend_->fail_writes = true;
  Transmit({driver_->Readable(Concat(Header(), Payload(60, 1)))});
  EXPECT_EQ(device_->stats().tx_dropped, 1u);
  EXPECT_TRUE(driver_->queue(kTxQueue).PopUsed().has_value());
  EXPECT_FALSE(NeedsReset());
}

TEST_F(NetDeviceTest, ReceivedFrameWaitsForABufferThenFillsIt) {
  BringUp();
  std::vector<uint8_t> frame = Concat(Header(), Payload(200, 4));
  backend_->Inject(frame);
  device_->BackendReadable();
  EXPECT_FALSE(driver_->queue(kRxQueue).PopUsed().has_value());
  EXPECT_FALSE(device_->watching_backend()) << "no buffers: stop polling the backend";
  Buffer out = PostRx(1526);
  EXPECT_TRUE(device_->watching_backend());
  auto used = driver_->queue(kRxQueue).PopUsed();
  ASSERT_TRUE(used.has_value());
  ASSERT_EQ(used->len, frame.size());
  EXPECT_EQ(NumBuffers(out.addr), 1);
  std::vector<uint8_t> got = driver_->ReadBytes(out.addr, used->len);
  EXPECT_TRUE(std::equal(got.begin() + kNetHeaderSize, got.end(), frame.begin() + kNetHeaderSize));
  EXPECT_TRUE(driver_->interrupt_status() & VIRTIO_MMIO_INT_VRING);
}

TEST_F(NetDeviceTest, ReceivesSeveralFramesIntoSeveralBuffers) {
  BringUp();
  for (int i = 0; i < 3; ++i) PostRx(1526);
  for (int i = 0; i < 5; ++i) backend_->Inject(Concat(Header(), Payload(64, i)));
  device_->BackendReadable();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(driver_->queue(kRxQueue).PopUsed().has_value());
  EXPECT_EQ(backend_->waiting(), 1u) << "one frame held by the device, one left in the backend";
  PostRx(1526);
  PostRx(1526);
  EXPECT_EQ(device_->stats().rx_frames, 5u);
}

TEST_F(NetDeviceTest, FrameTooBigForTheBufferIsDroppedWithoutMergeableBuffers) {
  BringUp();
  backend_->Inject(Concat(Header(), Payload(1000, 1)));
  backend_->Inject(Concat(Header(), Payload(100, 2)));
  PostRx(500);
  auto used = driver_->queue(kRxQueue).PopUsed();
  ASSERT_TRUE(used.has_value()) << "the buffer went to the next frame that fits";
  EXPECT_EQ(used->len, kNetHeaderSize + 100);
  EXPECT_EQ(device_->stats().rx_dropped, 1u);
  EXPECT_FALSE(NeedsReset());
}

TEST_F(NetDeviceTest, MergeableBuffersCarryOneFrameAcrossSeveralChains) {
  BringUp(kVersion1 | Bit(VIRTIO_NET_F_MRG_RXBUF));
  std::vector<uint8_t> frame = Concat(Header(), Payload(2500, 5));
  backend_->Inject(frame);
  Buffer a = PostRx(1000), b = PostRx(1000);
  EXPECT_FALSE(driver_->queue(kRxQueue).PopUsed().has_value()) << "2000 bytes cannot hold it";
  Buffer c = PostRx(1000);
  std::vector<uint8_t> got;
  for (const Buffer& buf : {a, b, c}) {
    auto used = driver_->queue(kRxQueue).PopUsed();
    ASSERT_TRUE(used.has_value());
    std::vector<uint8_t> part = driver_->ReadBytes(buf.addr, used->len);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(NumBuffers(a.addr), 3);
  ASSERT_EQ(got.size(), frame.size());
  EXPECT_TRUE(std::equal(got.begin() + kNetHeaderSize, got.end(), frame.begin() + kNetHeaderSize));
}

TEST_F(NetDeviceTest, MergeableFrameThatCanNeverFitIsDropped) {
  BringUp(kVersion1 | Bit(VIRTIO_NET_F_MRG_RXBUF));
  for (int i = 0; i < kSize; ++i) PostRx(16);
  backend_->Inject(Concat(Header(), Payload(1000, 1)));
  backend_->Inject(Concat(Header(), Payload(2, 1)));
  device_->BackendReadable();
  EXPECT_EQ(device_->stats().rx_dropped, 1u);
  auto used = driver_->queue(kRxQueue).PopUsed();
  ASSERT_TRUE(used.has_value()) << "the small frame still arrives";
  EXPECT_EQ(used->len, kNetHeaderSize + 2);
}

TEST_F(NetDeviceTest, RxBufferOutsideGuestMemoryNeedsReset) {
  BringUp();
  backend_->Inject(Concat(Header(), Payload(64, 1)));
  Buffer outside{0x7000'0000, 2048, true};
  driver_->queue(kRxQueue).AddChain({&outside, 1});
  driver_->Kick(kRxQueue);
  device_->ProcessQueue(kRxQueue);
  EXPECT_TRUE(NeedsReset());
  EXPECT_FALSE(device_->active());
}

TEST_F(NetDeviceTest, TxDescriptorLoopNeedsReset) {
  BringUp();
  Buffer in = driver_->Readable(Concat(Header(), Payload(60, 1)));
  vring_desc looped{in.addr, in.len, VRING_DESC_F_NEXT, 0};
  driver_->queue(kTxQueue).WriteDescriptor(0, looped);
  driver_->queue(kTxQueue).MakeAvailable(0);
  driver_->Kick(kTxQueue);
  device_->ProcessQueue(kTxQueue);
  EXPECT_TRUE(NeedsReset());
  EXPECT_TRUE(backend_->sent().empty());
}

TEST_F(NetDeviceTest, KicksBeforeDriverOkDoNothing) {
  ASSERT_TRUE(driver_->Negotiate(kVersion1).ok());
  driver_->Kick(kTxQueue);
  device_->ProcessQueue(kTxQueue);
  device_->BackendReadable();
  EXPECT_FALSE(NeedsReset());
  EXPECT_EQ(device_->stats().tx_frames, 0u);
}

TEST_F(NetDeviceTest, ResetDropsTheWaitingFrameAndTheDeviceComesBack) {
  BringUp();
  backend_->Inject(Concat(Header(), Payload(64, 1)));
  device_->BackendReadable();  // held: no buffers
  driver_->Reset();
  EXPECT_FALSE(device_->active());
  BringUp();
  backend_->Inject(Concat(Header(), Payload(80, 2)));
  PostRx(1526);
  auto used = driver_->queue(kRxQueue).PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->len, kNetHeaderSize + 80) << "the frame from before the reset is gone";
}

}  // namespace
}  // namespace hull::devices::net
