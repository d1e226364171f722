#include "benchmarks/api/private_hulld.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchmarks/api/keepalive_client.h"

namespace hull::bench {

using base::Result;
using base::Status;

std::vector<pid_t> ProcessesMentioning(const std::string& text) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    std::ifstream f(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos) out.push_back(pid);
  }
  return out;
}

Result<PrivateHulld> PrivateHulld::Start(const std::string& hulld_path) {
  PrivateHulld h;
  char tmpl[] = "/tmp/hull-api-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) return Status::Errno("mkdtemp");
  h.dir_ = tmpl;
  h.socket_ = h.dir_ + "/hull.sock";
  std::vector<std::string> args = {hulld_path, "--root", h.dir_ + "/root", "-H", "unix://" + h.socket_,
                                   "--bridge", "none", "--log-level", "warning"};
  h.pid_ = ::fork();
  if (h.pid_ < 0) return Status::Errno("fork");
  if (h.pid_ == 0) {
    ::setpgid(0, 0);  // a Ctrl-C meant for the benchmark must not stop hulld before Stop()
    int log = ::open((h.dir_ + "/hulld.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ::dup2(log, 1);
    ::dup2(log, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (auto c = KeepAliveClient::Connect(h.socket_, 5); c.ok()) {
      if (auto r = c->Request("GET", "/_ping"); r.ok() && r->status == 200) return h;
    }
    if (::waitpid(h.pid_, nullptr, WNOHANG) == h.pid_) {
      h.pid_ = -1;
      return Status::Error("hulld exited at start (log: " + h.dir_ + "/hulld.log)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Error("hulld did not answer on " + h.socket_);
}

PrivateHulld::PrivateHulld(PrivateHulld&& other) noexcept
    : dir_(std::move(other.dir_)), socket_(std::move(other.socket_)), pid_(other.pid_) {
  other.dir_.clear();
  other.pid_ = -1;
}

std::string PrivateHulld::LogTail(size_t bytes) const {
  std::ifstream f(dir_ + "/hulld.log");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

void PrivateHulld::Stop() {
  if (pid_ > 0) {
    if (auto c = KeepAliveClient::Connect(socket_, 120); c.ok()) {
      auto list = c->Request("GET", "/containers/json?all=1");
      auto j = list.ok() ? nlohmann::json::parse(list->body, nullptr, false) : nlohmann::json();
      if (j.is_array()) {
        for (const auto& ctr : j) (void)c->Request("DELETE", "/containers/" + ctr.value("Id", "") + "?force=1");
      }
    }
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && ::waitpid(pid_, nullptr, WNOHANG) != pid_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (i == 99) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    pid_ = -1;
  }
  if (dir_.empty()) return;
  // Monitors and supervisors live in sessions of their own; whatever still names our
  // root after the forced removals is a leftover.
  for (pid_t pid : ProcessesMentioning(dir_ + "/")) ::kill(pid, SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  dir_.clear();
}

}  // namespace hull::bench
