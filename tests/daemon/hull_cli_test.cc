// The hull CLI in its two modes: through hulld (every container verb, image commands,
// Docker's error texts and exit codes) and direct when no hulld answers (`hull run`
// still works; daemon-only commands say how to start hulld). Streams, stdin, exec and
// signal forwarding are in hull_cli_streams_test.cc.
#include <signal.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "tests/daemon/hull_cli_fixture.h"

namespace hull::daemon_testing {
namespace {

TEST_F(HullCliTest, VersionAndInfoSayDaemonModeWhileHulldAnswers) {
  auto version = Hull({"version"});
  ASSERT_EQ(version.exit_status, 0) << version.err;
  EXPECT_NE(version.out.find("Server: hulld (at " + socket_ + ")"), std::string::npos) << version.out;
  EXPECT_NE(version.out.find("API version: 1.41 (minimum 1.24)"), std::string::npos) << version.out;
  auto info = Hull({"info"});
  EXPECT_EQ(info.out.rfind("Mode: daemon (hulld at " + socket_ + ")\n", 0), 0u) << info.out;
  EXPECT_NE(info.out.find("Root: " + root_ + "\n"), std::string::npos) << info.out;
  // -H names the socket as DOCKER_HOST-style hosts do.
  auto by_flag = hull::testing::RunProcess({"/usr/bin/env", "-u", "HULL_HOST", HULL_CLI_PATH, "-H",
                                            "unix://" + socket_, "info"});
  EXPECT_EQ(by_flag.out.rfind("Mode: daemon (hulld at " + socket_ + ")\n", 0), 0u) << by_flag.out;
  // --root names a local store: direct, hulld or not.
  auto rooted = Hull({"info", "--root", dir_ + "/local"});
  EXPECT_EQ(rooted.out.rfind("Mode: direct (--root", 0), 0u) << rooted.out;

  StopHulld(SIGTERM);
  version = Hull({"version"});
  EXPECT_NE(version.out.find("Server: none (direct mode"), std::string::npos) << version.out;
  info = hull::testing::RunProcess({"/usr/bin/env", "HULL_ROOT=" + root_, HULL_CLI_PATH, "info"});
  EXPECT_EQ(info.out.rfind("Mode: direct (no hulld answers at " + socket_, 0), 0u) << info.out;
}

TEST_F(HullCliTest, RunRmThroughHulldPrintsAndLeavesNothing) {
  auto r = Hull({"run", "--rm", "--runtime", "ns", "hull/busybox", "echo", "hello from hull"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "hello from hull\n");
  EXPECT_EQ(Hull({"ps", "-aq"}).out, "");
  EXPECT_TRUE(LiveMonitors().empty());
}

TEST_F(HullCliTest, AttachedRunKeepsStreamsApartAndExitsWithTheContainersCode) {
  auto r = Hull({"run", "--name", "three", "-e", "WHO=env", "hull/busybox", "sh", "-c",
                 "echo out $WHO; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_status, 3) << r.err;
  EXPECT_EQ(r.out, "out env\n");
  EXPECT_EQ(r.err, "err\n");
  auto ps = Hull({"ps", "-a"});
  EXPECT_EQ(ps.out.rfind("CONTAINER ID", 0), 0u) << ps.out;
  EXPECT_NE(ps.out.find("Exited (3)"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("three\n"), std::string::npos) << ps.out;
  EXPECT_EQ(Hull({"ps", "-q"}).out, "");  // not running
  EXPECT_EQ(Hull({"wait", "three"}).out, "3\n");
  auto inspect = Hull({"inspect", "three"});
  ASSERT_EQ(inspect.exit_status, 0) << inspect.err;
  auto j = nlohmann::json::parse(inspect.out, nullptr, false);
  ASSERT_TRUE(j.is_array() && j.size() == 1) << inspect.out;
  EXPECT_EQ(j[0]["State"]["ExitCode"], 3);
  EXPECT_EQ(j[0]["Name"], "/three");
  auto rm = Hull({"rm", "three"});
  EXPECT_EQ(rm.exit_status, 0) << rm.err;
  EXPECT_EQ(rm.out, "three\n");
}

TEST_F(HullCliTest, DetachedLifecycleStopRestartKillRemove) {
  auto run = Hull({"run", "-d", "--name", "ticker", "hull/busybox", "sh", "-c",
                   "trap 'echo bye; exit 7' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  ASSERT_EQ(run.out.size(), 65u) << run.out;
  std::string id = run.out.substr(0, 64);
  EXPECT_EQ(Hull({"ps", "-q"}).out, id.substr(0, 12) + "\n");
  EXPECT_EQ(Hull({"ps", "-q", "--no-trunc"}).out, id + "\n");
  hull::testing::ProcessResult stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stop = Hull({"stop", "-t", "5", "ticker"});
  });
  auto logs = Hull({"logs", "-f", "ticker"}, 30);
  stopper.join();
  EXPECT_EQ(stop.exit_status, 0) << stop.err;
  EXPECT_EQ(stop.out, "ticker\n");
  EXPECT_EQ(logs.exit_status, 0) << logs.err;
  EXPECT_EQ(logs.out.rfind("tick 0\ntick 1\n", 0), 0u) << logs.out;
  EXPECT_NE(logs.out.find("bye\n"), std::string::npos) << logs.out;
  EXPECT_EQ(Hull({"logs", "--tail", "1", "ticker"}).out, "bye\n");
  auto stamped = Hull({"logs", "-t", "--tail", "1", "ticker"}).out;
  EXPECT_EQ(stamped.substr(0, 2), "20") << stamped;  // RFC 3339 time first
  EXPECT_EQ(Hull({"logs", "--since", "10m", "ticker"}).out, logs.out);

  EXPECT_EQ(Hull({"restart", "-t", "1", id.substr(0, 12)}).exit_status, 0);
  EXPECT_EQ(Hull({"ps", "-q"}).out, id.substr(0, 12) + "\n");
  auto kill = Hull({"kill", "-s", "KILL", "ticker"});
  EXPECT_EQ(kill.exit_status, 0) << kill.err;
  EXPECT_EQ(Hull({"wait", "ticker"}).out, "137\n");
  EXPECT_EQ(Hull({"rm", "ticker"}).exit_status, 0);
  EXPECT_EQ(Hull({"ps", "-aq"}).out, "");
  EXPECT_TRUE(LiveMonitors().empty());
}

TEST_F(HullCliTest, CreateThenStartAttachedAndRemoveByForce) {
  auto create = Hull({"create", "--name", "later", "hull/busybox", "sh", "-c", "echo created; exit 5"});
  ASSERT_EQ(create.exit_status, 0) << create.err;
  EXPECT_EQ(create.out.size(), 65u);
  EXPECT_NE(Hull({"ps", "-a"}).out.find("Created"), std::string::npos);
  auto start = Hull({"start", "-a", "later"});
  EXPECT_EQ(start.exit_status, 5) << start.err;
  EXPECT_EQ(start.out, "created\n");
  ASSERT_EQ(Hull({"run", "-d", "--name", "sleeper", "hull/busybox", "sleep", "100"}).exit_status, 0);
  auto rm = Hull({"rm", "sleeper"});
  EXPECT_EQ(rm.exit_status, 1);
  EXPECT_NE(rm.err.find("Error response from daemon: You cannot remove a running container"), std::string::npos)
      << rm.err;
  EXPECT_EQ(Hull({"rm", "-f", "sleeper", "later"}).out, "sleeper\nlater\n");
  EXPECT_EQ(Hull({"ps", "-aq"}).out, "");
}

TEST_F(HullCliTest, UnknownContainerIsExitOneWithDockersMessage) {
  for (const char* verb : {"stop", "start", "kill", "restart", "rm", "wait", "logs"}) {
    auto r = Hull({verb, "nosuch"});
    EXPECT_EQ(r.exit_status, 1) << verb;
    EXPECT_EQ(r.err, "Error response from daemon: No such container: nosuch\n") << verb;
  }
  auto inspect = Hull({"inspect", "nosuch"});
  EXPECT_EQ(inspect.exit_status, 1);
  EXPECT_EQ(inspect.err, "Error: No such object: nosuch\n");
  // Not in hulld's store: hull asks hulld to pull it (here from a port nothing listens on).
  auto run = Hull({"run", "--rm", "127.0.0.1:1/no/such:image"}, 60);
  EXPECT_EQ(run.exit_status, 125);
  EXPECT_NE(run.err.find("Unable to find image '127.0.0.1:1/no/such:image' locally"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("Error response from daemon: "), std::string::npos) << run.err;
  auto usage = Hull({"stop"});
  EXPECT_EQ(usage.exit_status, 2);
  EXPECT_NE(usage.err.find("Usage: hull stop"), std::string::npos) << usage.err;
  auto help = Hull({"ps", "--help"});
  EXPECT_EQ(help.exit_status, 0);
  EXPECT_NE(help.out.find("--all"), std::string::npos);
}

TEST_F(HullCliTest, ImagesInspectAndRmiGoThroughHulld) {
  ASSERT_EQ(Hull({"run", "--rm", "hull/busybox", "true"}).exit_status, 0);
  auto images = Hull({"images"});
  ASSERT_EQ(images.exit_status, 0) << images.err;
  EXPECT_NE(images.out.find("hull/busybox"), std::string::npos) << images.out;
  auto inspect = Hull({"inspect", "hull/busybox"});
  auto j = nlohmann::json::parse(inspect.out, nullptr, false);
  ASSERT_TRUE(j.is_array() && j.size() == 1) << inspect.out;
  EXPECT_EQ(j[0]["Os"], "linux");
  auto rmi = Hull({"rmi", "hull/busybox"});
  EXPECT_EQ(rmi.exit_status, 0) << rmi.err;
  EXPECT_NE(rmi.out.find("Untagged: "), std::string::npos) << rmi.out;
  EXPECT_EQ(Hull({"images", "-q"}).out, "");
  auto missing = Hull({"rmi", "no/such:image"});
  EXPECT_EQ(missing.exit_status, 1);
  EXPECT_EQ(missing.err.rfind("Error response from daemon: No such image", 0), 0u) << missing.err;
}

TEST_F(HullCliTest, WithoutHulldRunWorksDirectlyAndDaemonCommandsSayHowToStartIt) {
  StopHulld(SIGTERM);
  auto ps = Hull({"ps"});
  EXPECT_EQ(ps.exit_status, 1);
  EXPECT_NE(ps.err.find("hulld is not running (nothing answers at " + socket_ + ")"), std::string::npos) << ps.err;
  EXPECT_NE(ps.err.find("hulld &"), std::string::npos) << ps.err;
  for (const char* verb : {"logs", "stop", "start", "rm", "wait", "kill", "restart"}) {
    auto r = Hull({verb, "x"});
    EXPECT_EQ(r.exit_status, 1) << verb;
    EXPECT_NE(r.err.find("hulld is not running"), std::string::npos) << verb << r.err;
  }
  EXPECT_NE(Hull({"exec", "x", "true"}).err.find("hulld is not running"), std::string::npos);
  auto detached = Hull({"run", "-d", "hull/busybox", "true"});
  EXPECT_EQ(detached.exit_status, 125);
  EXPECT_NE(detached.err.find("-d needs hulld"), std::string::npos) << detached.err;
  // Direct mode: the same command line runs the container in this process's store.
  auto direct = hull::testing::RunProcess({"/usr/bin/env", "HULL_ROOT=" + dir_ + "/direct", HULL_CLI_PATH,
                                           "run", "--runtime", "ns", "--rm", "hull/busybox", "sh", "-c",
                                           "echo direct; exit 4"});
  EXPECT_EQ(direct.exit_status, 4) << direct.err;
  EXPECT_EQ(direct.out, "direct\n");
  EXPECT_TRUE(LiveMonitors().empty());
}

// hull import through hulld (POST /images/create?fromSrc=-): the image is hulld's.
TEST_F(HullCliTest, ImportGoesThroughHulld) {
  std::string tree = dir_ + "/tree";
  auto made = hull::testing::RunProcess(
      {"/bin/sh", "-c", "mkdir -p " + tree + "/bin && cp /bin/busybox " + tree + "/bin/ && ln -s busybox " + tree +
                       "/bin/sh && tar -C " + tree + " -cf " + dir_ + "/rootfs.tar ."}, 30);
  ASSERT_EQ(made.exit_status, 0) << made.err;
  auto import = Hull({"import", dir_ + "/rootfs.tar", "tests/viahull:1"});
  ASSERT_EQ(import.exit_status, 0) << import.err;
  EXPECT_EQ(import.out.rfind("sha256:", 0), 0u) << import.out;
  auto images = Http("GET", "/images/json");
  EXPECT_NE(images.body.find("tests/viahull:1"), std::string::npos) << images.body;
  auto run = Hull({"run", "--rm", "tests/viahull:1", "/bin/sh", "-c", "echo from-import"});
  EXPECT_EQ(run.out, "from-import\n") << run.err;
}

// -v in direct mode (--runtime ns): the runtime binds the host path as hulld's containers
// get it (missing host path created, :ro refused writes); named volumes and -p/-P say
// that they need hulld and why.
TEST_F(HullCliTest, DirectModeBindsVolumesAndRefusesPortsClearly) {
  StopHulld(SIGTERM);
  auto direct = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/env", "HULL_ROOT=" + dir_ + "/direct", HULL_CLI_PATH, "run", "--runtime", "ns"});
    return hull::testing::RunProcess(args, 60);
  };
  std::string host = dir_ + "/vol";
  auto rw = direct({"-v", host + ":/data", "-v", host + ":/ro:ro", "hull/busybox", "sh", "-c",
                    "echo written > /data/f; cat /ro/f; touch /ro/x 2>/dev/null || echo ro-refused"});
  EXPECT_EQ(rw.exit_status, 0) << rw.err;
  EXPECT_EQ(rw.out, "written\nro-refused\n") << rw.err;
  auto f = hull::testing::RunProcess({"/bin/cat", host + "/f"}, 10);
  EXPECT_EQ(f.out, "written\n");
  auto named = direct({"-v", "data:/data", "hull/busybox", "true"});
  EXPECT_EQ(named.exit_status, 125);
  EXPECT_NE(named.err.find("named volumes need hulld"), std::string::npos) << named.err;
  auto relative = direct({"-v", "rel/path:/data", "hull/busybox", "true"});
  EXPECT_EQ(relative.exit_status, 125) << relative.err;
  auto port = direct({"-p", "8080:80", "hull/busybox", "true"});
  EXPECT_EQ(port.exit_status, 125);
  EXPECT_NE(port.err.find("-p needs hulld: ports are published by hulld's bridge network"), std::string::npos) << port.err;
  EXPECT_NE(direct({"-P", "hull/busybox", "true"}).err.find("-P needs hulld"), std::string::npos);
}

}  // namespace
}  // namespace hull::daemon_testing
