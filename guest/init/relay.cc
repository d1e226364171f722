#include "guest/init/relay.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "guest/init/relay_limits.h"
#include "guest/protocol.h"

namespace hull::guest::init {

base::Result<int> Relay(int channel, Child& child, int signal_fd, ExecSessions& execs) {
  FrameDecoder decoder(Direction::kToGuest);
  std::string stdin_buffer;
  bool close_stdin = false;
  bool exited = false;
  int status = 0;
  int64_t deadline = 0;
  if (child.stdin_w) fcntl(child.stdin_w.get(), F_SETFL, O_NONBLOCK);
  static char buf[kMaxPayload];

  auto forward = [&](base::UniqueFd& fd, FrameType type) -> base::Status {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) return base::Status::Ok();
    if (n <= 0) {  // EOF, or EIO: a terminal whose other side is closed
      fd.reset();
      return base::Status::Ok();
    }
    std::string frame = EncodeFrame(type, std::string_view(buf, static_cast<size_t>(n)));
    return base::WriteFully(channel, frame.data(), frame.size());
  };

  std::vector<pollfd> fds;
  while (true) {
    ASSIGN_OR_RETURN(int exec_timeout, execs.Finish());
    bool outputs_open = child.stdout_r.valid() || child.stderr_r.valid();
    // Once the main process has exited: done when its output is drained and no exec whose
    // process has ended still waits to report (an exec that ended with the main process,
    // like the `touch` that tells it to stop, reports its own status, not the kill's).
    if (exited && ((!outputs_open && exec_timeout < 0) || NowMs() >= deadline)) break;
    bool take_input = stdin_buffer.size() < kMaxStdinBuffer && !execs.StdinFull();
    fds = {
        {signal_fd, POLLIN, 0},
        {channel, static_cast<short>(take_input ? POLLIN : 0), 0},
        {child.stdout_r.valid() ? child.stdout_r.get() : -1, POLLIN, 0},
        {child.stderr_r.valid() ? child.stderr_r.get() : -1, POLLIN, 0},
        {child.stdin_w.valid() && !stdin_buffer.empty() ? child.stdin_w.get() : -1, POLLOUT, 0},
    };
    execs.AddPollFds(&fds);
    int timeout = exited ? static_cast<int>(std::max<int64_t>(0, deadline - NowMs())) : -1;
    if (exec_timeout >= 0) timeout = timeout < 0 ? exec_timeout : std::min(timeout, exec_timeout);
    if (poll(fds.data(), fds.size(), timeout) < 0) {
      if (errno == EINTR) continue;
      return base::Status::Errno("poll");
    }
    if (fds[0].revents) {
      signalfd_siginfo info;
      while (read(signal_fd, &info, sizeof(info)) > 0) {
      }
      int st;
      pid_t pid;
      while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        if (pid == child.pid && !exited) {
          exited = true;
          status = st;
          deadline = NowMs() + kDrainMs;
        } else {
          execs.Reaped(pid, st);
        }
      }
    }
    RETURN_IF_ERROR(execs.Ready(fds.data() + 5));
    if (fds[2].revents) RETURN_IF_ERROR(forward(child.stdout_r, FrameType::kStdout));
    if (fds[3].revents) RETURN_IF_ERROR(forward(child.stderr_r, FrameType::kStderr));
    if (fds[1].revents) {
      ssize_t n = read(channel, buf, sizeof(buf));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        // The host is gone: nobody is left to report to.
        if (!exited) kill(child.pid, SIGKILL);
        return base::Status::Error("the host closed the channel");
      }
      if (n > 0) decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
      while (true) {
        auto next = decoder.Next();
        if (!next.ok()) return next.status();
        if (!*next) break;
        const Frame& f = **next;
        if (IsExecFrame(f.type)) {
          RETURN_IF_ERROR(execs.Handle(f));
        } else if (f.type == FrameType::kStdin) {
          if (child.stdin_w) stdin_buffer += f.payload;
        } else if (f.type == FrameType::kStdinClose) {
          close_stdin = true;
        } else if (f.type == FrameType::kSignal) {
          auto sig = DecodeSignal(f);
          if (sig.ok() && !exited) kill(child.pid, static_cast<int>(*sig));
        } else if (f.type == FrameType::kResize && child.pty_master) {
          auto size = DecodeResize(f);
          winsize ws{};
          ws.ws_row = size->first;
          ws.ws_col = size->second;
          ioctl(child.pty_master.get(), TIOCSWINSZ, &ws);
        }
      }
    }
    if (fds[4].revents) {
      ssize_t n = write(child.stdin_w.get(), stdin_buffer.data(), stdin_buffer.size());
      if (n > 0) {
        stdin_buffer.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        stdin_buffer.clear();  // EPIPE: the process closed its stdin
        child.stdin_w.reset();
      }
    }
    if (close_stdin && stdin_buffer.empty() && child.stdin_w && !child.pty_master) {
      child.stdin_w.reset();
    }
  }
  return status;
}

}  // namespace hull::guest::init
