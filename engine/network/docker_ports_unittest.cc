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
                          R"({"80/tcp": [{"HostPort": "70000"}]})", R"({"80/tcp": [{"HostPort": ""}]})",
                          R"({"80/tcp": [{"HostIp": "nope", "HostPort": "1"}]})", R"({"80/tcp": 3})",
                          R"({"80/tcp": [{"HostPort": "1"}], "81/tcp": [{"HostPort": "1"}]})", R"([1])"}) {
    EXPECT_FALSE(ParsePortBindings(json::parse(bad)).ok()) << bad;
  }
}

}  // namespace
}  // namespace hull::engine::network
