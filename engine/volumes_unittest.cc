#include "engine/volumes.h"

#include <gtest/gtest.h>

namespace hull::engine {
namespace {

using nlohmann::json;

TEST(Volumes, ParsesBindsAndMountsAndResolvesNamedVolumes) {
  auto v = ParseVolumes(json::parse(R"({"Binds": ["/srv/data:/data", "/etc/app:/app:ro", "cache:/cache:rw,z"],
      "Mounts": [{"Type": "bind", "Source": "/x", "Target": "/y", "ReadOnly": true},
                 {"Type": "volume", "Source": "named", "Target": "/z"}]})"));
  ASSERT_TRUE(v.ok()) << v.status().message();
  ASSERT_EQ(v->size(), 5u);
  EXPECT_EQ(v->at(0).host, "/srv/data");
  EXPECT_EQ(v->at(0).container, "/data");
  EXPECT_FALSE(v->at(0).read_only);
  EXPECT_TRUE(v->at(1).read_only);
  EXPECT_EQ(v->at(2).host, "cache");
  EXPECT_TRUE(v->at(3).read_only);
  ResolveNamedVolumes("/var/lib/hull", &*v);
  EXPECT_EQ(v->at(2).host, "/var/lib/hull/volumes/cache/_data");
  EXPECT_EQ(v->at(4).host, "/var/lib/hull/volumes/named/_data");
  EXPECT_EQ(v->at(0).host, "/srv/data");
  EXPECT_TRUE(ParseVolumes(json::object())->empty());
}

TEST(Volumes, RefusesBadSpecifications) {
  for (const char* bad : {R"({"Binds": ["/a"]})", R"({"Binds": ["/a:b"]})", R"({"Binds": ["/a:/"]})",
                          R"({"Binds": ["../x:/b"]})", R"({"Binds": ["a/b:/b"]})", R"({"Binds": ["/a:/b:rx"]})",
                          R"({"Binds": ["/a:/b", "/c:/b"]})", R"({"Binds": [3]})",
                          R"({"Mounts": [{"Type": "tmpfs", "Target": "/t"}]})",
                          R"({"Mounts": [{"Type": "bind", "Source": "rel", "Target": "/t"}]})"}) {
    EXPECT_FALSE(ParseVolumes(json::parse(bad)).ok()) << bad;
  }
}

}  // namespace
}  // namespace hull::engine
