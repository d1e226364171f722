#include "engine/network/host_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace hull::engine::network {
namespace {

bool AllFree(const std::string&, const std::string&, uint16_t) { return true; }
bool OddOnly(const std::string&, const std::string&, uint16_t port) { return port % 2 == 1; }

TEST(HostPorts, PicksInTheRangeSkippingOtherContainersPortsAndMovesOn) {
  std::map<std::string, Endpoint> endpoints;
  endpoints["other"] = Endpoint{1, {{"tcp", "", 40000, 80}, {"udp", "", 40001, 53}}};
  endpoints["me"] = Endpoint{2, {{"tcp", "", 40002, 80}}};  // my own earlier run: not in the way
  std::vector<PortBinding> ports = {{"tcp", "", 0, 80}, {"tcp", "", 9000, 81}, {"tcp", "", 0, 82}, {"udp", "", 0, 53}};
  uint16_t next = 0;
  ASSERT_TRUE(PickHostPorts(&ports, endpoints, "me", {40000, 40010}, &next, AllFree).ok());
  EXPECT_EQ(ports[0].host_port, 40001);  // 40000/tcp is the other's; 40001 is only udp there
  EXPECT_EQ(ports[1].host_port, 9000);   // given, kept
  EXPECT_EQ(ports[2].host_port, 40002);
  EXPECT_EQ(ports[3].host_port, 40003);  // from where the last search stopped
  EXPECT_EQ(next, 40004);
  std::vector<PortBinding> more = {{"tcp", "", 0, 80}};
  ASSERT_TRUE(PickHostPorts(&more, endpoints, "x", {40000, 40010}, &next, AllFree).ok());
  EXPECT_EQ(more[0].host_port, 40004);
}

TEST(HostPorts, SkipsPortsInUseAndWrapsAndFailsWhenFull) {
  std::vector<PortBinding> ports = {{"tcp", "", 0, 80}, {"tcp", "", 0, 81}};
  uint16_t next = 40004;
  ASSERT_TRUE(PickHostPorts(&ports, {}, "me", {40000, 40004}, &next, OddOnly).ok());
  EXPECT_EQ(ports[0].host_port, 40001);  // 40004 refused, wrapped to 40000 (refused), 40001
  EXPECT_EQ(ports[1].host_port, 40003);
  std::vector<PortBinding> full = {{"tcp", "", 0, 80}};
  auto s = PickHostPorts(&full, {{"a", Endpoint{1, {{"tcp", "", 40001, 1}, {"tcp", "", 40003, 2}}}}}, "me",
                         {40000, 40004}, &next, OddOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no free host port"), std::string::npos) << s.message();
}

TEST(HostPorts, APortASocketHoldsIsNotFree) {
  base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  uint16_t held = ntohs(addr.sin_port);
  EXPECT_FALSE(HostPortFree("tcp", "", held));
  EXPECT_FALSE(HostPortFree("tcp", "127.0.0.1", held));
  PortRange range = EphemeralPortRange();
  EXPECT_LE(range.first, range.last);
}

}  // namespace
}  // namespace hull::engine::network
