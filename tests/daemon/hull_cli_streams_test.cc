// The hull CLI's streams through hulld: stdin to an attached `run -i`, signals to an
// attached `hull run` forwarded to the container (--sig-proxy), `hull exec` with its
// exit code and stdin, a TTY container's raw stream, and the detach keys typed on our
// own terminal (run -it and exec -it return at once, the container runs on).
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
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

// A process on a pseudo-terminal of its own (its controlling terminal), as a user runs
// hull in a terminal; the test types on the master side.
class OnTerminal {
 public:
  explicit OnTerminal(const std::vector<std::string>& argv) {
    int master = -1, slave = -1;
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return;
    master_ = base::UniqueFd(master);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      ::ioctl(slave, TIOCSCTTY, 0);
      for (int fd : {0, 1, 2}) ::dup2(slave, fd);
      ::close(slave);
      ::close(master);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(slave);
  }
  ~OnTerminal() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Reads the terminal until `text` has appeared (true) or `seconds` have passed.
  bool WaitFor(const std::string& text, double seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(seconds * 1000));
    char buf[4096];
    while (output_.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{master_.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::read(master_.get(), buf, sizeof buf);
      if (n <= 0) break;
      output_.append(buf, static_cast<size_t>(n));
    }
    return output_.find(text) != std::string::npos;
  }
  void Type(const std::string& bytes) { (void)!::write(master_.get(), bytes.data(), bytes.size()); }
  // The exit status once the process has ended within `seconds`, else -1.
  int WaitExit(double seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      WaitFor("\x01never", 0.05);  // keep the terminal drained meanwhile
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the read may end at once (EIO)
    }
    return -1;
  }
  bool started() const { return pid_ > 0; }
  // What the terminal showed, control characters escaped (for failure messages).
  std::string output() const {
    std::string out;
    for (unsigned char c : output_) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += c == '\n' ? std::string("\\n\n") : (c < 0x20 || c > 0x7e) ? std::string(hex) : std::string(1, char(c));
    }
    return out;
  }

 private:
  base::UniqueFd master_;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_;
};

// ctrl-p ctrl-q typed into `hull run -it` returns at once with status 0, as the docker
// CLI does; the container runs on with its shell and its stdin. --detach-keys changes
// the keys (ctrl-p ctrl-q then reach the container like any input).
TEST_F(HullCliTest, DetachKeysOnOurTerminalLeaveTheContainerRunning) {
  OnTerminal run({HULL_CLI_PATH, "run", "-it", "--name", "det", "hull/busybox", "sh"});
  ASSERT_TRUE(run.started());
  ASSERT_TRUE(run.WaitFor("# ", 60)) << run.output();
  run.Type("echo typed\r");
  ASSERT_TRUE(run.WaitFor("typed\r\n", 20)) << run.output();
  run.Type("\x10\x11");
  EXPECT_EQ(run.WaitExit(15), 0) << run.output();
  auto state = Hull({"inspect", "det"});
  nlohmann::json j = nlohmann::json::parse(state.out, nullptr, false);
  ASSERT_TRUE(j.is_array() && !j.empty()) << state.out << state.err;
  EXPECT_EQ(j[0]["State"]["Running"], true) << "the container stopped when we detached";
  // Its shell still reads its stdin: an exec finds it running, and it is still PID 1's sh.
  auto ps = Hull({"exec", "det", "cat", "/proc/1/comm"});
  EXPECT_EQ(ps.out, "sh\n") << ps.err;
  // hull attach takes the terminal again: the same shell reads what we type; its exit
  // ends the attach with its status.
  OnTerminal attach({HULL_CLI_PATH, "attach", "det"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  attach.Type("echo back $((6*7))\r");
  ASSERT_TRUE(attach.WaitFor("back 42", 30)) << attach.output();
  attach.Type("\x10\x11");
  EXPECT_EQ(attach.WaitExit(15), 0) << attach.output();
  OnTerminal again({HULL_CLI_PATH, "attach", "det"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  again.Type("exit 6\r");
  EXPECT_EQ(again.WaitExit(30), 6) << again.output();
  auto stopped = Hull({"attach", "det"});
  EXPECT_NE(stopped.exit_status, 0);
  EXPECT_NE(stopped.err.find("You cannot attach to a stopped container"), std::string::npos) << stopped.err;

  OnTerminal custom({HULL_CLI_PATH, "run", "-it", "--detach-keys", "ctrl-a,x", "--name", "det2", "hull/busybox", "sh"});
  ASSERT_TRUE(custom.WaitFor("# ", 60)) << custom.output();
  custom.Type("\x10\x11");  // not the keys now: they go to the shell
  custom.Type("echo still\r");
  ASSERT_TRUE(custom.WaitFor("still\r\n", 20)) << custom.output();
  EXPECT_EQ(custom.WaitExit(0.5), -1) << "detached on ctrl-p ctrl-q despite --detach-keys";
  custom.Type("\x01x");
  EXPECT_EQ(custom.WaitExit(15), 0) << custom.output();

  // exec -it detaches the same way; the exec'd process runs on.
  OnTerminal exec({HULL_CLI_PATH, "exec", "-it", "det2", "sh"});
  ASSERT_TRUE(exec.WaitFor("# ", 60)) << exec.output();
  exec.Type("\x10\x11");
  EXPECT_EQ(exec.WaitExit(15), 0) << exec.output();

  auto bad = Hull({"run", "-it", "--detach-keys", "ctrl-", "hull/busybox", "true"});
  EXPECT_NE(bad.exit_status, 0);
  EXPECT_NE(bad.err.find("Invalid detach keys"), std::string::npos) << bad.err;
  EXPECT_EQ(Hull({"rm", "-f", "det", "det2"}).exit_status, 0);
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
