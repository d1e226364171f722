#include "base/terminal.h"

#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace hull::base {
namespace {

struct Pty {
  Pty() {
    int m, s;
    winsize ws{};
    ws.ws_row = 33;
    ws.ws_col = 111;
    if (openpty(&m, &s, nullptr, nullptr, &ws) == 0) {
      master.reset(m);
      slave.reset(s);
    }
  }
  bool Canonical() const {
    termios t{};
    tcgetattr(slave.get(), &t);
    return (t.c_lflag & ICANON) && (t.c_lflag & ECHO);
  }
  UniqueFd master, slave;
};

TEST(RawTerminal, RawWhileAliveRestoredAfter) {
  Pty pty;
  ASSERT_TRUE(pty.slave.valid());
  ASSERT_TRUE(pty.Canonical());
  {
    RawTerminal raw(pty.slave.get());
    EXPECT_TRUE(raw.active());
    EXPECT_FALSE(pty.Canonical());
    RawTerminal second(pty.slave.get());  // one at a time: the second does nothing
    EXPECT_FALSE(second.active());
  }
  EXPECT_TRUE(pty.Canonical());
}

TEST(RawTerminal, NotATerminalIsLeftAlone) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  UniqueFd r(p[0]), w(p[1]);
  RawTerminal raw(r.get());
  EXPECT_FALSE(raw.active());
}

TEST(RawTerminal, AFatalSignalRestoresTheTerminalBeforeItKills) {
  Pty pty;
  ASSERT_TRUE(pty.slave.valid());
  pid_t pid = fork();
  if (pid == 0) {
    RawTerminal raw(pty.slave.get());
    if (!raw.active()) _exit(1);
    kill(getpid(), SIGALRM);
    _exit(2);  // not reached: SIGALRM's default action ends the process
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGALRM);
  EXPECT_TRUE(pty.Canonical());
}

TEST(TerminalWindowSize, ReadsTheTerminalsSize) {
  Pty pty;
  ASSERT_TRUE(pty.slave.valid());
  auto size = TerminalWindowSize(pty.slave.get());
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->rows, 33);
  EXPECT_EQ(size->cols, 111);
}

}  // namespace
}  // namespace hull::base
