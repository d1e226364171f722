#include "engine/network/docker_ports.h"

#include <gtest/gtest.h>

namespace hull::engine::network {
namespace {

using nlohmann::json;

TEST(DockerPorts, ParsesWhatTheDockerCliSends) {
  auto ports = ParsePortBindings(json::parse(R"({"80/tcp": [{"HostIp": "", "HostPort": "8080"}],
      "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}], "22": [{"HostPort": "2222"}]})"));
  ASSERT_TRUE(ports.ok()) << ports.status().message();
  ASSERT_EQ(ports->size(), 3u);
  EXPECT_EQ(ports->at(0), (PortBinding{"tcp", "", 2222, 22}));
  EXPECT_EQ(ports->at(1), (PortBinding{"udp", "127.0.0.1", 5353, 53}));
  EXPECT_EQ(ports->at(2), (PortBinding{"tcp", "", 8080, 80}));
  EXPECT_TRUE(ParsePortBindings(json()).value().empty());
  EXPECT_EQ(PortsToDocker(*ports)["53/udp"][0]["HostIp"], "127.0.0.1");
  EXPECT_EQ(PortsToDocker(*ports)["80/tcp"][0]["HostPort"], "8080");
}

TEST(DockerPorts, RefusesBadInput) {
  for (const char* bad : {R"({"80/sctp": [{"HostPort": "1"}]})", R"({"x/tcp": [{"HostPort": "1"}]})",
                          R"({"80/tcp": [{"HostPort": "70000"}]})", R"({"80/tcp": [{"HostPort": "-1"}]})",
                          R"({"80/tcp": [{"HostIp": "nope", "HostPort": "1"}]})", R"({"80/tcp": 3})",
                          R"({"80/tcp": [{"HostPort": "1"}], "81/tcp": [{"HostPort": "1"}]})", R"([1])"}) {
    EXPECT_FALSE(ParsePortBindings(json::parse(bad)).ok()) << bad;
  }
}

// Docker's `-p 80`, `-p 127.0.0.1::80` and an explicit "0": a port for Network to pick.
TEST(DockerPorts, EmptyOrZeroHostPortIsARandomOne) {
  auto ports = ParsePortBindings(json::parse(R"({"80/tcp": [{"HostIp": "", "HostPort": ""},
      {"HostIp": "127.0.0.1", "HostPort": "0"}], "53/udp": [{}]})"));
  ASSERT_TRUE(ports.ok()) << ports.status().message();
  ASSERT_EQ(ports->size(), 3u);
  EXPECT_EQ(ports->at(0), (PortBinding{"udp", "", 0, 53}));
  EXPECT_EQ(ports->at(1), (PortBinding{"tcp", "", 0, 80}));
  EXPECT_EQ(ports->at(2), (PortBinding{"tcp", "127.0.0.1", 0, 80}));
}

TEST(DockerPorts, PublishAllAddsTheExposedPortsNotYetBound) {
  std::vector<PortBinding> ports = {{"tcp", "", 8080, 80}};
  ASSERT_TRUE(AddPublishAll({"80/tcp", "53/udp", "22", "443/tcp"}, &ports).ok());
  ASSERT_EQ(ports.size(), 4u);
  EXPECT_EQ(ports[0], (PortBinding{"tcp", "", 8080, 80}));
  EXPECT_EQ(ports[1], (PortBinding{"udp", "", 0, 53}));
  EXPECT_EQ(ports[2], (PortBinding{"tcp", "", 0, 22}));
  EXPECT_EQ(ports[3], (PortBinding{"tcp", "", 0, 443}));
  EXPECT_FALSE(AddPublishAll({"x/tcp"}, &ports).ok());
  EXPECT_FALSE(AddPublishAll({"80/sctp"}, &ports).ok());
}

}  // namespace
}  // namespace hull::engine::network
