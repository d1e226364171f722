#include "engine/network/network.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>

#include "engine/network/netlink.h"

namespace hull::engine::network {
namespace {

// Each test in a network namespace of its own (the process moves; the old one dies
// with its last user), so the bridge, taps and rules never touch the host's.
class NetworkInNamespace : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    char tmpl[] = "/tmp/hull-net-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  NetworkOptions Options() { return NetworkOptions{"hbr-test", "10.77.0.0/24", dir_ + "/endpoints.json"}; }
  std::string dir_;
};

TEST_F(NetworkInNamespace, TapForAVmIsOnTheBridgeAndGoesWithDisconnect) {
  auto net = Network::Open(Options());
  ASSERT_TRUE(net.ok()) << net.status().message();
  ASSERT_TRUE(LinkExists("hbr-test"));
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  auto tap = (*net)->ConnectVm(id, {{"tcp", "", 8080, 80}});
  ASSERT_TRUE(tap.ok()) << tap.status().message();
  EXPECT_EQ(tap->tap, "ht0123456789ab");
  EXPECT_EQ(tap->address, "10.77.0.2/24");
  EXPECT_EQ(tap->gateway, "10.77.0.1");
  EXPECT_FALSE(tap->dns.empty());
  auto on_bridge = LinksOnBridge("hbr-test");
  ASSERT_TRUE(on_bridge.ok());
  EXPECT_EQ(*on_bridge, std::vector<std::string>{"ht0123456789ab"});
  ASSERT_TRUE((*net)->Disconnect(id).ok());
  EXPECT_FALSE(LinkExists("ht0123456789ab"));
  EXPECT_FALSE((*net)->EndpointOf(id).has_value());
}

TEST_F(NetworkInNamespace, ReconcileDropsWhatNoRunningContainerOwns) {
  const std::string kept(64, 'a'), gone(64, 'b');
  {
    auto net = Network::Open(Options());
    ASSERT_TRUE(net.ok()) << net.status().message();
    ASSERT_TRUE((*net)->Connect(kept, {}).ok());
    ASSERT_TRUE((*net)->ConnectVm(gone, {}).ok());
  }
  // A new hulld: the pool was persisted; only `kept` still runs.
  auto net = Network::Open(Options());
  ASSERT_TRUE(net.ok()) << net.status().message();
  ASSERT_TRUE((*net)->EndpointOf(gone).has_value());
  ASSERT_TRUE((*net)->Reconcile({kept}).ok());
  EXPECT_EQ((*net)->EndpointOf(kept)->address, *ParseIpv4("10.77.0.2"));
  EXPECT_FALSE((*net)->EndpointOf(gone).has_value());
  EXPECT_FALSE(LinkExists(TapName(gone)));
}

}  // namespace
}  // namespace hull::engine::network
