#include "engine/network/address_pool.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace hull::engine::network {
namespace {

class AddressPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-pool-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/endpoints.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

TEST(Ipv4Net, ParsesAndRefusesBadSubnets) {
  auto net = Ipv4Net::Parse("172.30.0.0/16");
  ASSERT_TRUE(net.ok()) << net.status().message();
  EXPECT_EQ(FormatIpv4(net->gateway()), "172.30.0.1");
  EXPECT_EQ(FormatIpv4(net->broadcast()), "172.30.255.255");
  EXPECT_EQ(net->ToString(), "172.30.0.0/16");
  EXPECT_FALSE(Ipv4Net::Parse("172.30.0.1/16").ok());  // host bits
  EXPECT_FALSE(Ipv4Net::Parse("172.30.0.0").ok());
  EXPECT_FALSE(Ipv4Net::Parse("172.30.0.0/31").ok());
  EXPECT_FALSE(Ipv4Net::Parse("300.1.0.0/16").ok());
  EXPECT_FALSE(Ipv4Net::Parse("10.0.0.0/x").ok());
}

TEST_F(AddressPoolTest, HandsOutLowestFreeAddressAndReusesReleasedOnes) {
  auto pool = AddressPool::Open(path_, *Ipv4Net::Parse("10.9.0.0/16"));
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(FormatIpv4(pool->Allocate("a", {})->address), "10.9.0.2");
  EXPECT_EQ(FormatIpv4(pool->Allocate("b", {})->address), "10.9.0.3");
  EXPECT_EQ(FormatIpv4(pool->Allocate("a", {})->address), "10.9.0.2");  // same container, same address
  ASSERT_TRUE(pool->Release("a").ok());
  EXPECT_EQ(FormatIpv4(pool->Allocate("c", {})->address), "10.9.0.2");
}

TEST_F(AddressPoolTest, SurvivesReopenAndForgetsOnSubnetChange) {
  {
    auto pool = AddressPool::Open(path_, *Ipv4Net::Parse("10.9.0.0/16"));
    ASSERT_TRUE(pool->Allocate("a", {{"udp", "", 5353, 53}}).ok());
  }
  auto again = AddressPool::Open(path_, *Ipv4Net::Parse("10.9.0.0/16"));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->endpoints().size(), 1u);
  EXPECT_EQ(FormatIpv4(again->endpoints().at("a").address), "10.9.0.2");
  EXPECT_EQ(again->endpoints().at("a").ports, (std::vector<PortBinding>{{"udp", "", 5353, 53}}));
  auto changed = AddressPool::Open(path_, *Ipv4Net::Parse("10.10.0.0/16"));
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->endpoints().empty());
}

TEST_F(AddressPoolTest, RefusesAHostPortAnotherContainerPublishesAndAFullSubnet) {
  auto pool = AddressPool::Open(path_, *Ipv4Net::Parse("10.9.0.0/30"));  // one container address
  ASSERT_TRUE(pool->Allocate("a", {{"tcp", "", 8080, 80}}).ok());
  auto clash = pool->Allocate("b", {{"tcp", "127.0.0.1", 8080, 80}});
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("port is already allocated"), std::string::npos);
  auto full = pool->Allocate("b", {{"udp", "", 8080, 80}});  // udp is another port, but no address left
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.status().message().find("no free address"), std::string::npos);
  EXPECT_EQ(pool->endpoints().size(), 1u);
}

TEST_F(AddressPoolTest, CorruptFileIsAnError) {
  FILE* f = std::fopen(path_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("{\"subnet\": 3", f);
  std::fclose(f);
  EXPECT_FALSE(AddressPool::Open(path_, *Ipv4Net::Parse("10.9.0.0/16")).ok());
}

}  // namespace
}  // namespace hull::engine::network
