// The Docker SDK for Python (docker 7.x) against hulld: ping, images.pull/list from a
// docker-registry on 127.0.0.1, containers.run attached and detached (wait, logs,
// remove), and its NotFound errors (flows in sdk_flows.py).
#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"
#include "tests/rootfs/oci_layout_builder.h"

namespace hull::daemon_testing {
namespace {

class PythonSdk : public HulldTest {
 protected:
  void SetUp() override {
    auto probe = hull::rootfs::testing::RunTool({"python3", "-c", "import docker"});
    if (probe.exit_status != 0) GTEST_SKIP() << "python3 cannot import docker: " << probe.err;
    HulldTest::SetUp();
  }
};

TEST_F(PythonSdk, Pings) {
  auto r = Python("ping");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "ping True\nversion 1.41\n");
}

TEST_F(PythonSdk, RunsAttachedAndSeesTheOutputAndFailures) {
  auto r = Python("run-attached");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "output 'sdk says hi\\n'\nerror 4\n");
}

TEST_F(PythonSdk, RunsDetachedWaitsReadsLogsAndRemoves) {
  auto r = Python("run-detached");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "wait 2\nstdout 'one\\n'\nstderr 'two\\n'\nstatus exited\nleft 0\n");
}

TEST_F(PythonSdk, RaisesNotFound) {
  auto r = Python("errors");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "image-not-found\ncontainer-not-found\n");
}

TEST_F(PythonSdk, PullsAndLists) {
  std::string missing = hull::rootfs::testing::MissingTools({"docker-registry", "skopeo"});
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string error;
  auto registry = hull::rootfs::testing::LocalRegistry::Start(
      hull::rootfs::testing::LocalRegistry::Auth::kNone, &error);
  ASSERT_TRUE(registry) << error;
  hull::rootfs::testing::ImageSpec spec;
  spec.layers = {hull::rootfs::testing::BusyboxLayer()};
  hull::rootfs::testing::WriteOciLayout(dir_ + "/oci", "app", {spec});
  ASSERT_EQ(registry->Push(dir_ + "/oci", "app", "sdk/app:v2").exit_status, 0);
  auto r = Python("pull", {registry->host() + "/sdk/app:v2"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "pulled True True\nlisted True\n");
}

}  // namespace
}  // namespace hull::daemon_testing
