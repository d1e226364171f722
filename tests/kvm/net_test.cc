// virtio-net end to end under real KVM: in a network namespace this test makes, a tap
// that is up (IPv6 off, so the kernel's own frames stay out of the way) and an
// AF_PACKET socket on it; hull-vmm --net attaches the tap to the guest's virtio-net
// device; the test guest (mode "net") sends a frame, which the test reads off the tap,
// and the test sends one back, which the guest receives and reports over serial.
// Plus: a tap hull-vmm cannot open is a clear error before boot.
#include <linux/if_tun.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "devices/net/tap.h"
#include "devices/net/test_netns.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

using devices::testing::kTestEtherType;

constexpr char kTap[] = "hullvm0";
constexpr uint8_t kPeerMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xee};

std::string MacText(const uint8_t* mac) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                mac[3], mac[4], mac[5]);
  return text;
}

// What the test saw of the guest's frame and what the guest reported.
struct Exchange {
  ProcessResult vmm;
  std::optional<std::string> guest_src_mac;  // of the guest's frame, as seen on the tap
  std::string guest_payload;
};

// Sets up the tap in a fresh namespace, runs the guest with `net_flag`, and plays the
// host side of the exchange. Skips (through `skip`) where that cannot be done.
Exchange RunNetGuest(const std::string& net_flag, std::string* skip) {
  Exchange result;
  if (std::string why = devices::testing::TapUnavailableReason(); !why.empty()) return *skip = why, result;
  auto netns = devices::testing::ScopedNetns::Enter();
  if (!netns.ok()) return *skip = "no network namespace: " + netns.status().message(), result;
  {  // A persistent tap: ours until hull-vmm attaches to it by name.
    auto tap = devices::net::Tap::Open(kTap);
    EXPECT_TRUE(tap.ok()) << tap.status().message();
    if (!tap.ok()) return result;
    EXPECT_EQ(ioctl((*tap)->fd(), TUNSETPERSIST, 1), 0);
  }
  std::ofstream(std::string("/proc/sys/net/ipv6/conf/") + kTap + "/disable_ipv6") << "1";
  EXPECT_TRUE(devices::testing::SetLinkUp(kTap).ok());
  auto packets = devices::testing::PacketSocket(kTap);
  EXPECT_TRUE(packets.ok()) << packets.status().message();
  if (!packets.ok()) return result;

  // hull-vmm inherits this thread's network namespace through the new thread.
  std::thread vmm([&] {
    result.vmm = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=net", "--memory",
                         "32", "--net", net_flag},
                        300);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(280);
  while (!result.guest_src_mac && std::chrono::steady_clock::now() < deadline) {
    pollfd p{packets->get(), POLLIN, 0};
    if (poll(&p, 1, 200) != 1) continue;
    uint8_t frame[2048];
    sockaddr_ll from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(packets->get(), frame, sizeof(frame), 0,
                         reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 14 || from.sll_pkttype == PACKET_OUTGOING) continue;
    result.guest_src_mac = MacText(frame + 6);
    result.guest_payload.assign(reinterpret_cast<char*>(frame) + 14, static_cast<size_t>(n) - 14);
    // The answer: to the guest's MAC, from a made-up peer.
    std::string reply(reinterpret_cast<char*>(frame) + 6, 6);
    reply.append(reinterpret_cast<const char*>(kPeerMac), 6);
    reply.push_back(static_cast<char>(kTestEtherType >> 8));
    reply.push_back(static_cast<char>(kTestEtherType & 0xff));
    reply += "hull host frame";
    EXPECT_EQ(send(packets->get(), reply.data(), reply.size(), 0), static_cast<ssize_t>(reply.size()));
  }
  vmm.join();
  // Not persistent any more: the tap goes with this namespace.
  if (auto tap = devices::net::Tap::Open(kTap); tap.ok()) (void)ioctl((*tap)->fd(), TUNSETPERSIST, 0);
  return result;
}

TEST(VmmNet, GuestSendsAndReceivesAFrameThroughATap) {
  SKIP_WITHOUT_KVM();
  std::string skip;
  Exchange x = RunNetGuest("id=eth0,tap=hullvm0,mac=06:00:ac:10:00:02", &skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  EXPECT_EQ(x.vmm.exit_status, 0) << x.vmm.out << x.vmm.err;
  auto report = ParseReport(x.vmm.out);
  EXPECT_EQ(report["net.device"], "0xd0000000") << x.vmm.out;
  EXPECT_EQ(report["net.mac"], "06:00:ac:10:00:02") << x.vmm.out;
  EXPECT_EQ(report["net.link"], "1") << x.vmm.out;
  ASSERT_TRUE(x.guest_src_mac.has_value()) << "no frame from the guest on the tap\n" << x.vmm.out << x.vmm.err;
  EXPECT_EQ(*x.guest_src_mac, "06:00:ac:10:00:02");
  EXPECT_EQ(x.guest_payload.substr(0, 16), "hull guest frame");
  EXPECT_EQ(report["net.received"], std::to_string(14 + 15)) << x.vmm.out;
  EXPECT_EQ(report["net.payload"], "hull host frame") << x.vmm.out;
}

TEST(VmmNet, WithoutAMacTheGuestGetsALocallyAdministeredOne) {
  SKIP_WITHOUT_KVM();
  std::string skip;
  Exchange x = RunNetGuest("id=eth0,tap=hullvm0", &skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  EXPECT_EQ(x.vmm.exit_status, 0) << x.vmm.out << x.vmm.err;
  auto report = ParseReport(x.vmm.out);
  std::string mac = report["net.mac"];
  ASSERT_EQ(mac.size(), 17u) << x.vmm.out;
  int first = std::stoi(mac.substr(0, 2), nullptr, 16);
  EXPECT_EQ(first & 3, 2) << mac << ": unicast, locally administered";
  EXPECT_EQ(x.guest_src_mac.value_or(""), mac);
  EXPECT_EQ(report["net.payload"], "hull host frame") << x.vmm.out;
}

// Needs no KVM: the tap is opened before the VM is made.
TEST(VmmNet, ATapThatCannotBeOpenedIsAnErrorBeforeBoot) {
  if (std::string why = devices::testing::TapUnavailableReason(); !why.empty()) GTEST_SKIP() << why;
  auto netns = devices::testing::ScopedNetns::Enter();
  if (!netns.ok()) GTEST_SKIP() << "no network namespace: " << netns.status().message();
  ProcessResult r;
  std::thread vmm([&] {
    // "lo" exists and is not a tap.
    r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=net", "--memory", "32",
                "--net", "id=eth0,tap=lo"});
  });
  vmm.join();
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.err.find("tap lo"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("net.device"), std::string::npos) << "the guest must not have run";
}

}  // namespace
}  // namespace hull::testing
