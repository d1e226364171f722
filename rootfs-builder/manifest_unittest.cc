#include "rootfs-builder/manifest.h"

#include <gtest/gtest.h>

#include "rootfs-builder/image_config.h"

namespace hull::rootfs {
namespace {

std::string D(char c) { return "sha256:" + std::string(64, c); }

TEST(Manifest, ParsesOciManifest) {
  std::string json = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + D('a') +
                     R"(","size":10},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":")" +
                     D('b') + R"(","size":20}]})";
  auto m = ParseManifest(json);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->config.digest.str(), D('a'));
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 20);
}

TEST(Manifest, RejectsUnknownLayerMediaType) {
  std::string json = R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                     D('a') + R"(","size":10},"layers":[{"mediaType":"application/x-rar","digest":")" +
                     D('b') + R"(","size":20}]})";
  auto m = ParseManifest(json);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("application/x-rar"), std::string::npos);
}

TEST(Manifest, RejectsGarbageAndBadDigests) {
  EXPECT_FALSE(ParseManifest("not json").ok());
  EXPECT_FALSE(ParseManifest(R"({"config":{"digest":"sha256:xyz","size":1},"layers":[]})").ok());
}

TEST(Index, SelectsRequestedPlatform) {
  std::string json = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('1') +
                     R"(","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('2') +
                     R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}}]})";
  auto index = ParseIndex(json);
  ASSERT_TRUE(index.ok()) << index.status().message();
  auto amd = SelectPlatform(*index, Platform{});
  ASSERT_TRUE(amd.ok());
  EXPECT_EQ(amd->digest.str(), D('2'));
  auto arm = SelectPlatform(*index, *Platform::Parse("linux/arm64"));
  ASSERT_TRUE(arm.ok());
  EXPECT_EQ(arm->digest.str(), D('1'));
  auto s390 = SelectPlatform(*index, *Platform::Parse("linux/s390x"));
  ASSERT_FALSE(s390.ok());
  EXPECT_NE(s390.status().message().find("linux/arm64/v8"), std::string::npos);
}

TEST(ImageConfig, ReadsContainerDefaults) {
  std::string json = R"({"architecture":"amd64","os":"linux",
    "config":{"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"Env":["PATH=/bin"],
      "WorkingDir":"/w","User":"1000:1000","ExposedPorts":{"80/tcp":{}},
      "Volumes":{"/data":{}},"StopSignal":"SIGINT","Labels":{"a":"b"}},
    "rootfs":{"type":"layers","diff_ids":[")" + D('c') + R"("]}})";
  auto c = ParseImageConfig(json);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->defaults.entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(c->defaults.cmd, (std::vector<std::string>{"echo hi"}));
  EXPECT_EQ(c->defaults.env, (std::vector<std::string>{"PATH=/bin"}));
  EXPECT_EQ(c->defaults.working_dir, "/w");
  EXPECT_EQ(c->defaults.user, "1000:1000");
  EXPECT_EQ(c->defaults.exposed_ports, (std::vector<std::string>{"80/tcp"}));
  EXPECT_EQ(c->defaults.volumes, (std::vector<std::string>{"/data"}));
  EXPECT_EQ(c->defaults.stop_signal, "SIGINT");
  EXPECT_EQ(c->defaults.labels.at("a"), "b");
  ASSERT_EQ(c->diff_ids.size(), 1u);
}

TEST(ImageConfig, RejectsMissingRootfs) {
  EXPECT_FALSE(ParseImageConfig(R"({"config":{}})").ok());
}

}  // namespace
}  // namespace hull::rootfs
