#include "runtime/container_spec.h"

#include <gtest/gtest.h>

namespace hull::runtime {
namespace {

TEST(ResolveProcess, ImageDefaultsThenUserOverrides) {
  rootfs::ContainerDefaults image;
  image.entrypoint = {"/bin/ep"};
  image.cmd = {"default"};
  image.env = {"A=1", "PATH=/img"};
  image.working_dir = "/srv";
  image.user = "daemon";
  ContainerSpec spec;
  spec.args = {"x", "y"};
  spec.env = {"A=2", "B=3"};
  auto p = ResolveProcess(spec, image, "abc");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->argv, (std::vector<std::string>{"/bin/ep", "x", "y"}));
  EXPECT_EQ(p->env, (std::vector<std::string>{"PATH=/img", "HOSTNAME=abc", "A=2", "B=3"}));
  EXPECT_EQ(p->cwd, "/srv");
  EXPECT_EQ(p->user, "daemon");
}

TEST(ResolveProcess, EntrypointOverrideDropsImageCmd) {
  rootfs::ContainerDefaults image;
  image.entrypoint = {"/bin/ep"};
  image.cmd = {"default"};
  ContainerSpec spec;
  spec.entrypoint = "/bin/sh";
  auto p = ResolveProcess(spec, image, "h");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->argv, std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(p->env[0], std::string("PATH=") + kDefaultPath);
}

TEST(ResolveProcess, RefusesNothingToRunAndRelativeWorkdir) {
  ContainerSpec spec;
  EXPECT_FALSE(ResolveProcess(spec, {}, "h").ok());
  spec.args = {"true"};
  spec.workdir = "rel";
  EXPECT_FALSE(ResolveProcess(spec, {}, "h").ok());
}

TEST(ParseMemorySize, DockerUnits) {
  EXPECT_EQ(*ParseMemorySize("512m"), 512LL << 20);
  EXPECT_EQ(*ParseMemorySize("1g"), 1LL << 30);
  EXPECT_EQ(*ParseMemorySize("1.5k"), 1536);
  EXPECT_EQ(*ParseMemorySize("100"), 100);
  EXPECT_EQ(*ParseMemorySize("64MB"), 64LL << 20);
  EXPECT_FALSE(ParseMemorySize("12q").ok());
  EXPECT_FALSE(ParseMemorySize("-1m").ok());
  EXPECT_FALSE(ParseMemorySize("").ok());
}

TEST(ParseVolume, HostContainerAndMode) {
  auto v = ParseVolume("/srv/data:/data");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->host, "/srv/data");
  EXPECT_EQ(v->container, "/data");
  EXPECT_FALSE(v->read_only);
  auto ro = ParseVolume("/srv/disk.ext4:/data:ro");
  ASSERT_TRUE(ro.ok());
  EXPECT_TRUE(ro->read_only);
  EXPECT_FALSE(ParseVolume("/srv:/data:rw")->read_only);
  for (const char* bad : {"/srv", "srv:/data", "/srv:data", "/srv:/data:rx", ":/data", "/srv:"})
    EXPECT_FALSE(ParseVolume(bad).ok()) << bad;
}

}  // namespace
}  // namespace hull::runtime
