#include "runtime/namespace/oci_bundle.h"

#include <gtest/gtest.h>

#include "runtime/namespace/container_mounts.h"
#include "runtime/namespace/seccomp_profile.h"

namespace hull::runtime::ns {
namespace {

TEST(OciBundle, CarriesHullsDefaults) {
  ContainerSpec spec;
  ProcessSpec process;
  process.argv = {"true"};
  process.env = {"PATH=/bin"};
  auto config = MakeOciConfig(spec, process, "/nonexistent", "host1");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const auto& c = *config;
  EXPECT_EQ(c["hostname"], "host1");
  EXPECT_EQ(c["process"]["args"][0], "true");
  EXPECT_EQ(c["process"]["capabilities"]["bounding"].size(), 14u);
  EXPECT_TRUE(c["process"]["capabilities"]["inheritable"].empty());
  EXPECT_EQ(c["process"]["noNewPrivileges"], true);
  EXPECT_EQ(c["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(c["linux"]["maskedPaths"].size(), MaskedPaths().size());
  EXPECT_EQ(c["linux"]["namespaces"].size(), 6u);  // pid ipc uts mount cgroup network
  EXPECT_EQ(c["process"]["env"].back(), "HOME=/");
}

TEST(OciBundle, PrivilegedAndHostNetwork) {
  ContainerSpec spec;
  spec.privileged = true;
  spec.network = NetworkMode::kHost;
  ProcessSpec process;
  process.argv = {"true"};
  auto config = MakeOciConfig(spec, process, "/nonexistent", "h");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE((*config)["linux"].contains("seccomp"));
  EXPECT_FALSE((*config)["linux"].contains("maskedPaths"));
  EXPECT_EQ((*config)["linux"]["namespaces"].size(), 5u);
}

TEST(SeccompProfile, CapabilitiesWidenTheAllowlist) {
  size_t base = AllowedSyscallCount(DockerDefaultCaps());
  EXPECT_GT(base, 250u);
  EXPECT_GT(AllowedSyscallCount(AllCaps()), base);
}

}  // namespace
}  // namespace hull::runtime::ns
