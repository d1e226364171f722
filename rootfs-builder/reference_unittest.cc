#include "rootfs-builder/reference.h"

#include <gtest/gtest.h>

namespace hull::rootfs {
namespace {

TEST(Reference, BareNameGetsDockerDefaults) {
  auto r = ParseReference("busybox");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(r->registry_host(), "registry-1.docker.io");
  EXPECT_FALSE(r->is_loopback());
}

TEST(Reference, RegistryWithPortRepositoryAndTag) {
  auto r = ParseReference("127.0.0.1:5000/team/app:v1.2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->domain, "127.0.0.1:5000");
  EXPECT_EQ(r->repository, "team/app");
  EXPECT_EQ(r->tag, "v1.2");
  EXPECT_TRUE(r->is_loopback());
}

TEST(Reference, UserRepositoryOnDockerHub) {
  auto r = ParseReference("someone/tool");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->str(), "docker.io/someone/tool:latest");
}

TEST(Reference, DigestWithoutTagHasNoDefaultTag) {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = ParseReference("localhost:80/x@" + d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->digest, d);
  EXPECT_EQ(r->str(), "localhost:80/x@" + d);
  EXPECT_TRUE(r->is_loopback());
}

TEST(Reference, RejectsMalformedNames) {
  for (const char* bad : {"", "UPPER", "a:b:c", "x@sha256:12", "x@md5:" , "a//b", "-a"}) {
    EXPECT_FALSE(ParseReference(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace hull::rootfs
