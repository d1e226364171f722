// Tap and NetDevice against a real tap, inside a network namespace each test creates:
// opening by name, frames the device transmits appear on the tap, frames sent into the
// tap reach the guest's buffers through the event loop, and the offloads the guest
// accepted become the tap's (as ethtool reports them), so a GSO packet reaches a guest
// that accepted TSO whole and one that did not in segments; a guest with HOST_TSO4
// hands the tap whole GSO packets. Skips where taps cannot be made.
#include "devices/net/tap.h"

#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <poll.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/event_loop.h"
#include "devices/net/frame.h"
#include "devices/net/net_device.h"
#include "devices/net/test_netns.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::net {
namespace {

using testing::Buffer;
using namespace std::chrono_literals;

constexpr MacAddress kGuestMac = {0x02, 0, 0, 0, 0, 0x01};
constexpr uint8_t kPeerMac[6] = {0x02, 0, 0, 0, 0, 0x02};

// An Ethernet frame of kTestEtherType with `payload`.
std::vector<uint8_t> EthernetFrame(const uint8_t* dst, const uint8_t* src, const std::string& payload) {
  std::vector<uint8_t> frame(dst, dst + 6);
  frame.insert(frame.end(), src, src + 6);
  frame.push_back(testing::kTestEtherType >> 8);
  frame.push_back(testing::kTestEtherType & 0xff);
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

bool WaitReadable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// ETHTOOL_GTXCSUM / ETHTOOL_GTSO of `name`.
uint32_t EthtoolValue(const std::string& name, uint32_t cmd) {
  base::UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ethtool_value value{cmd, 0};
  ifreq request{};
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  request.ifr_data = reinterpret_cast<char*>(&value);
  EXPECT_EQ(ioctl(s.get(), SIOCETHTOOL, &request), 0) << std::strerror(errno);
  return value.data;
}

// A TCP/IPv4 frame of `payload` bytes behind a virtio_net_hdr_v1 asking for TSO (1448-byte
// segments) and checksum offload, as a host stack would hand a tap a GSO packet.
std::vector<uint8_t> GsoTcpFrame(size_t payload) {
  std::vector<uint8_t> f(kNetHeaderSize + 14 + 20 + 20 + payload, 0x61);
  virtio_net_hdr_v1 h{};
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  h.hdr_len = 14 + 20 + 20;
  h.gso_size = 1448;
  h.csum_start = 14 + 20;
  h.csum_offset = 16;
  std::memcpy(f.data(), &h, sizeof(h));
  uint8_t* eth = f.data() + kNetHeaderSize;
  std::memcpy(eth, kGuestMac.data(), 6);
  std::memcpy(eth + 6, kPeerMac, 6);
  eth[12] = 0x08, eth[13] = 0x00;
  uint8_t* ip = eth + 14;
  const uint16_t total = static_cast<uint16_t>(20 + 20 + payload);
  const uint8_t ip_header[20] = {0x45, 0, uint8_t(total >> 8), uint8_t(total), 0, 1, 0x40, 0, 64, 6,
                                 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  std::memcpy(ip, ip_header, 20);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = static_cast<uint8_t>(~sum >> 8), ip[11] = static_cast<uint8_t>(~sum);
  uint8_t* tcp = ip + 20;
  const uint8_t tcp_header[20] = {0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff,
                                  0, 0, 0, 0};
  std::memcpy(tcp, tcp_header, 20);
  return f;
}

// Sends `frame` (header first) into tap `name` through a packet socket with
// PACKET_VNET_HDR, so the kernel sees a GSO packet.
void SendGso(const std::string& name, const std::vector<uint8_t>& frame) {
  base::UniqueFd s(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP)));
  ASSERT_TRUE(s.valid()) << std::strerror(errno);
  int on = 1;
  ASSERT_EQ(setsockopt(s.get(), SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(on)), 0) << std::strerror(errno);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_IP);
  to.sll_ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  // The packet socket's header is the 10-byte struct virtio_net_hdr (no num_buffers).
  std::vector<uint8_t> bytes(frame.begin(), frame.begin() + sizeof(virtio_net_hdr));
  bytes.insert(bytes.end(), frame.begin() + kNetHeaderSize, frame.end());
  ASSERT_EQ(sendto(s.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
            static_cast<ssize_t>(bytes.size()))
      << std::strerror(errno);
}

class TapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = testing::TapUnavailableReason(); !why.empty()) GTEST_SKIP() << why;
    auto netns = testing::ScopedNetns::Enter();
    if (!netns.ok()) GTEST_SKIP() << "no network namespace: " << netns.status().message();
    netns_ = std::move(*netns);
  }
  // Creates tap "hulltap0" behind a NetDevice, running on a real event loop.
  void StartDevice() {
    auto tap = Tap::Open("hulltap0");
    ASSERT_TRUE(tap.ok()) << tap.status().message();
    tap_ = tap->get();
    // No IPv6 on the link, so the kernel sends no frames of its own into the tap.
    std::ofstream("/proc/sys/net/ipv6/conf/hulltap0/disable_ipv6") << "1";
    ASSERT_TRUE(testing::SetLinkUp("hulltap0").ok());
    auto packets = testing::PacketSocket("hulltap0");
    ASSERT_TRUE(packets.ok()) << packets.status().message();
    packets_ = std::move(*packets);
    auto loop = base::EventLoop::Create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    loop_thread_ = std::thread([this] { (void)loop_->Run(); });
    device_ = std::make_shared<NetDevice>(std::move(*tap), kGuestMac);
    auto t = virtio::MmioTransport::Create(device_, ram_.memory(), irq_, loop_.get());
    ASSERT_TRUE(t.ok());
    transport_ = *t;
    driver_ = std::make_unique<testing::FakeDriver>(*transport_, ram_.memory());
  }
  void TearDown() override {
    if (transport_) transport_->Reset();
    if (loop_) {
      loop_->Stop();
      loop_thread_.join();
    }
    transport_.reset();
    device_.reset();
    loop_.reset();
  }
  // Waits until the loop thread put something on `queue`'s used ring.
  std::optional<vring_used_elem> WaitUsed(uint16_t queue) {
    for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;) {
      if (auto used = driver_->queue(queue).PopUsed()) return used;
      std::this_thread::sleep_for(1ms);
    }
    return std::nullopt;
  }

  std::unique_ptr<testing::ScopedNetns> netns_;
  testing::FakeGuestMemory ram_;
  Tap* tap_ = nullptr;
  base::UniqueFd packets_;
  std::unique_ptr<base::EventLoop> loop_;
  std::thread loop_thread_;
  std::shared_ptr<NetDevice> device_;
  std::shared_ptr<testing::FakeInterruptLine> irq_ =
      std::make_shared<testing::FakeInterruptLine>();
  std::shared_ptr<virtio::MmioTransport> transport_;
  std::unique_ptr<testing::FakeDriver> driver_;
};

TEST_F(TapTest, OpensATapByNameAndRefusesBadNames) {
  auto tap = Tap::Open("hulltap7");
  ASSERT_TRUE(tap.ok()) << tap.status().message();
  EXPECT_EQ((*tap)->name(), "hulltap7");
  EXPECT_GT(if_nametoindex("hulltap7"), 0u);
  EXPECT_GE(fcntl((*tap)->fd(), F_GETFD) & FD_CLOEXEC, 1);
  EXPECT_TRUE(fcntl((*tap)->fd(), F_GETFL) & O_NONBLOCK);
  EXPECT_FALSE(Tap::Open("").ok());
  EXPECT_FALSE(Tap::Open("a-name-longer-than-ifnamsiz").ok());
  auto busy = Tap::Open("hulltap7");
  ASSERT_FALSE(busy.ok()) << "a single-queue tap has one holder";
  EXPECT_NE(busy.status().message().find("another process holds it"), std::string::npos)
      << busy.status().message();
  auto not_a_tap = Tap::Open("lo");
  ASSERT_FALSE(not_a_tap.ok());
  EXPECT_NE(not_a_tap.status().message().find("is not a tap"), std::string::npos)
      << not_a_tap.status().message();
  auto missing = Tap::Open("hulltap8", "/nonexistent/tun");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/tun"), std::string::npos);
}

TEST_F(TapTest, AttachesToAnExistingPersistentTap) {
  auto first = Tap::Open("hulltap9");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(ioctl((*first)->fd(), TUNSETPERSIST, 1), 0);
  first->reset();
  auto again = Tap::Open("hulltap9");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(ioctl((*again)->fd(), TUNSETPERSIST, 0), 0);  // gone with the namespace anyway
}

TEST_F(TapTest, FramesTheDeviceTransmitsAppearOnTheTap) {
  StartDevice();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1), {kNetQueueSize, kNetQueueSize}).ok());
  uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  std::vector<uint8_t> frame = EthernetFrame(broadcast, kGuestMac.data(), "hello from the guest");
  std::vector<uint8_t> bytes(kNetHeaderSize, 0);
  bytes.insert(bytes.end(), frame.begin(), frame.end());
  Buffer out = driver_->Readable(bytes);
  driver_->queue(kTxQueue).AddChain({&out, 1});
  driver_->Kick(kTxQueue);
  ASSERT_TRUE(WaitUsed(kTxQueue).has_value());
  ASSERT_TRUE(WaitReadable(packets_.get(), 5000ms)) << "nothing arrived on the tap";
  std::vector<uint8_t> got(2048);
  ssize_t n = recv(packets_.get(), got.data(), got.size(), 0);
  ASSERT_GE(n, static_cast<ssize_t>(frame.size()));
  got.resize(frame.size());  // a short frame may come padded
  EXPECT_EQ(got, frame);
  EXPECT_EQ(device_->stats().tx_frames, 1u);
}

TEST_F(TapTest, FramesSentIntoTheTapReachTheGuestsBuffers) {
  StartDevice();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1), {kNetQueueSize, kNetQueueSize}).ok());
  std::vector<uint8_t> frame = EthernetFrame(kGuestMac.data(), kPeerMac, "hello from the host");
  ASSERT_EQ(send(packets_.get(), frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
  // No buffers yet: the device must park the frame, not spin.
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(driver_->queue(kRxQueue).PopUsed().has_value());
  Buffer in = driver_->Writable(1526);
  driver_->queue(kRxQueue).AddChain({&in, 1});
  driver_->Kick(kRxQueue);
  // The kernel may have sent its own frames first (IPv6 on a fresh link): look for ours.
  bool found = false;
  for (int i = 0; i < 16 && !found; ++i) {
    auto used = WaitUsed(kRxQueue);
    ASSERT_TRUE(used.has_value()) << "no frame reached the rx buffer";
    std::vector<uint8_t> got = driver_->ReadBytes(in.addr, used->len);
    found = used->len == kNetHeaderSize + frame.size() &&
            std::equal(frame.begin(), frame.end(), got.begin() + kNetHeaderSize);
    if (!found) {
      driver_->queue(kRxQueue).AddChain({&in, 1});
      driver_->Kick(kRxQueue);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(TapTest, AFailedDeviceStopsPollingTheTap) {
  StartDevice();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1), {kNetQueueSize, kNetQueueSize}).ok());
  // A descriptor loop on the transmit queue: DEVICE_NEEDS_RESET.
  vring_desc looped{0x20000, 64, VRING_DESC_F_NEXT, 0};
  driver_->queue(kTxQueue).WriteDescriptor(0, looped);
  driver_->queue(kTxQueue).MakeAvailable(0);
  driver_->Kick(kTxQueue);
  for (int i = 0; i < 500 && !(driver_->status() & VIRTIO_CONFIG_S_NEEDS_RESET); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(driver_->status() & VIRTIO_CONFIG_S_NEEDS_RESET);
  // The tap becomes readable and stays so; the loop must not spin on it.
  std::vector<uint8_t> frame = EthernetFrame(kGuestMac.data(), kPeerMac, "nobody reads this");
  ASSERT_EQ(send(packets_.get(), frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
  for (int i = 0; i < 2000 && device_->watching_backend(); ++i) std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(device_->watching_backend());
  // After a reset and a new bring-up the device reads the tap again: the waiting frame
  // arrives.
  driver_->Reset();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1), {kNetQueueSize, kNetQueueSize}).ok());
  Buffer in = driver_->Writable(1526);
  driver_->queue(kRxQueue).AddChain({&in, 1});
  driver_->Kick(kRxQueue);
  auto used = WaitUsed(kRxQueue);
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->len, kNetHeaderSize + frame.size());
}

TEST_F(TapTest, OffloadsTheGuestAcceptsBecomeTheTaps) {
  StartDevice();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1) | Bit(VIRTIO_NET_F_GUEST_CSUM) |
                                   Bit(VIRTIO_NET_F_GUEST_TSO4),
                               {kNetQueueSize, kNetQueueSize})
                  .ok());
  EXPECT_EQ(EthtoolValue("hulltap0", ETHTOOL_GTXCSUM), 1u);
  EXPECT_EQ(EthtoolValue("hulltap0", ETHTOOL_GTSO), 1u);
  driver_->Reset();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1), {kNetQueueSize, kNetQueueSize}).ok());
  EXPECT_EQ(EthtoolValue("hulltap0", ETHTOOL_GTXCSUM), 0u);
  EXPECT_EQ(EthtoolValue("hulltap0", ETHTOOL_GTSO), 0u);
}

// With GUEST_CSUM and GUEST_TSO4 the tap passes a 3000-byte TCP segment on whole, GSO
// header and all, and with MRG_RXBUF it spans several receive buffers.
TEST_F(TapTest, AGuestThatAcceptedTsoGetsGsoFramesWhole) {
  StartDevice();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1) | Bit(VIRTIO_NET_F_GUEST_CSUM) |
                                   Bit(VIRTIO_NET_F_GUEST_TSO4) | Bit(VIRTIO_NET_F_MRG_RXBUF),
                               {kNetQueueSize, kNetQueueSize})
                  .ok());
  std::vector<Buffer> buffers;
  for (int i = 0; i < 4; ++i) {
    buffers.push_back(driver_->Writable(1526));
    driver_->queue(kRxQueue).AddChain({&buffers.back(), 1});
  }
  driver_->Kick(kRxQueue);
  std::vector<uint8_t> frame = GsoTcpFrame(3000);
  SendGso("hulltap0", frame);
  uint64_t total = 0;
  for (int i = 0; i < 3; ++i) {
    auto used = WaitUsed(kRxQueue);
    ASSERT_TRUE(used.has_value()) << "buffer " << i;
    total += used->len;
  }
  virtio_net_hdr_v1 h{};
  std::vector<uint8_t> head = driver_->ReadBytes(buffers[0].addr, sizeof(h));
  std::memcpy(&h, head.data(), sizeof(h));
  EXPECT_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
  EXPECT_EQ(h.gso_size, 1448);
  EXPECT_TRUE(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
  EXPECT_EQ(h.num_buffers, 3);
  EXPECT_EQ(total, frame.size());
}

// Without them the kernel segments the same packet before the tap: complete frames.
TEST_F(TapTest, AGuestWithoutTsoGetsSegmentedFrames) {
  StartDevice();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1), {kNetQueueSize, kNetQueueSize}).ok());
  std::vector<Buffer> buffers;
  for (int i = 0; i < 4; ++i) {
    buffers.push_back(driver_->Writable(1526));
    driver_->queue(kRxQueue).AddChain({&buffers.back(), 1});
  }
  driver_->Kick(kRxQueue);
  SendGso("hulltap0", GsoTcpFrame(3000));
  int frames = 0;
  for (; frames < 3; ++frames) {
    auto used = WaitUsed(kRxQueue);
    ASSERT_TRUE(used.has_value()) << "segment " << frames;
    EXPECT_LE(used->len, kNetHeaderSize + 1514u);
    virtio_net_hdr_v1 h{};
    std::vector<uint8_t> head = driver_->ReadBytes(buffers[used->id].addr, sizeof(h));
    std::memcpy(&h, head.data(), sizeof(h));
    EXPECT_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
    EXPECT_FALSE(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
  }
  EXPECT_EQ(frames, 3) << "3000 bytes in 1448-byte segments";
}

// HOST_TSO4: a 3000-byte TCP segment the guest hands over with a GSO header goes into
// the tap as one packet, which the host stack sees whole (a packet socket reports it
// with its GSO type) and would segment itself.
TEST_F(TapTest, AGuestThatNegotiatedHostTsoSendsGsoFramesWhole) {
  StartDevice();
  ASSERT_TRUE(driver_->BringUp(Bit(VIRTIO_F_VERSION_1) | Bit(VIRTIO_NET_F_CSUM) |
                                   Bit(VIRTIO_NET_F_HOST_TSO4),
                               {kNetQueueSize, kNetQueueSize})
                  .ok());
  base::UniqueFd s(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP)));
  ASSERT_TRUE(s.valid());
  int on = 1;
  ASSERT_EQ(setsockopt(s.get(), SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(on)), 0);
  sockaddr_ll at{};
  at.sll_family = AF_PACKET;
  at.sll_protocol = htons(ETH_P_IP);
  at.sll_ifindex = static_cast<int>(if_nametoindex("hulltap0"));
  ASSERT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&at), sizeof(at)), 0);
  std::vector<uint8_t> frame = GsoTcpFrame(3000);
  Buffer out = driver_->Readable(frame);
  driver_->queue(kTxQueue).AddChain({&out, 1});
  driver_->Kick(kTxQueue);
  ASSERT_TRUE(WaitUsed(kTxQueue).has_value());
  EXPECT_EQ(device_->stats().tx_frames, 1u);
  ASSERT_TRUE(WaitReadable(s.get(), 5000ms)) << "nothing arrived on the tap";
  std::vector<uint8_t> got(8192);
  ssize_t n = recv(s.get(), got.data(), got.size(), 0);
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof(virtio_net_hdr) + frame.size() - kNetHeaderSize));
  virtio_net_hdr h{};
  std::memcpy(&h, got.data(), sizeof(h));
  EXPECT_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
  EXPECT_EQ(h.gso_size, 1448);
}

}  // namespace
}  // namespace hull::devices::net
