// VsockDevice against a hostile driver (fake driver, real transport, real event loop):
// config space, packet parsing (a header and its payload in one descriptor, two, or
// many), bad headers (short, len beyond the chain, wrong CIDs, wrong type, unknown op),
// packets for no connection, credit violations, rx buffers too small, the RST backlog.
#include "devices/vsock/vsock_device.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "devices/vsock/vsock_test_harness.h"

namespace hull::devices::vsock {
namespace {

using devices::testing::Buffer;
using testing::GuestHeader;
using testing::Packet;
using testing::VsockHarness;

constexpr uint32_t kGuestPort = 1234;
constexpr uint32_t kHostPort = 5000;

TEST(VsockDevice, ConfigSpaceHoldsTheGuestCid) {
  VsockHarness h;
  EXPECT_EQ(h.driver().Read32(0x08), uint32_t{VIRTIO_ID_VSOCK});
  EXPECT_EQ(h.driver().Read32(0x100), testing::kGuestCid);
  EXPECT_EQ(h.driver().Read32(0x104), 0u);
  h.driver().Write32(0x100, 77);  // read-only
  EXPECT_EQ(h.driver().Read32(0x100), testing::kGuestCid);
}

TEST(VsockDevice, CreateRefusesReservedCids) {
  testing::TempDir dir;
  for (uint64_t cid : {0ull, 1ull, 2ull, 0xffffffffull, 1ull << 40}) {
    auto d = VsockDevice::Create({.guest_cid = cid, .uds_path = dir.path() + "/v.sock"});
    EXPECT_FALSE(d.ok()) << cid;
  }
}

TEST(VsockDevice, RefusesActivationWithoutAllThreeQueues) {
  VsockHarness h;
  ASSERT_TRUE(h.driver().Negotiate(testing::kVersion1).ok());
  h.driver().SetUpQueue(0, 16);
  h.driver().SetUpQueue(1, 16);
  EXPECT_FALSE(h.driver().DriverOk().ok());
}

// A guest connection to a host listener, the RW packet split three ways.
class VsockSplit : public ::testing::TestWithParam<int> {};

TEST_P(VsockSplit, HeaderAndPayloadReachTheHostHoweverTheChainIsCut) {
  VsockHarness h;
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  ASSERT_TRUE(listener.valid());
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RESPONSE);
  EXPECT_EQ(p->hdr.src_cid, kHostCid);
  EXPECT_EQ(p->hdr.dst_cid, testing::kGuestCid);
  EXPECT_EQ(p->hdr.src_port, kHostPort);
  EXPECT_EQ(p->hdr.dst_port, kGuestPort);
  EXPECT_EQ(p->hdr.buf_alloc, 256u * 1024);
  base::UniqueFd host = testing::HostAccept(listener.get());
  ASSERT_TRUE(host.valid());
  std::string text = "hello from the guest, split " + std::to_string(GetParam());
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, text.size()), text, GetParam());
  std::string got;
  ASSERT_TRUE(h.PumpUntil([&] { return (got += testing::HostReadNow(host.get())).size() >= text.size(); }));
  EXPECT_EQ(got, text);
}

INSTANTIATE_TEST_SUITE_P(Splits, VsockSplit, ::testing::Values(0, 1, 2));

TEST(VsockDevice, DropsMalformedPacketsAndKeepsWorking) {
  VsockHarness h;
  h.BringUp();
  // Shorter than a header.
  h.SendChain({h.driver().Readable(std::vector<uint8_t>(20, 1))});
  // len beyond the chain.
  virtio_vsock_hdr hdr = GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, 100);
  h.Send(hdr, "short");
  // len above 64 KiB (and the chain has it).
  hdr.len = kMaxPayload + 1;
  h.Send(hdr, std::string(kMaxPayload + 1, 'x'));
  // A source CID that is not the guest's.
  hdr = GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort);
  hdr.src_cid = 42;
  h.Send(hdr);
  // A writable-only chain (nothing readable).
  h.SendChain({h.driver().Writable(64)});
  EXPECT_EQ(h.tx_used(), 5u) << "every tx chain is returned";
  h.Pump();
  EXPECT_FALSE(h.Receive()) << "malformed packets get no answer";
  EXPECT_EQ(h.device().packets_dropped(), 5u);
  EXPECT_FALSE(h.driver().status() & VIRTIO_CONFIG_S_NEEDS_RESET);
  // Still serving: a request to a port nobody listens on gets its RST.
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
}

TEST(VsockDevice, AnswersWrongDestinationAndTypeWithRst) {
  VsockHarness h;
  h.BringUp();
  virtio_vsock_hdr hdr = GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort);
  hdr.dst_cid = 7;
  h.Send(hdr);
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
  EXPECT_EQ(p->hdr.src_cid, 7u) << "the RST comes from where the packet was sent";
  EXPECT_EQ(p->hdr.src_port, kHostPort);
  EXPECT_EQ(p->hdr.dst_port, kGuestPort);
  hdr = GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort);
  hdr.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
  h.Send(hdr);
  p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
  EXPECT_EQ(p->hdr.type, VIRTIO_VSOCK_TYPE_STREAM);
}

TEST(VsockDevice, PacketsForNoConnectionGetRstButRstGetsNothing) {
  VsockHarness h;
  h.BringUp();
  for (uint16_t op : std::vector<uint16_t>{VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_OP_RESPONSE, VIRTIO_VSOCK_OP_SHUTDOWN,
                      VIRTIO_VSOCK_OP_CREDIT_UPDATE, VIRTIO_VSOCK_OP_CREDIT_REQUEST,
                      VIRTIO_VSOCK_OP_INVALID, uint16_t{99}}) {
    h.Send(GuestHeader(op, kGuestPort, kHostPort));
    std::optional<Packet> p = h.WaitPacket();
    ASSERT_TRUE(p) << OpName(op);
    EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST) << OpName(op);
    EXPECT_EQ(p->hdr.len, 0u);
  }
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RST, kGuestPort, kHostPort));
  h.Pump();
  EXPECT_FALSE(h.Receive());
}

// Guest connects to a host listener; returns the accepted host socket.
base::UniqueFd Establish(VsockHarness& h, int listener, uint32_t guest_port = kGuestPort,
                         uint32_t buf_alloc = 1 << 20) {
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, guest_port, kHostPort, 0, buf_alloc));
  std::optional<Packet> p = h.WaitPacket();
  EXPECT_TRUE(p && p->hdr.op == VIRTIO_VSOCK_OP_RESPONSE);
  return testing::HostAccept(listener);
}

TEST(VsockDevice, UnknownOpOrSecondRequestOnALiveConnectionResetsIt) {
  for (uint16_t op : {uint16_t{42}, uint16_t{VIRTIO_VSOCK_OP_REQUEST}, uint16_t{VIRTIO_VSOCK_OP_RESPONSE}}) {
    VsockHarness h;
    base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
    h.BringUp();
    base::UniqueFd host = Establish(h, listener.get());
    ASSERT_EQ(h.device().connection_count(), 1u);
    h.Send(GuestHeader(op, kGuestPort, kHostPort));
    std::optional<Packet> p = h.WaitPacket();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST) << OpName(op);
    EXPECT_EQ(h.device().connection_count(), 0u);
    EXPECT_TRUE(testing::HostSeesEof(host.get()));
  }
}

TEST(VsockDevice, DataBeyondTheAdvertisedCreditResetsTheConnection) {
  VsockHarness h({.buf_alloc = 1024});
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  base::UniqueFd host = Establish(h, listener.get());
  std::string ok(1024, 'a');
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, ok.size()), ok);
  EXPECT_EQ(h.device().connection_count(), 1u) << "exactly the credit is fine";
  std::string too_much(1025, 'b');
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, too_much.size()), too_much);
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  // The 1024 bytes were forwarded, which may have produced a CREDIT_UPDATE first.
  while (p && p->hdr.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE) p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
  EXPECT_EQ(h.device().connection_count(), 0u);
  EXPECT_EQ(testing::HostReadNow(host.get()), ok);
  EXPECT_TRUE(testing::HostSeesEof(host.get()));
}

TEST(VsockDevice, RxBufferTooSmallForAHeaderIsReturnedUnused) {
  VsockHarness h;
  h.BringUp(testing::kVersion1, 0);
  h.PostRx(16);
  h.PostRx(testing::kRxBufferSize);
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  std::optional<Packet> first = h.WaitPacket();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->used_len, 0u);
  std::optional<Packet> second = h.WaitPacket();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->hdr.op, VIRTIO_VSOCK_OP_RST);
  EXPECT_FALSE(h.driver().status() & VIRTIO_CONFIG_S_NEEDS_RESET);
}

std::vector<uint8_t> HeaderBytes(const virtio_vsock_hdr& hdr) {
  auto* p = reinterpret_cast<const uint8_t*>(&hdr);
  return std::vector<uint8_t>(p, p + kHeaderSize);
}

TEST(VsockDevice, TxWaitsWhileTheRstBacklogIsFullThenResumes) {
  VsockHarness h;
  h.BringUp(testing::kVersion1, 0);  // no rx buffers: RSTs pile up
  for (int i = 0; i < 300; ++i) {
    auto bytes = HeaderBytes(GuestHeader(VIRTIO_VSOCK_OP_RW, 1000 + i, kHostPort));
    Buffer b = h.driver().Readable(bytes);
    h.driver().queue(kTxQueue).AddChain({&b, 1});
    if (i % 100 == 99) {
      h.driver().Kick(kTxQueue);
      h.Pump();
    }
  }
  uint64_t used = 0;
  while (h.driver().queue(kTxQueue).PopUsed()) ++used;
  EXPECT_EQ(used, kMaxPendingResets) << "tx stops once the RST backlog is full";
  for (int i = 0; i < 64; ++i) h.PostRx(testing::kRxBufferSize);
  int rsts = 0;
  EXPECT_TRUE(h.PumpUntil([&] {
    while (auto p = h.Receive()) rsts += p->hdr.op == VIRTIO_VSOCK_OP_RST;
    return rsts == 300;
  })) << rsts;
  while (h.driver().queue(kTxQueue).PopUsed()) ++used;
  EXPECT_EQ(used, 300u);
}

TEST(VsockDevice, ResetClosesConnectionsAndTheDeviceComesBack) {
  VsockHarness h;
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  base::UniqueFd host = Establish(h, listener.get());
  h.driver().Reset();
  EXPECT_EQ(h.device().connection_count(), 0u);
  EXPECT_TRUE(testing::HostSeesEof(host.get()));
  h.BringUp();
  base::UniqueFd again = Establish(h, listener.get());
  EXPECT_TRUE(again.valid());
  EXPECT_EQ(h.device().connection_count(), 1u);
}

// As in hull-vmm: the event loop runs on its own thread while a "vCPU" (this thread)
// resets and re-initialises the device under a stream of host connects and data.
TEST(VsockDevice, ResetsRaceSafelyWithTheLoopThread) {
  VsockHarness h;
  std::thread loop_thread([&] { ASSERT_TRUE(h.loop().Run().ok()); });
  std::vector<base::UniqueFd> hosts;
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(h.driver().BringUp(testing::kVersion1, {testing::kTestQueueSize,
                                                        testing::kTestQueueSize,
                                                        testing::kTestQueueSize}).ok());
    for (int i = 0; i < 16; ++i) h.PostRx(testing::kRxBufferSize);
    for (int i = 0; i < 8; ++i) {
      base::UniqueFd fd = testing::HostConnect(h.uds_path());
      ASSERT_TRUE(fd.valid());
      (void)::send(fd.get(), "CONNECT 52\nxxxx", 15, MSG_NOSIGNAL);
      hosts.push_back(std::move(fd));
    }
    if (round % 4 == 0) {  // sometimes let the connections come up first
      for (int wait = 0; wait < 1000 && h.device().connection_count() < 8; ++wait) ::usleep(1000);
      EXPECT_GE(h.device().connection_count(), 8u);  // and earlier rounds' backlog
    } else {
      ::usleep(500 * (round % 3));
    }
    h.driver().Reset();
    EXPECT_EQ(h.device().connection_count(), 0u);
  }
  h.loop().Stop();
  loop_thread.join();
  int closed = 0;
  for (auto& fd : hosts) {
    // EOF, or ECONNRESET where the device closed with unread bytes ("xxxx").
    char c;
    ssize_t n = ::recv(fd.get(), &c, 1, MSG_DONTWAIT);
    closed += n == 0 || (n < 0 && errno == ECONNRESET);
  }
  EXPECT_GT(closed, 0) << "connections the device took are closed by its resets";
}

}  // namespace
}  // namespace hull::devices::vsock
