#include "tests/e2e/vm_e2e_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace hull::e2e {

LiveProcess::LiveProcess(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

LiveProcess::~LiveProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void LiveProcess::Pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (poll(fds, 2, timeout_ms) <= 0) return;
  char buf[65536];
  for (int i = 0; i < 2; ++i) {
    if (!fds[i].revents) continue;
    ssize_t n = read(fds[i].fd, buf, sizeof(buf));
    if (n > 0) {
      (i == 0 ? out_ : err_).append(buf, static_cast<size_t>(n));
    } else {
      ::close(fds[i].fd);
      (i == 0 ? out_fd_ : err_fd_) = -1;
    }
  }
}

bool LiveProcess::WaitForStdout(const std::string& text, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  while (out_.find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= end || (out_fd_ < 0 && err_fd_ < 0)) return false;
    Pump(100);
  }
  return true;
}

void LiveProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int LiveProcess::Wait(double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    if (std::chrono::steady_clock::now() >= end) break;
    Pump(100);
  }
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() >= end) kill(pid_, SIGKILL);
    usleep(20000);
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int CountProcessesMatching(const std::string& needle) {
  int count = 0;
  DIR* dir = opendir("/proc");
  if (!dir) return 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (std::to_string(getpid()) == e->d_name) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline");
    std::stringstream ss;
    ss << f.rdbuf();
    if (ss.str().find(needle) != std::string::npos) ++count;
  }
  closedir(dir);
  return count;
}

}  // namespace hull::e2e
