#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace hull::testing {
namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

}  // namespace

namespace {

ProcessResult Run(const std::vector<std::string>& argv, const RunOptions& options) {
  const double timeout_seconds = options.timeout_seconds;
  const std::string& stdin_data = options.stdin_data;
  const int signal_to_send = options.signal;
  const double signal_after = options.signal_after_seconds;
  ProcessResult result;
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC) || pipe2(in_pipe, O_CLOEXEC)) {
    throw std::runtime_error("pipe2 failed");
  }
  // A fork either way; the raw clone only adds the new PID namespace.
  pid_t pid = options.new_pid_namespace
                  ? static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0))
                  : fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  if (options.started) options.started(pid);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_pipe[0]);
  signal(SIGPIPE, SIG_IGN);
  if (!stdin_data.empty()) {
    [[maybe_unused]] ssize_t n = write(in_pipe[1], stdin_data.data(), stdin_data.size());
  }
  close(in_pipe[1]);

  double start = Now();
  double deadline = start + timeout_seconds;
  bool signalled = signal_to_send == 0;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    double left = deadline - Now();
    if (left <= 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (!signalled && Now() - start >= signal_after) {
      kill(pid, signal_to_send);
      signalled = true;
    }
    if (!signalled && signal_after - (Now() - start) < left) left = signal_after - (Now() - start);
    int r = poll(fds, 2, static_cast<int>(left * 1000) + 1);
    if (r < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv, double timeout_seconds,
                         const std::string& stdin_data) {
  return Run(argv, {.timeout_seconds = timeout_seconds, .stdin_data = stdin_data});
}

ProcessResult RunProcessAndSignal(const std::vector<std::string>& argv, int signal,
                                  double signal_after_seconds, double timeout_seconds) {
  return Run(argv, {.timeout_seconds = timeout_seconds, .signal = signal,
                    .signal_after_seconds = signal_after_seconds});
}

ProcessResult RunProcessWith(const std::vector<std::string>& argv, const RunOptions& options) {
  return Run(argv, options);
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

TempFile::TempFile(const std::string& contents, const std::string& suffix) {
  std::string pattern = "/tmp/hull-test-XXXXXX" + suffix;
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  int fd = mkstemps(buf.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("mkstemps failed");
  path_ = buf.data();
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = write(fd, contents.data() + off, contents.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(fd);
}

TempFile::~TempFile() { unlink(path_.c_str()); }

}  // namespace hull::testing
