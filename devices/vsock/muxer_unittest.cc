// The Unix-socket host side with real sockets in a temp dir, through the device: host-
// initiated connections (CONNECT / OK, refusal, timeout, malformed and slow lines),
// guest-initiated ones, data both ways, credit-based flow control under a slow reader
// on either side, shutdown and reset, and many connections at once.
#include "devices/vsock/muxer.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include "devices/vsock/vsock_test_harness.h"

namespace hull::devices::vsock {
namespace {

using namespace std::chrono_literals;
using testing::GuestHeader;
using testing::Packet;
using testing::VsockHarness;

constexpr uint32_t kGuestListenPort = 52;
constexpr uint32_t kHostPort = 5000;
constexpr uint32_t kGuestPort = 2000;

// Host connects and sends CONNECT; the guest sees the REQUEST. Returns it.
std::optional<Packet> HostConnects(VsockHarness& h, base::UniqueFd& host, uint32_t port = kGuestListenPort) {
  host = testing::HostConnect(h.uds_path());
  EXPECT_TRUE(host.valid());
  testing::HostWrite(host.get(), "CONNECT " + std::to_string(port) + "\n");
  return h.WaitPacket();
}

// Reads from a blocking host socket until `n` bytes or a timeout.
std::string HostReadN(VsockHarness& h, int fd, size_t n) {
  std::string got;
  h.PumpUntil([&] { return (got += testing::HostReadNow(fd)).size() >= n; });
  return got;
}

TEST(VsockMuxer, HostConnectGetsOkAndCarriesDataBothWays) {
  VsockHarness h;
  h.BringUp();
  base::UniqueFd host;
  std::optional<Packet> req = HostConnects(h, host);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->hdr.op, VIRTIO_VSOCK_OP_REQUEST);
  EXPECT_EQ(req->hdr.src_cid, kHostCid);
  EXPECT_EQ(req->hdr.dst_cid, testing::kGuestCid);
  EXPECT_EQ(req->hdr.src_port, kFirstLocalPort);
  EXPECT_EQ(req->hdr.dst_port, kGuestListenPort);
  uint32_t local = req->hdr.src_port;
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RESPONSE, kGuestListenPort, local));
  EXPECT_EQ(HostReadN(h, host.get(), 14), "OK 1073741824\n");
  testing::HostWrite(host.get(), "ping");
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RW);
  EXPECT_EQ(p->payload, "ping");
  EXPECT_EQ(p->hdr.fwd_cnt, 0u) << "the OK line is not guest data";
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestListenPort, local, 4), "pong");
  EXPECT_EQ(HostReadN(h, host.get(), 4), "pong");
  // A second connection gets the next local port.
  base::UniqueFd host2;
  std::optional<Packet> req2 = HostConnects(h, host2);
  ASSERT_TRUE(req2);
  EXPECT_EQ(req2->hdr.src_port, kFirstLocalPort + 1);
}

TEST(VsockMuxer, DataWrittenRightAfterTheConnectLineIsKept) {
  VsockHarness h;
  h.BringUp();
  base::UniqueFd host = testing::HostConnect(h.uds_path());
  testing::HostWrite(host.get(), "CONNECT 52\nearly bytes");
  std::optional<Packet> req = h.WaitPacket();
  ASSERT_TRUE(req && req->hdr.op == VIRTIO_VSOCK_OP_REQUEST);
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RESPONSE, kGuestListenPort, req->hdr.src_port));
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, "early bytes");
}

TEST(VsockMuxer, SlowWriterCanSendTheLineByteByByte) {
  VsockHarness h;
  h.BringUp();
  base::UniqueFd host = testing::HostConnect(h.uds_path());
  for (char c : std::string("CONNECT 52\n")) {
    testing::HostWrite(host.get(), std::string(1, c));
    h.Pump();
  }
  std::optional<Packet> req = h.WaitPacket();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->hdr.op, VIRTIO_VSOCK_OP_REQUEST);
}

TEST(VsockMuxer, MalformedOrOverlongConnectLinesCloseTheHostSocket) {
  VsockHarness h;
  h.BringUp();
  for (std::string line : std::vector<std::string>{"HELLO 52\n", "CONNECT\n", "CONNECT 99999999999\n",
                           std::string(40, 'C'), "CONNECT 52 "+ std::string(30, ' ')}) {
    base::UniqueFd host = testing::HostConnect(h.uds_path());
    testing::HostWrite(host.get(), line);
    EXPECT_TRUE(h.PumpUntil([&] { return testing::HostSeesEof(host.get()); })) << line;
  }
  h.Pump();
  EXPECT_FALSE(h.Receive()) << "the guest hears nothing of them";
  EXPECT_EQ(h.device().connection_count(), 0u);
}

TEST(VsockMuxer, GuestRstRefusesAHostConnect) {
  VsockHarness h;
  h.BringUp();
  base::UniqueFd host;
  std::optional<Packet> req = HostConnects(h, host);
  ASSERT_TRUE(req);
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RST, kGuestListenPort, req->hdr.src_port));
  EXPECT_TRUE(h.PumpUntil([&] { return testing::HostSeesEof(host.get()); }));
  EXPECT_EQ(h.device().connection_count(), 0u);
}

TEST(VsockMuxer, UnansweredHostConnectTimesOutWithRst) {
  VsockHarness h({.connect_timeout = 100ms});
  h.BringUp();
  base::UniqueFd host;
  std::optional<Packet> req = HostConnects(h, host);
  ASSERT_TRUE(req);
  std::optional<Packet> rst = h.WaitPacket();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->hdr.op, VIRTIO_VSOCK_OP_RST);
  EXPECT_EQ(rst->hdr.src_port, req->hdr.src_port);
  EXPECT_TRUE(h.PumpUntil([&] { return testing::HostSeesEof(host.get()); }));
  // A host that never finishes its line is closed after the same time.
  base::UniqueFd idle = testing::HostConnect(h.uds_path());
  testing::HostWrite(idle.get(), "CONN");
  EXPECT_TRUE(h.PumpUntil([&] { return testing::HostSeesEof(idle.get()); }));
}

TEST(VsockMuxer, GuestConnectWithoutListenerGetsRstAndWithOneReachesIt) {
  VsockHarness h;
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RESPONSE);
  base::UniqueFd host = testing::HostAccept(listener.get());
  ASSERT_TRUE(host.valid());
  testing::HostWrite(host.get(), "echo?");
  p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, "echo?");
}

TEST(VsockMuxer, HostToGuestNeverExceedsTheGuestsCredit) {
  VsockHarness h;
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort, 0, /*buf_alloc=*/100));
  ASSERT_TRUE(h.WaitPacket());
  base::UniqueFd host = testing::HostAccept(listener.get());
  testing::HostWrite(host.get(), std::string(1000, 'z'));
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RW);
  EXPECT_EQ(p->payload.size(), 100u);
  p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_CREDIT_REQUEST) << "out of credit, it asks";
  h.Pump();
  EXPECT_FALSE(h.Receive()) << "and sends nothing more";
  // The guest consumed 100 bytes.
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_CREDIT_UPDATE, kGuestPort, kHostPort, 0, 100, 100));
  p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload.size(), 100u);
  // A larger window takes the rest.
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_CREDIT_UPDATE, kGuestPort, kHostPort, 0, 10000, 200));
  size_t total = 200;
  while (total < 1000) {
    p = h.WaitPacket();
    ASSERT_TRUE(p);
    if (p->hdr.op == VIRTIO_VSOCK_OP_RW) total += p->payload.size();
  }
  EXPECT_EQ(total, 1000u);
}

TEST(VsockMuxer, GuestToSlowHostIsBoundedByCreditAndLosesNothing) {
  VsockHarness h({.buf_alloc = 64 * 1024});
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  std::optional<Packet> resp = h.WaitPacket();
  ASSERT_TRUE(resp);
  base::UniqueFd host = testing::HostAccept(listener.get());
  int small = 4096;
  ::setsockopt(host.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  // The guest sends as its credit allows while the host reads nothing.
  uint32_t buf_alloc = resp->hdr.buf_alloc, fwd_cnt = resp->hdr.fwd_cnt, sent = 0;
  auto absorb = [&] {
    while (auto p = h.Receive()) {
      EXPECT_NE(p->hdr.op, VIRTIO_VSOCK_OP_RST);
      buf_alloc = p->hdr.buf_alloc;
      fwd_cnt = p->hdr.fwd_cnt;
    }
  };
  std::string expect;
  for (int stalls = 0; stalls < 3;) {
    absorb();
    uint32_t credit = buf_alloc - (sent - fwd_cnt);
    if (credit == 0) {
      ++stalls;
      h.Pump();
      continue;
    }
    uint32_t n = std::min<uint32_t>(credit, 8192);
    std::string chunk(n, static_cast<char>('a' + sent % 26));
    h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, n), chunk);
    expect += chunk;
    sent += n;
  }
  EXPECT_EQ(h.device().connection_count(), 1u) << "a guest within its credit is never reset";
  EXPECT_GE(sent, 64u * 1024);
  // Now the host drains; credit comes back and the guest finishes.
  std::string got;
  ASSERT_TRUE(h.PumpUntil([&] {
    got += testing::HostReadNow(host.get());
    absorb();
    uint32_t credit = buf_alloc - (sent - fwd_cnt);
    if (sent < 1024 * 1024 && credit > 0) {
      uint32_t n = std::min<uint32_t>(credit, 8192);
      std::string chunk(n, static_cast<char>('a' + sent % 26));
      h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, n), chunk);
      expect += chunk;
      sent += n;
    }
    return sent >= 1024 * 1024 && got.size() == expect.size();
  }, 10s));
  EXPECT_TRUE(got == expect);
}

TEST(VsockMuxer, GuestShutdownThenHostCloseEndsCleanly) {
  VsockHarness h;
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  ASSERT_TRUE(h.WaitPacket());
  base::UniqueFd host = testing::HostAccept(listener.get());
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, 3), "abc");
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_SHUTDOWN, kGuestPort, kHostPort));
  h.driver();  // flags below
  virtio_vsock_hdr shut = GuestHeader(VIRTIO_VSOCK_OP_SHUTDOWN, kGuestPort, kHostPort);
  shut.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
  h.Send(shut);
  EXPECT_EQ(HostReadN(h, host.get(), 3), "abc");
  EXPECT_TRUE(h.PumpUntil([&] { return testing::HostSeesEof(host.get()); })) << "SHUT_WR reached the host";
  testing::HostWrite(host.get(), "reply");
  host.reset();
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, "reply");
  p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_SHUTDOWN);
  EXPECT_EQ(p->hdr.flags, kShutdownBoth);
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RST, kGuestPort, kHostPort));
  EXPECT_EQ(h.device().connection_count(), 0u);
  h.Pump();
  EXPECT_FALSE(h.Receive()) << "no RST answers the guest's RST";
}

TEST(VsockMuxer, HostHalfCloseStillCarriesGuestData) {
  VsockHarness h;
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  ASSERT_TRUE(h.WaitPacket());
  base::UniqueFd host = testing::HostAccept(listener.get());
  ::shutdown(host.get(), SHUT_WR);
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_SHUTDOWN);
  EXPECT_EQ(p->hdr.flags, uint32_t{VIRTIO_VSOCK_SHUTDOWN_SEND});
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, 4), "late");
  EXPECT_EQ(HostReadN(h, host.get(), 4), "late");
  EXPECT_EQ(h.device().connection_count(), 1u);
}

TEST(VsockMuxer, GuestShutdownBothIsAnsweredWithRst) {
  VsockHarness h;
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  ASSERT_TRUE(h.WaitPacket());
  base::UniqueFd host = testing::HostAccept(listener.get());
  virtio_vsock_hdr shut = GuestHeader(VIRTIO_VSOCK_OP_SHUTDOWN, kGuestPort, kHostPort);
  shut.flags = kShutdownBoth;
  h.Send(shut);
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
  EXPECT_EQ(h.device().connection_count(), 0u);
  EXPECT_TRUE(testing::HostSeesEof(host.get()));
}

TEST(VsockMuxer, HostCloseWithoutGuestRstTimesOut) {
  VsockHarness h({.shutdown_timeout = 100ms});
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  ASSERT_TRUE(h.WaitPacket());
  testing::HostAccept(listener.get()).reset();  // accepted and closed
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_SHUTDOWN);
  p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
  EXPECT_EQ(h.device().connection_count(), 0u);
}

TEST(VsockMuxer, GuestDataForAHostThatClosedResetsTheConnection) {
  VsockHarness h;
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort, kHostPort));
  ASSERT_TRUE(h.WaitPacket());
  testing::HostAccept(listener.get()).reset();
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_SHUTDOWN);
  // The guest had not seen that yet and sends anyway: nobody reads it any more.
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_RW, kGuestPort, kHostPort, 4), "lost");
  p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
  EXPECT_EQ(h.device().connection_count(), 0u);
}

TEST(VsockMuxer, HundredsOfConnectionsBothWays) {
  VsockHarness h;
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  constexpr int kEach = 200;
  std::vector<base::UniqueFd> hosts(kEach);
  for (int i = 0; i < kEach; ++i) {
    hosts[i] = testing::HostConnect(h.uds_path());
    ASSERT_TRUE(hosts[i].valid()) << i;
    testing::HostWrite(hosts[i].get(), "CONNECT " + std::to_string(100 + i) + "\n");
    h.Pump();  // accept, before the listen backlog fills
  }
  std::map<uint32_t, uint32_t> local_of;  // guest port -> host local port
  ASSERT_TRUE(h.PumpUntil([&] {
    while (auto p = h.Receive()) {
      EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_REQUEST);
      local_of[p->hdr.dst_port] = p->hdr.src_port;
      h.Send(GuestHeader(VIRTIO_VSOCK_OP_RESPONSE, p->hdr.dst_port, p->hdr.src_port));
    }
    return local_of.size() == kEach;
  }, 10s));
  for (int i = 0; i < kEach; ++i) {
    h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort + i, kHostPort));
  }
  std::vector<base::UniqueFd> accepted;
  int responses = 0;
  ASSERT_TRUE(h.PumpUntil([&] {
    while (auto p = h.Receive()) {
      EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RESPONSE);
      ++responses;
    }
    while (base::UniqueFd fd = testing::HostAccept(listener.get())) accepted.push_back(std::move(fd));
    return accepted.size() == kEach && responses == kEach;
  }));
  EXPECT_EQ(h.device().connection_count(), 2u * kEach);
  for (int i = 0; i < kEach; ++i) {
    std::string line = "OK " + std::to_string(local_of[100 + i]) + "\n";
    EXPECT_EQ(HostReadN(h, hosts[i].get(), line.size()), line);
    testing::HostWrite(hosts[i].get(), "m" + std::to_string(i));
  }
  std::map<uint32_t, std::string> got;
  ASSERT_TRUE(h.PumpUntil([&] {
    while (auto p = h.Receive()) {
      EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RW) << OpName(p->hdr.op) << " to " << p->hdr.dst_port;
      got[p->hdr.dst_port] += p->payload;
    }
    return got.size() == kEach;
  })) << got.size() << " connections delivered";
  for (int i = 0; i < kEach; ++i) EXPECT_EQ(got[100 + i], "m" + std::to_string(i));
}

TEST(VsockMuxer, ConnectionLimitRefusesBothSides) {
  VsockHarness h({.max_connections = 4});
  base::UniqueFd listener = testing::HostListen(h.PortPath(kHostPort));
  h.BringUp();
  for (uint32_t i = 0; i < 4; ++i) {
    h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort + i, kHostPort));
    std::optional<Packet> p = h.WaitPacket();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RESPONSE);
  }
  h.Send(GuestHeader(VIRTIO_VSOCK_OP_REQUEST, kGuestPort + 9, kHostPort));
  std::optional<Packet> p = h.WaitPacket();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hdr.op, VIRTIO_VSOCK_OP_RST);
  base::UniqueFd host = testing::HostConnect(h.uds_path());
  EXPECT_TRUE(h.PumpUntil([&] { return testing::HostSeesEof(host.get()); }));
  EXPECT_EQ(h.device().connection_count(), 4u);
}

TEST(VsockMuxer, HostConnectsWaitForTheDriverAndDieWithTheDevice) {
  std::string path;
  {
    VsockHarness h;
    path = h.uds_path();
    base::UniqueFd early = testing::HostConnect(path);
    ASSERT_TRUE(early.valid()) << "the socket exists before the driver is up";
    testing::HostWrite(early.get(), "CONNECT 52\n");
    h.BringUp();
    std::optional<Packet> req = h.WaitPacket();
    ASSERT_TRUE(req);
    EXPECT_EQ(req->hdr.op, VIRTIO_VSOCK_OP_REQUEST);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path)) << "the socket file goes with the device";
}

}  // namespace
}  // namespace hull::devices::vsock
