// The hull CLI's streams through hulld: stdin to an attached `run -i`, signals to an
// attached `hull run` forwarded to the container (--sig-proxy), `hull exec` with its
// exit code and stdin, and a TTY container's raw stream.
#include <signal.h>
#include <unistd.h>

#include "tests/daemon/hull_cli_fixture.h"

namespace hull::daemon_testing {
namespace {

// head ends after two lines, without waiting for the end of stdin (hulld's half-close
// handling is tested with the docker CLI in attach_stdin_test.cc).
TEST_F(HullCliTest, RunInteractiveSendsStdin) {
  auto r = Hull({"run", "-i", "--rm", "hull/busybox", "sh", "-c", "head -n 2; echo done >&2"}, 60,
                "piped in\nline two\nline three\n");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "piped in\nline two\n");
  EXPECT_EQ(r.err, "done\n");
}

TEST_F(HullCliTest, SignalsToAnAttachedRunReachTheContainer) {
  std::vector<std::string> argv = {HULL_CLI_PATH, "run", "--rm", "hull/busybox", "sh", "-c",
                                   "trap 'echo got TERM; exit 9' TERM; echo ready; while true; do sleep 0.1; done"};
  auto r = hull::testing::RunProcessAndSignal(argv, SIGTERM, 2.0, 60);
  EXPECT_EQ(r.exit_status, 9) << r.err;
  EXPECT_EQ(r.out, "ready\ngot TERM\n");
  EXPECT_EQ(Hull({"ps", "-aq"}).out, "");
}

TEST_F(HullCliTest, TtyRunIsOneRawStream) {
  auto r = Hull({"run", "-t", "--rm", "hull/busybox", "sh", "-c", "echo out; echo err >&2; exit 2"});
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_NE(r.out.find("out"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("err"), std::string::npos) << r.out;  // one terminal: both on stdout
  EXPECT_EQ(r.err, "");
}

// -it inside a terminal script(1) makes: our terminal's size reaches the container's
// (resize endpoint) and typed input reaches its shell.
TEST_F(HullCliTest, InteractiveTtyFollowsOurWindowSize) {
  if (::access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "script(1) (bsdutils) is not installed";
  std::string inner = "stty rows 33 cols 101; " + std::string(HULL_CLI_PATH) + " run -it --rm hull/busybox sh";
  auto r = hull::testing::RunProcess({"/usr/bin/script", "-qec", inner, "/dev/null"}, 60, "stty size; exit 3\n");
  EXPECT_EQ(r.exit_status, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("33 101"), std::string::npos) << r.out;
  EXPECT_EQ(Hull({"ps", "-aq"}).out, "");
}

TEST_F(HullCliTest, ExecRunsInARunningContainerWithItsExitCodeAndStdin) {
  ASSERT_EQ(Hull({"run", "-d", "--name", "box", "hull/busybox", "sleep", "100"}).exit_status, 0);
  auto r = Hull({"exec", "-e", "WHO=exec", "box", "sh", "-c", "echo out $WHO; echo err >&2; exit 4"});
  if (r.err.find("page not found") != std::string::npos) GTEST_SKIP() << "hulld has no exec endpoints yet";
  EXPECT_EQ(r.exit_status, 4) << r.err;
  EXPECT_EQ(r.out, "out exec\n");
  EXPECT_EQ(r.err, "err\n");
  auto in = Hull({"exec", "-i", "box", "cat"}, 60, "to exec\n");
  EXPECT_EQ(in.exit_status, 0) << in.err;
  EXPECT_EQ(in.out, "to exec\n");
  auto missing = Hull({"exec", "nosuch", "true"});
  EXPECT_EQ(missing.exit_status, 1);
  EXPECT_EQ(missing.err, "Error response from daemon: No such container: nosuch\n");
  EXPECT_EQ(Hull({"exec", "-d", "box", "true"}).exit_status, 0);
  EXPECT_EQ(Hull({"rm", "-f", "box"}).exit_status, 0);
}

}  // namespace
}  // namespace hull::daemon_testing
