// State that hulld records about a container's end, checked through the docker CLI:
// State.OOMKilled for namespace containers (from the container's cgroup, read by the
// supervisor before the cgroup is removed).
#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

class ContainerState : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HulldTest::SetUp();
  }
};

TEST_F(ContainerState, OutOfMemoryIs137AndOomKilled) {
  auto hog = Docker({"run", "--name", "hog", "--memory", "32m", "hull/busybox", "dd", "if=/dev/zero",
                     "of=/dev/null", "bs=128M", "count=1"});
  EXPECT_EQ(hog.exit_status, 137) << hog.err;
  auto inspect = Docker({"inspect", "-f", "{{.State.ExitCode}} {{.State.OOMKilled}}", "hog"});
  EXPECT_EQ(inspect.out, "137 true\n") << inspect.err;
}

TEST_F(ContainerState, NormalExitAndPlainKillAreNotOomKilled) {
  auto fits = Docker({"run", "--name", "fits", "--memory", "32m", "hull/busybox", "dd", "if=/dev/zero",
                      "of=/dev/null", "bs=4M", "count=1"});
  EXPECT_EQ(fits.exit_status, 0) << fits.err;
  EXPECT_EQ(Docker({"inspect", "-f", "{{.State.ExitCode}} {{.State.OOMKilled}}", "fits"}).out, "0 false\n");
  auto killed = Docker({"run", "--name", "killed", "--memory", "32m", "hull/busybox", "sh", "-c",
                         "sh -c 'kill -9 $$'; exit $?"});  // not PID 1, which SIGKILL from inside spares
  EXPECT_EQ(killed.exit_status, 137) << killed.err;
  EXPECT_EQ(Docker({"inspect", "-f", "{{.State.ExitCode}} {{.State.OOMKilled}}", "killed"}).out, "137 false\n");
}

// A restarted container starts with a clean record: the OOM of the first run is not
// carried into the second.
TEST_F(ContainerState, RestartClearsOomKilled) {
  // The marker lives on a volume: each start gets a fresh upper layer.
  auto create = Docker({"create", "--name", "again", "--memory", "32m", "-v", dir_ + "/state:/state", "hull/busybox",
                        "sh", "-c", "if [ -e /state/ran ]; then exit 0; fi; touch /state/ran; dd if=/dev/zero of=/dev/null bs=128M count=1"});
  ASSERT_EQ(create.exit_status, 0) << create.err;
  auto first = Docker({"start", "-a", "again"});
  EXPECT_EQ(first.exit_status, 137) << first.err;
  EXPECT_EQ(Docker({"inspect", "-f", "{{.State.OOMKilled}}", "again"}).out, "true\n");
  auto second = Docker({"start", "again"});
  EXPECT_EQ(second.exit_status, 0) << second.err;
  EXPECT_EQ(Docker({"wait", "again"}).out, "0\n");
  EXPECT_EQ(Docker({"inspect", "-f", "{{.State.ExitCode}} {{.State.OOMKilled}}", "again"}).out, "0 false\n");
}

}  // namespace
}  // namespace hull::daemon_testing
