// The real docker CLI (/usr/local/bin/docker) against hulld: version, info, images,
// pull from a docker-registry on 127.0.0.1, inspect, run attached (--rm) and detached,
// logs -f, stop, wait, ps -a, rm, and its error paths.
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"
#include "tests/rootfs/oci_layout_builder.h"

namespace hull::daemon_testing {
namespace {

using hull::rootfs::testing::LocalRegistry;

class DockerCli : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker", "curl"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HulldTest::SetUp();
  }
};

TEST_F(DockerCli, VersionAndInfoComeFromHulld) {
  auto v = Docker({"version", "--format", "{{.Server.APIVersion}} {{.Server.Platform.Name}}"});
  ASSERT_EQ(v.exit_status, 0) << v.err;
  EXPECT_EQ(v.out, "1.41 hull\n");
  auto info = Docker({"info", "--format", "{{.DockerRootDir}} {{.LoggingDriver}} {{.DefaultRuntime}}"});
  ASSERT_EQ(info.exit_status, 0) << info.err;
  EXPECT_EQ(info.out, root_ + " json-file ns\n");
}

TEST_F(DockerCli, RunRmEchoPrintsAndLeavesNothing) {
  auto r = Docker({"run", "--rm", "hull/busybox", "echo", "hello from hull"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "hello from hull\n");
  auto ps = Docker({"ps", "-aq"});
  EXPECT_EQ(ps.out, "");
  EXPECT_TRUE(LiveMonitors().empty());
}

TEST_F(DockerCli, RunAttachedSeparatesStreamsAndReturnsTheExitCode) {
  auto r = Docker({"run", "--name", "three", "hull/busybox", "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  auto ps = Docker({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_EQ(ps.out.rfind("three Exited (3)", 0), 0u) << ps.out;
  auto wait = Docker({"wait", "three"});
  EXPECT_EQ(wait.out, "3\n");
  auto inspect = Docker({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}", "three"});
  EXPECT_EQ(inspect.out, "exited 3 false\n");
  EXPECT_EQ(Docker({"rm", "three"}).exit_status, 0);
}

TEST_F(DockerCli, DetachedLogsFollowStopAndRemove) {
  auto run = Docker({"run", "-d", "--name", "ticker", "hull/busybox", "sh", "-c",
                     "trap 'echo bye; exit 7' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  ASSERT_EQ(run.out.size(), 65u);
  auto inspect = Docker({"inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Pid}}", "ticker"});
  EXPECT_EQ(inspect.out.rfind("running true ", 0), 0u) << inspect.out;
  EXPECT_NE(inspect.out, "running true 0\n");
  auto ps = Docker({"ps", "--format", "{{.Names}}"});
  EXPECT_EQ(ps.out, "ticker\n");
  // logs -f follows until the container stops; stop it from another process meanwhile.
  hull::testing::ProcessResult stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stop = Docker({"stop", "-t", "5", "ticker"});
  });
  auto logs = Docker({"logs", "-f", "ticker"}, 30);
  stopper.join();
  EXPECT_EQ(stop.exit_status, 0) << stop.err;
  EXPECT_EQ(logs.exit_status, 0) << logs.err;
  EXPECT_EQ(logs.out.rfind("tick 0\ntick 1\n", 0), 0u) << logs.out;
  EXPECT_NE(logs.out.find("bye\n"), std::string::npos) << logs.out;
  EXPECT_EQ(Docker({"inspect", "-f", "{{.State.ExitCode}}", "ticker"}).out, "7\n");
  auto tail = Docker({"logs", "--tail", "1", "ticker"});
  EXPECT_EQ(tail.out, "bye\n");
  EXPECT_EQ(Docker({"rm", "ticker"}).exit_status, 0);
  EXPECT_NE(Docker({"inspect", "ticker"}).exit_status, 0);
  EXPECT_TRUE(LiveMonitors().empty());
}

TEST_F(DockerCli, StopKillsAProgramThatIgnoresSigterm) {
  ASSERT_EQ(Docker({"run", "-d", "--name", "stubborn", "hull/busybox", "sleep", "100"}).exit_status, 0);
  auto stop = Docker({"stop", "-t", "1", "stubborn"});
  EXPECT_EQ(stop.exit_status, 0) << stop.err;
  EXPECT_EQ(Docker({"inspect", "-f", "{{.State.ExitCode}}", "stubborn"}).out, "137\n");
}

TEST_F(DockerCli, RefusesToRemoveARunningContainerWithoutForce) {
  ASSERT_EQ(Docker({"run", "-d", "--name", "busy", "hull/busybox", "sleep", "100"}).exit_status, 0);
  auto rm = Docker({"rm", "busy"});
  EXPECT_NE(rm.exit_status, 0);
  EXPECT_NE(rm.err.find("cannot remove a running container"), std::string::npos) << rm.err;
  auto force = Docker({"rm", "-f", "busy"});
  EXPECT_EQ(force.exit_status, 0) << force.err;
  EXPECT_EQ(Docker({"ps", "-aq"}).out, "");
}

TEST_F(DockerCli, UnknownImageIsAnError) {
  auto r = Docker({"inspect", "--type", "image", "no/such:image"});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.err.find("No such image"), std::string::npos) << r.err;
}

TEST_F(DockerCli, PullsFromALocalRegistryThenListsInspectsRunsAndRemoves) {
  std::string missing = hull::rootfs::testing::MissingTools({"docker-registry", "skopeo"});
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string error;
  auto registry = LocalRegistry::Start(LocalRegistry::Auth::kNone, &error);
  ASSERT_TRUE(registry) << error;
  hull::rootfs::testing::ImageSpec spec;
  spec.layers = {hull::rootfs::testing::BusyboxLayer()};
  spec.config_json = R"({"Cmd":["echo","from the registry"],"Env":["PATH=/bin"]})";
  hull::rootfs::testing::WriteOciLayout(dir_ + "/oci", "app", {spec});
  auto push = registry->Push(dir_ + "/oci", "app", "tests/app:v1");
  ASSERT_EQ(push.exit_status, 0) << push.err;

  std::string ref = registry->host() + "/tests/app:v1";
  auto pull = Docker({"pull", ref}, 120);
  ASSERT_EQ(pull.exit_status, 0) << pull.out << pull.err;
  EXPECT_NE(pull.out.find("Downloaded newer image"), std::string::npos) << pull.out;
  auto images = Docker({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_NE(images.out.find(ref + "\n"), std::string::npos) << images.out;
  auto inspect = Docker({"image", "inspect", "-f", "{{json .Config.Cmd}} {{.Os}}", ref});
  EXPECT_EQ(inspect.out, "[\"echo\",\"from the registry\"] linux\n");
  auto run = Docker({"run", "--rm", ref});
  EXPECT_EQ(run.out, "from the registry\n") << run.err;
  auto rmi = Docker({"rmi", ref});
  EXPECT_EQ(rmi.exit_status, 0) << rmi.err;
  EXPECT_EQ(Docker({"images", "-q", ref}).out, "");
  auto bad = Docker({"pull", registry->host() + "/tests/nothing:v1"}, 60);
  EXPECT_NE(bad.exit_status, 0);
}

TEST_F(DockerCli, LoadsADockerSaveArchive) {
  std::string missing = hull::rootfs::testing::MissingTools({"skopeo"});
  if (!missing.empty()) GTEST_SKIP() << missing;
  hull::rootfs::testing::ImageSpec spec;
  spec.layers = {hull::rootfs::testing::BusyboxLayer()};
  spec.config_json = R"({"Cmd":["echo","loaded"]})";
  hull::rootfs::testing::WriteOciLayout(dir_ + "/oci", "app", {spec});
  auto copy = hull::rootfs::testing::RunTool(
      {"skopeo", "copy", "oci:" + dir_ + "/oci:app", "docker-archive:" + dir_ + "/app.tar:tests/loaded:v1"});
  ASSERT_EQ(copy.exit_status, 0) << copy.err;
  auto load = Docker({"load", "-i", dir_ + "/app.tar"});
  ASSERT_EQ(load.exit_status, 0) << load.err;
  EXPECT_EQ(load.out, "Loaded image: tests/loaded:v1\n");
  auto run = Docker({"run", "--rm", "tests/loaded:v1"});
  EXPECT_EQ(run.out, "loaded\n") << run.err;
  auto bad = Docker({"load", "-i", "/etc/hostname"});
  EXPECT_NE(bad.exit_status, 0);
}

// docker import (POST /images/create?fromSrc=-&repo=...): a root filesystem tarball in
// the body becomes an image that runs; a URL source and a missing name are 400s.
TEST_F(DockerCli, ImportsARootfsTarballFromTheBody) {
  std::string tree = dir_ + "/tree";
  auto made = hull::rootfs::testing::RunTool(
      {"sh", "-c", "mkdir -p " + tree + "/bin && cp /bin/busybox " + tree + "/bin/ && ln -s busybox " + tree +
                       "/bin/sh && echo imported > " + tree + "/hello && tar -C " + tree + " -czf " + dir_ +
                       "/rootfs.tar.gz ."});
  ASSERT_EQ(made.exit_status, 0) << made.err;
  auto import = Docker({"import", dir_ + "/rootfs.tar.gz", "tests/imported:v2"});
  ASSERT_EQ(import.exit_status, 0) << import.err;
  EXPECT_EQ(import.out.rfind("sha256:", 0), 0u) << import.out;
  auto id = Docker({"image", "inspect", "-f", "{{.Id}}", "tests/imported:v2"});
  EXPECT_EQ(id.out, import.out) << id.err;
  auto run = Docker({"run", "--rm", "tests/imported:v2", "/bin/sh", "-c", "cat /hello"});
  EXPECT_EQ(run.out, "imported\n") << run.err;
  auto url = Http("POST", "/images/create?fromSrc=http://127.0.0.1:1/x.tar&repo=x");
  EXPECT_EQ(url.status, 400) << url.body;
  auto unnamed = Http("POST", "/images/create?fromSrc=-", "not a tarball");
  EXPECT_EQ(unnamed.status, 400) << unnamed.body;
  auto garbage = Http("POST", "/images/create?fromSrc=-&repo=tests/garbage", "not a tarball");
  EXPECT_EQ(garbage.status, 400) << garbage.body;
  EXPECT_EQ(Docker({"image", "inspect", "tests/garbage"}).exit_status, 1);
}

}  // namespace
}  // namespace hull::daemon_testing
