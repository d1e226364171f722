// A container's stdin and terminal through hulld (its monitor holds them): docker run -i
// with piped stdin (StdinOnce: end of file when the client's stdin ends), docker run -t
// and -it inside a pseudo-terminal made by script(1) (raw output, not multiplexed),
// POST /containers/{id}/resize reaching the container's terminal, and the Python SDK
// writing to an attach socket.
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using nlohmann::json;

class AttachStdin : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker", "curl"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HulldTest::SetUp();
  }
  std::vector<std::string> DockerArgv(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/env", "DOCKER_HOST=unix://" + socket_, "DOCKER_CONFIG=" + dir_ + "/docker-config",
                               "docker"});
    return args;
  }
  // `docker ARGS` inside script(1)'s pseudo-terminal, fed `input`.
  hull::testing::ProcessResult InTerminal(const std::string& docker_args, const std::string& input = "") {
    std::string command = "env DOCKER_HOST=unix://" + socket_ + " DOCKER_CONFIG=" + dir_ +
                          "/docker-config docker " + docker_args;
    return hull::testing::RunProcess({"/usr/bin/script", "-qec", command, "/dev/null"}, 60, input);
  }
};

TEST_F(AttachStdin, RunWithPipedStdinSeesItAndItsEnd) {
  auto r = hull::testing::RunProcess(
      DockerArgv({"run", "-i", "--rm", "hull/busybox", "sh", "-c", "cat; echo end; exit 6"}), 60,
      "first line\nsecond line\n");
  EXPECT_EQ(r.exit_status, 6) << r.err;
  EXPECT_EQ(r.out, "first line\nsecond line\nend\n");
  auto big = hull::testing::RunProcess(DockerArgv({"run", "-i", "--rm", "hull/busybox", "wc", "-c"}), 60,
                                       std::string(300000, 'x'));
  EXPECT_EQ(big.exit_status, 0) << big.err;
  EXPECT_EQ(big.out.substr(big.out.find_first_not_of(' ')), "300000\n");
  auto without = hull::testing::RunProcess(DockerArgv({"run", "--rm", "hull/busybox", "cat"}), 60, "ignored\n");
  EXPECT_EQ(without.exit_status, 0) << without.err;
  EXPECT_EQ(without.out, "");  // without -i stdin is /dev/null
  EXPECT_TRUE(LiveMonitors().empty());
}

TEST_F(AttachStdin, TerminalOutputIsRawAndInputReachesIt) {
  if (!hull::rootfs::testing::MissingTools({"script"}).empty()) GTEST_SKIP() << "script(1) is not installed";
  auto t = InTerminal("run --rm -t hull/busybox sh -c 'tty; echo TERM=$TERM; exit 3'");
  EXPECT_EQ(t.exit_status, 3) << t.out << t.err;
  EXPECT_NE(t.out.find("/dev/pts/0"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("TERM=xterm"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find('\x01'), std::string::npos) << "multiplexed frames in a terminal's output";
  auto it = InTerminal("run --rm -it hull/busybox sh -c 'read x; echo got $x'", "typed\n");
  EXPECT_EQ(it.exit_status, 0) << it.out << it.err;
  EXPECT_NE(it.out.find("got typed"), std::string::npos) << it.out;
}

TEST_F(AttachStdin, ResizeReachesTheContainersTerminal) {
  auto run = Docker({"run", "-d", "-t", "--name", "term", "hull/busybox", "sh", "-c",
                     "while true; do stty size; sleep 0.2; done"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  auto resize = Http("POST", "/containers/term/resize?h=31&w=101");
  EXPECT_EQ(resize.status, 200) << resize.body;
  std::string logs;
  for (int i = 0; i < 50 && logs.find("31 101") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    logs = Docker({"logs", "term"}).out;
  }
  EXPECT_NE(logs.find("31 101"), std::string::npos) << logs;
  EXPECT_EQ(Http("POST", "/containers/nope/resize?h=1&w=1").status, 404);
  EXPECT_EQ(Http("POST", "/containers/term/resize?h=x&w=1").status, 400);
}

TEST_F(AttachStdin, PythonSdkWritesToAnAttachSocket) {
  auto probe = hull::rootfs::testing::RunTool({"python3", "-c", "import docker"});
  if (probe.exit_status != 0) GTEST_SKIP() << "python3 cannot import docker: " << probe.err;
  auto r = Python("attach-stdin");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "stdout b'got hello sdk\\n'\nexit 0\n");
}

}  // namespace
}  // namespace hull::daemon_testing
