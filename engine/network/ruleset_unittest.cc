#include "engine/network/ruleset.h"

#include <gtest/gtest.h>

namespace hull::engine::network {
namespace {

TEST(Ruleset, ReplacesTheWholeTableAndPublishesEachPort) {
  std::map<std::string, Endpoint> endpoints;
  endpoints["0123456789abcdef"] = Endpoint{*ParseIpv4("10.9.0.2"), {{"tcp", "", 8080, 80}, {"udp", "127.0.0.1", 5353, 53}}};
  std::string s = RenderRuleset("br-test", *Ipv4Net::Parse("10.9.0.0/16"), endpoints);
  // The table is declared and deleted first, so applying it twice is the same as once.
  EXPECT_EQ(s.rfind("table ip hull {}\ndelete table ip hull\n", 0), 0u);
  EXPECT_NE(s.find("tcp dport 8080 dnat to 10.9.0.2:80 comment \"0123456789ab\""), std::string::npos);
  EXPECT_NE(s.find("ip daddr 127.0.0.1 udp dport 5353 dnat to 10.9.0.2:53"), std::string::npos);
  EXPECT_NE(s.find("ip saddr 10.9.0.0/16 oifname != \"br-test\" masquerade"), std::string::npos);
  EXPECT_NE(s.find("oifname \"br-test\" ip saddr 127.0.0.0/8 masquerade"), std::string::npos);
  EXPECT_EQ(RenderRuleset("br-test", *Ipv4Net::Parse("10.9.0.0/16"), {}).find("dnat to"), std::string::npos);
}

}  // namespace
}  // namespace hull::engine::network
