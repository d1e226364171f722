#include "guest/init/exec.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "guest/init/identity.h"
#include "guest/init/relay_limits.h"

namespace hull::guest::init {

base::Status ExecSessions::Send(const std::string& frame) {
  return base::WriteFully(channel_, frame.data(), frame.size());
}

base::Status ExecSessions::Start(uint32_t id, std::string_view request) {
  auto fail = [&](const std::string& why, int code) {
    RETURN_IF_ERROR(Send(EncodeExecFrame(FrameType::kExecError, id, why)));
    return Send(EncodeExecExit(id, {.code = code}));
  };
  if (sessions_.count(id)) return fail("exec session " + std::to_string(id) + " is in use", 125);
  auto exec = ExecSpecFromJson(request);
  if (!exec.ok()) return fail(exec.status().message(), 125);
  auto identity = ResolveUser(exec->user);
  if (!identity.ok()) return fail(identity.status().message(), 126);
  GuestSpec spec;
  spec.args = exec->args;
  spec.env = exec->env;
  spec.cwd = exec->cwd;
  spec.user = exec->user;
  spec.hostname = main_.hostname;
  spec.tty = exec->tty;
  spec.stdin_open = exec->stdin_open;
  spec.rlimits = main_.rlimits;
  StartFailure failure;
  auto child = StartProcess(spec, *identity, &failure);
  if (!child.ok())
    return fail(failure.message.empty() ? child.status().message() : failure.message,
                failure.message.empty() ? 125 : failure.exit_code);
  if (child->stdin_w) fcntl(child->stdin_w.get(), F_SETFL, O_NONBLOCK);
  uint32_t pid = static_cast<uint32_t>(child->pid);
  sessions_[id].child = std::move(*child);
  return Send(EncodeExecStarted(id, pid));
}

base::Status ExecSessions::Handle(const Frame& f) {
  uint32_t id = SessionOf(f);
  if (f.type == FrameType::kExecStart) return Start(id, ExecData(f));
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return base::Status::Ok();  // ended while the frame travelled
  Session& s = it->second;
  switch (f.type) {
    case FrameType::kExecStdin:
      if (s.child.stdin_w) s.stdin_buffer += ExecData(f);
      break;
    case FrameType::kExecStdinClose:
      s.close_stdin = true;
      break;
    case FrameType::kExecSignal:
      if (auto sig = DecodeExecSignal(f); sig.ok() && !s.exited)
        kill(s.child.pid, static_cast<int>(*sig));
      break;
    case FrameType::kExecResize:
      if (auto size = DecodeExecResize(f); size.ok() && s.child.pty_master) {
        winsize ws{};
        ws.ws_row = size->first;
        ws.ws_col = size->second;
        ioctl(s.child.pty_master.get(), TIOCSWINSZ, &ws);
      }
      break;
    default:
      break;
  }
  return base::Status::Ok();
}

void ExecSessions::AddPollFds(std::vector<pollfd>* fds) {
  polled_.clear();
  for (auto& [id, s] : sessions_) {
    if (s.child.stdout_r) {
      fds->push_back({s.child.stdout_r.get(), POLLIN, 0});
      polled_.emplace_back(id, Slot::kStdout);
    }
    if (s.child.stderr_r) {
      fds->push_back({s.child.stderr_r.get(), POLLIN, 0});
      polled_.emplace_back(id, Slot::kStderr);
    }
    if (s.child.stdin_w && !s.stdin_buffer.empty()) {
      fds->push_back({s.child.stdin_w.get(), POLLOUT, 0});
      polled_.emplace_back(id, Slot::kStdin);
    }
  }
}

base::Status ExecSessions::Forward(uint32_t id, Session& s, Slot slot) {
  static char buf[kMaxExecData];
  if (slot == Slot::kStdin) {
    ssize_t n = write(s.child.stdin_w.get(), s.stdin_buffer.data(), s.stdin_buffer.size());
    if (n > 0) {
      s.stdin_buffer.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      s.stdin_buffer.clear();  // EPIPE: the process closed its stdin
      s.child.stdin_w.reset();
    }
    return base::Status::Ok();
  }
  base::UniqueFd& fd = slot == Slot::kStdout ? s.child.stdout_r : s.child.stderr_r;
  ssize_t n = read(fd.get(), buf, sizeof(buf));
  if (n < 0 && errno == EINTR) return base::Status::Ok();
  if (n <= 0) {  // EOF, or EIO: a terminal whose other side is closed
    fd.reset();
    return base::Status::Ok();
  }
  FrameType type = slot == Slot::kStdout ? FrameType::kExecStdout : FrameType::kExecStderr;
  return Send(EncodeExecFrame(type, id, std::string_view(buf, static_cast<size_t>(n))));
}

base::Status ExecSessions::Ready(const pollfd* fds) {
  for (size_t i = 0; i < polled_.size(); ++i) {
    if (!fds[i].revents) continue;
    auto it = sessions_.find(polled_[i].first);
    if (it == sessions_.end()) continue;
    Session& s = it->second;
    // The fd may have been closed by an earlier slot of the same round.
    Slot slot = polled_[i].second;
    const base::UniqueFd& fd = slot == Slot::kStdout   ? s.child.stdout_r
                               : slot == Slot::kStderr ? s.child.stderr_r
                                                       : s.child.stdin_w;
    if (!fd || fd.get() != fds[i].fd) continue;
    RETURN_IF_ERROR(Forward(it->first, s, slot));
  }
  for (auto& [id, s] : sessions_) {
    if (s.close_stdin && s.stdin_buffer.empty() && s.child.stdin_w && !s.child.pty_master)
      s.child.stdin_w.reset();
  }
  return base::Status::Ok();
}

bool ExecSessions::Reaped(pid_t pid, int status) {
  for (auto& [id, s] : sessions_) {
    if (s.child.pid != pid || s.exited) continue;
    s.exited = true;
    s.status = status;
    s.deadline_ms = NowMs() + kDrainMs;
    return true;
  }
  return false;
}

base::Result<int> ExecSessions::Finish() {
  int64_t now = NowMs();
  int64_t next = -1;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = it->second;
    bool open = s.child.stdout_r || s.child.stderr_r;
    if (!s.exited || (open && now < s.deadline_ms)) {
      if (s.exited) next = next < 0 ? s.deadline_ms - now : std::min(next, s.deadline_ms - now);
      ++it;
      continue;
    }
    ExitReport report;
    report.signaled = WIFSIGNALED(s.status);
    report.code = report.signaled ? WTERMSIG(s.status) : WEXITSTATUS(s.status);
    RETURN_IF_ERROR(Send(EncodeExecExit(it->first, report)));
    it = sessions_.erase(it);
  }
  return static_cast<int>(next);
}

bool ExecSessions::StdinFull() const {
  for (const auto& [id, s] : sessions_)
    if (s.stdin_buffer.size() >= kMaxStdinBuffer) return true;
  return false;
}

void ExecSessions::KillAll() {
  for (auto& [id, s] : sessions_) {
    if (s.exited) continue;
    kill(-s.child.pid, SIGKILL);  // its own session and process group (StartProcess)
    kill(s.child.pid, SIGKILL);
  }
}

}  // namespace hull::guest::init
