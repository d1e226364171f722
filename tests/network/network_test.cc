// hulld's bridge network end to end (issue 7, item 5), each test inside a network
// namespace it creates: containers on hull0 reach each other, published tcp and udp
// ports answer on the namespace's loopback and on the bridge address, --network none and
// host, nothing left after rm (veth, rules, address), addresses kept across a SIGKILLed
// hulld, and a micro-VM (qemu under TCG) on a tap on the same bridge.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using hull::rootfs::testing::RunTool;
using hull::testing::ProcessResult;

class BridgeNetwork : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker", "curl", "python3", "nsenter", "ip"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, bridges)";
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    ASSERT_EQ(Sh("ip link set lo up").exit_status, 0);
    HulldTest::SetUp();  // a hulld with --bridge none; restarted with the bridge
    StopHulld(SIGTERM);
    ASSERT_TRUE(StartHulld({"--bridge", "hull0"}));
  }

  ProcessResult Sh(const std::string& command, double timeout = 30) {
    return RunTool({"sh", "-c", command}, timeout);
  }
  std::string Inspect(const std::string& name, const std::string& format) {
    auto r = Docker({"inspect", "-f", format, name});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  // Runs `docker run -d` and waits until `ready` (a shell test inside the container)
  // passes, so servers are listening before the test talks to them.
  void RunDetached(std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), {"run", "-d", "--name", name});
    auto r = Docker(args);
    ASSERT_EQ(r.exit_status, 0) << r.err;
  }
  std::string HttpGet(const std::string& url) {
    for (int i = 0; i < 50; ++i) {
      auto r = RunTool({"curl", "-s", "--max-time", "3", url}, 10);
      if (r.exit_status == 0) return r.out;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "(no answer from " + url + ")";
  }
  std::string Links() { return Sh("ip -o link show").out; }
  std::string Endpoints() {
    std::ifstream f(root_ + "/network/endpoints.json");
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
};

constexpr char kServe[] = "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html && exec busybox httpd -f -p 80 -h /www";

TEST_F(BridgeNetwork, ContainersReachEachOtherAndGetHostsAndResolvConf) {
  RunDetached({"hull/busybox", "sh", "-c", kServe}, "server");
  std::string ip = Inspect("server", "{{.NetworkSettings.IPAddress}}");
  EXPECT_EQ(ip, "172.30.0.2");
  EXPECT_EQ(Inspect("server", "{{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}}"), "172.30.0.1 16");
  std::string id = Inspect("server", "{{.Id}}");
  auto client = Docker({"run", "--rm", "hull/busybox", "sh", "-c",
                        "ping -c 1 -W 5 " + ip + " >/dev/null && echo ping-ok; "
                        "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://" + ip +
                            "/ && break; sleep 0.3; done; "
                        "ip -o -4 addr show eth0 | awk '{print $4}'; ip route | grep default; "
                        "grep -c nameserver /etc/resolv.conf; tail -n 1 /etc/hosts | cut -f1"});
  ASSERT_EQ(client.exit_status, 0) << client.err;
  EXPECT_EQ(client.out, "ping-ok\nhello from " + id.substr(0, 12) + "\n172.30.0.3/16\ndefault via 172.30.0.1 dev eth0 \n1\n172.30.0.3\n")
      << client.err;
  EXPECT_EQ(Sh("ip -o link show master hull0 | grep -c hv" + id.substr(0, 12)).out, "1\n");
}

TEST_F(BridgeNetwork, PublishedTcpPortAnswersOnLoopbackAndBridgeAddress) {
  RunDetached({"-p", "18080:80", "hull/busybox", "sh", "-c", kServe}, "web");
  std::string id = Inspect("web", "{{.Id}}");
  EXPECT_EQ(Inspect("web", "{{json .NetworkSettings.Ports}}"), R"({"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"18080"}]})");
  EXPECT_EQ(HttpGet("http://127.0.0.1:18080/"), "hello from " + id.substr(0, 12) + "\n");
  EXPECT_EQ(HttpGet("http://172.30.0.1:18080/"), "hello from " + id.substr(0, 12) + "\n");
  // A second container cannot take the same host port.
  auto clash = Docker({"run", "-d", "-p", "18080:80", "hull/busybox", "sleep", "30"});
  EXPECT_NE(clash.exit_status, 0);
  EXPECT_NE(clash.err.find("port is already allocated"), std::string::npos) << clash.err;
}

TEST_F(BridgeNetwork, PublishedUdpPortReachesTheContainersNamespace) {
  RunDetached({"-p", "15353:53/udp", "hull/busybox", "sleep", "300"}, "udp");
  std::string pid = Inspect("udp", "{{.State.Pid}}");
  // busybox has no UDP server: a python echo server inside the container's network
  // namespace (nsenter -n) answers in its place.
  std::string server =
      "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 53))\n"
      "for _ in range(2):\n  d, a = s.recvfrom(100); s.sendto(b'echo:' + d, a)\n";
  std::thread echo([&] { RunTool({"nsenter", "-t", pid, "-n", "python3", "-c", server}, 30); });
  std::string client =
      "import socket, sys, time\n"
      "for host in ('127.0.0.1', '172.30.0.1'):\n"
      "  s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)\n"
      "  for _ in range(20):\n"
      "    s.sendto(host.encode(), (host, 15353))\n"
      "    try: print(s.recv(100).decode()); break\n"
      "    except socket.timeout: pass\n";
  auto r = RunTool({"python3", "-c", client}, 30);
  echo.join();
  EXPECT_EQ(r.out, "echo:127.0.0.1\necho:172.30.0.1\n") << r.err;
}

TEST_F(BridgeNetwork, NoneHasOnlyLoopbackAndHostSeesTheNamespacesInterfaces) {
  auto none = Docker({"run", "--rm", "--network", "none", "hull/busybox", "sh", "-c",
                      "ip -o link show | awk -F': ' '{print $2}'"});
  ASSERT_EQ(none.exit_status, 0) << none.err;
  EXPECT_EQ(none.out, "lo\n");
  auto host = Docker({"run", "--rm", "--network", "host", "hull/busybox", "sh", "-c",
                      "ip -o link show | awk -F': ' '{print $2}' | sort"});
  ASSERT_EQ(host.exit_status, 0) << host.err;
  EXPECT_EQ(host.out, "hull0\nlo\n");
  EXPECT_EQ(Endpoints().find("172.30"), std::string::npos) << Endpoints();
}

TEST_F(BridgeNetwork, RemoveLeavesNoVethRuleOrAddress) {
  RunDetached({"-p", "18081:80", "hull/busybox", "sh", "-c", kServe}, "gone");
  std::string id = Inspect("gone", "{{.Id}}");
  EXPECT_NE(Links().find("hv" + id.substr(0, 12)), std::string::npos);
  EXPECT_NE(Sh("nft list table ip hull").out.find("dport 18081"), std::string::npos);
  EXPECT_NE(Endpoints().find(id), std::string::npos);
  ASSERT_EQ(Docker({"rm", "-f", "gone"}).exit_status, 0);
  EXPECT_EQ(Links().find("hv"), std::string::npos) << Links();
  EXPECT_EQ(Sh("nft list table ip hull").out.find("dnat to"), std::string::npos);
  EXPECT_EQ(Endpoints().find(id), std::string::npos) << Endpoints();
  // The address is free again: the next container gets it.
  RunDetached({"hull/busybox", "sleep", "30"}, "next");
  EXPECT_EQ(Inspect("next", "{{.NetworkSettings.IPAddress}}"), "172.30.0.2");
  // A container that exits on its own releases its address too.
  auto quick = Docker({"run", "--name", "quick", "hull/busybox", "true"});
  ASSERT_EQ(quick.exit_status, 0) << quick.err;
  EXPECT_EQ(Inspect("quick", "{{.NetworkSettings.IPAddress}}"), "");
}

TEST_F(BridgeNetwork, AddressesAndRulesSurviveAKilledHulld) {
  RunDetached({"-p", "18082:80", "hull/busybox", "sh", "-c", kServe}, "one");
  RunDetached({"hull/busybox", "sleep", "300"}, "two");
  std::string one = Inspect("one", "{{.Id}}");
  std::string two_pid = Inspect("two", "{{.State.Pid}}");
  ASSERT_EQ(HttpGet("http://127.0.0.1:18082/"), "hello from " + one.substr(0, 12) + "\n");
  StopHulld(SIGKILL);
  // While hulld is down, "two" dies: the next hulld must release its address and veth.
  ::kill(std::stoi(two_pid), SIGKILL);
  ASSERT_TRUE(StartHulld({"--bridge", "hull0"}));
  EXPECT_EQ(Inspect("one", "{{.NetworkSettings.IPAddress}}"), "172.30.0.2");
  EXPECT_EQ(Inspect("two", "{{.State.Status}} {{.NetworkSettings.IPAddress}}"), "exited ");
  EXPECT_EQ(HttpGet("http://127.0.0.1:18082/"), "hello from " + one.substr(0, 12) + "\n");
  RunDetached({"hull/busybox", "sleep", "30"}, "three");
  EXPECT_EQ(Inspect("three", "{{.NetworkSettings.IPAddress}}"), "172.30.0.3");
  EXPECT_EQ(Sh("ip -o link show master hull0 | wc -l").out, "2\n") << Links();
}

TEST_F(BridgeNetwork, MicroVmGetsATapOnTheBridge) {
  if (!hull::rootfs::testing::MissingTools({"qemu-system-x86_64"}).empty()) GTEST_SKIP() << "no qemu-system-x86_64";
  RunDetached({"hull/busybox", "sh", "-c", kServe}, "server");
  std::string id = Inspect("server", "{{.Id}}");
  std::string ip = Inspect("server", "{{.NetworkSettings.IPAddress}}");
  auto vm = Docker({"run", "--runtime", "vm", "--name", "vm", "hull/busybox", "sh", "-c",
                    "ip -o -4 addr show eth0 | awk '{print $4}'; "
                    "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://" + ip + "/ && break; sleep 0.5; done"},
                   240);
  if (vm.err.find("guest-kernel-config/build.sh") != std::string::npos) GTEST_SKIP() << "no guest kernel: " << vm.err;
  if (vm.err.find("not available through hulld") != std::string::npos) GTEST_SKIP() << "hulld runs no VMs: " << vm.err;
  EXPECT_EQ(vm.exit_status, 0) << vm.err;
  EXPECT_EQ(vm.out, "172.30.0.3/16\nhello from " + id.substr(0, 12) + "\n") << vm.err;
  // Exited: its tap and address are gone.
  EXPECT_EQ(Links().find(": ht"), std::string::npos) << Links();
  EXPECT_EQ(Inspect("vm", "{{.NetworkSettings.IPAddress}}"), "");
}

TEST_F(BridgeNetwork, BadPortBindingsAreRefused) {
  auto bad = Http("POST", "/containers/create",
                  R"({"Image": "hull/busybox", "Cmd": ["true"], "HostConfig": {"PortBindings": {"80/sctp": [{"HostPort": "1"}]}}})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto net = Http("POST", "/containers/create",
                  R"({"Image": "hull/busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "mynet"}})");
  EXPECT_EQ(net.status, 400) << net.body;
}

// -p 80 and -p 127.0.0.1::80 (HostPort ""), as Docker does: a free port of the kernel's
// ephemeral range, shown by inspect, docker port and hull port, and answering there.
TEST_F(BridgeNetwork, RandomHostPortIsPickedShownAndAnswers) {
  ASSERT_EQ(Sh("echo 40000 40009 > /proc/sys/net/ipv4/ip_local_port_range").exit_status, 0);  // this namespace's
  // A host socket holds the first port of the range: it is skipped.
  base::UniqueFd holder(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(40000);
  ASSERT_EQ(::bind(holder.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(holder.get(), 1), 0);
  RunDetached({"-p", "80", "-p", "127.0.0.1::81", "hull/busybox", "sh", "-c", kServe}, "web");
  std::string id = Inspect("web", "{{.Id}}");
  EXPECT_EQ(Inspect("web", "{{json .NetworkSettings.Ports}}"),
            R"({"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"40001"}],"81/tcp":[{"HostIp":"127.0.0.1","HostPort":"40002"}]})");
  EXPECT_EQ(Inspect("web", "{{json .HostConfig.PortBindings}}"),
            R"({"80/tcp":[{"HostIp":"","HostPort":""}],"81/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]})");
  EXPECT_EQ(HttpGet("http://127.0.0.1:40001/"), "hello from " + id.substr(0, 12) + "\n");
  auto port = Docker({"port", "web", "80"});
  EXPECT_EQ(port.out, "0.0.0.0:40001\n") << port.err;
  auto hull_port = RunTool({HULL_CLI_PATH, "-H", "unix://" + socket_, "port", "web"}, 30);
  EXPECT_EQ(hull_port.out, "80/tcp -> 0.0.0.0:40001\n81/tcp -> 127.0.0.1:40002\n") << hull_port.err;
  auto none = RunTool({HULL_CLI_PATH, "-H", "unix://" + socket_, "port", "web", "82"}, 30);
  EXPECT_EQ(none.exit_status, 1);
  EXPECT_NE(none.err.find("No public port '82/tcp' published for web"), std::string::npos) << none.err;
  // A second container gets the next free one, not the first's.
  RunDetached({"-p", "0:80", "hull/busybox", "sleep", "300"}, "second");
  EXPECT_EQ(Inspect("second", "{{json .NetworkSettings.Ports}}"), R"({"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"40003"}]})");
}

// -P publishes every exposed port (docker run --expose here; the image's ExposedPorts
// join them) on random host ports; a port given with -p keeps its host port.
TEST_F(BridgeNetwork, PublishAllUsesRandomPortsForExposedPorts) {
  ASSERT_EQ(Sh("echo 41000 41009 > /proc/sys/net/ipv4/ip_local_port_range").exit_status, 0);
  RunDetached({"-P", "--expose", "80", "--expose", "53/udp", "-p", "18081:81", "hull/busybox", "sh", "-c", kServe}, "all");
  std::string id = Inspect("all", "{{.Id}}");
  auto ports = nlohmann::json::parse(Inspect("all", "{{json .NetworkSettings.Ports}}"));
  EXPECT_EQ(ports["81/tcp"][0]["HostPort"], "18081") << ports;
  std::string p80 = ports["80/tcp"][0].value("HostPort", "");
  std::string p53 = ports["53/udp"][0].value("HostPort", "");
  EXPECT_TRUE(p80 >= "41000" && p80 <= "41009") << ports;
  EXPECT_TRUE(p53 >= "41000" && p53 <= "41009") << ports;
  EXPECT_EQ(HttpGet("http://127.0.0.1:" + p80 + "/"), "hello from " + id.substr(0, 12) + "\n");
  auto bad = Http("POST", "/containers/create",
                  R"({"Image": "hull/busybox", "Cmd": ["true"], "ExposedPorts": {"80/sctp": {}}, "HostConfig": {"PublishAllPorts": true}})");
  ASSERT_EQ(bad.status, 201) << bad.body;
  std::string bad_id = nlohmann::json::parse(bad.body).value("Id", "");
  auto start = Http("POST", "/containers/" + bad_id + "/start");
  EXPECT_EQ(start.status, 400) << start.body;
}

}  // namespace
}  // namespace hull::daemon_testing
