#include "bench/child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace hull::bench {

namespace {

constexpr size_t kMaxOutput = 64 << 10;
constexpr size_t kErrorTail = 4 << 10;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int MsUntil(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long>(left, 0, 1000));
}

// pid → parent pid, for every process.
std::map<pid_t, pid_t> ParentMap() {
  std::map<pid_t, pid_t> parents;
  DIR* dir = opendir("/proc");
  if (!dir) return parents;
  while (dirent* e = readdir(dir)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses.
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid;
    if (rest >> state >> ppid) parents[pid] = ppid;
  }
  closedir(dir);
  return parents;
}

}  // namespace

bool RunResult::ok() const {
  return !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::string RunResult::Describe() const {
  std::string what;
  if (timed_out) what = "timed out";
  else if (WIFEXITED(wait_status)) what = "exit status " + std::to_string(WEXITSTATUS(wait_status));
  else if (WIFSIGNALED(wait_status)) what = "killed by signal " + std::to_string(WTERMSIG(wait_status));
  else what = "did not exit";
  std::string tail = error_tail.empty() ? output.substr(output.size() > 300 ? output.size() - 300 : 0)
                                        : error_tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  size_t nl = tail.rfind('\n');
  if (nl != std::string::npos) tail = tail.substr(nl + 1);
  if (tail.size() > 300) tail = tail.substr(tail.size() - 300);
  return tail.empty() ? what : what + ": " + tail;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), exited_(o.exited_), start_(o.start_),
      out_(std::move(o.out_)), err_(std::move(o.err_)), pidfd_(std::move(o.pidfd_)),
      markers_(std::move(o.markers_)), result_(std::move(o.result_)) {}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exited_) Stop(std::chrono::milliseconds(2000));
}

base::Result<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                               std::vector<std::string> markers) {
  if (argv.empty()) return base::Status::Error("empty command");
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return base::Status::Errno("pipe2");
  base::UniqueFd out_r(out[0]), out_w(out[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return base::Status::Errno("pipe2");
  base::UniqueFd err_r(err[0]), err_w(err[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  ChildProcess child;
  child.markers_ = std::move(markers);
  child.start_ = Clock::now();
  int rc = posix_spawnp(&child.pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    child.pid_ = -1;
    return base::Status::Errno("starting " + argv[0], rc);
  }
  child.pidfd_ = base::UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, child.pid_, 0)));
  if (!child.pidfd_) return base::Status::Errno("pidfd_open");
  child.out_ = std::move(out_r);
  child.err_ = std::move(err_r);
  return child;
}

void ChildProcess::NoteExit() {
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) result_.wait_status = status;
  result_.exit_ms = MsSince(start_);
  exited_ = true;
}

void ChildProcess::Pump(int timeout_ms) {
  pollfd fds[3] = {{out_.get(), POLLIN, 0}, {err_.get(), POLLIN, 0},
                   {exited_ ? -1 : pidfd_.get(), POLLIN, 0}};
  if (poll(fds, 3, timeout_ms) <= 0) return;
  char buf[16384];
  if (fds[0].revents) {
    ssize_t n = read(out_.get(), buf, sizeof buf);
    if (n <= 0) {
      out_.reset();
    } else {
      if (!result_.first_output_ms) result_.first_output_ms = MsSince(start_);
      size_t before = result_.output.size();
      result_.output.append(buf, std::min<size_t>(n, kMaxOutput - std::min(kMaxOutput, before)));
      for (const auto& m : markers_) {
        if (result_.markers.count(m)) continue;
        size_t from = before > m.size() ? before - m.size() : 0;
        if (result_.output.find(m, from) != std::string::npos) result_.markers[m] = MsSince(start_);
      }
    }
  }
  if (fds[1].revents) {
    ssize_t n = read(err_.get(), buf, sizeof buf);
    if (n <= 0) {
      err_.reset();
    } else {
      result_.error_tail.append(buf, n);
      if (result_.error_tail.size() > kErrorTail) {
        result_.error_tail.erase(0, result_.error_tail.size() - kErrorTail);
      }
    }
  }
  if (!exited_ && fds[2].revents) NoteExit();
}

bool ChildProcess::WaitForMarker(const std::string& marker, Clock::time_point deadline) {
  if (std::find(markers_.begin(), markers_.end(), marker) == markers_.end()) markers_.push_back(marker);
  while (!result_.markers.count(marker) && !exited_ && Clock::now() < deadline) Pump(MsUntil(deadline));
  return result_.markers.count(marker) > 0;
}

RunResult ChildProcess::Wait(Clock::time_point deadline) {
  while (!exited_ && Clock::now() < deadline) Pump(MsUntil(deadline));
  if (!exited_) {
    Stop(std::chrono::milliseconds(5000));
    result_.timed_out = true;
    return result_;
  }
  // What the program printed just before it exited; a descendant holding the pipes
  // open must not keep us here.
  auto drain_until = Clock::now() + std::chrono::milliseconds(300);
  while ((out_ || err_) && Clock::now() < drain_until) Pump(MsUntil(drain_until));
  out_.reset();
  err_.reset();
  return result_;
}

RunResult ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return result_;
  if (!exited_) {
    std::vector<pid_t> tree = ProcessTree(pid_);
    std::map<pid_t, pid_t> parents = ParentMap();
    std::set<pid_t> with_children;
    for (pid_t p : tree) with_children.insert(parents[p]);
    for (pid_t p : tree) {
      if (!with_children.count(p)) kill(p, SIGKILL);
    }
    auto deadline = Clock::now() + grace;
    while (!exited_ && Clock::now() < deadline) Pump(MsUntil(deadline));
    if (!exited_) {
      for (pid_t p : ProcessTree(pid_)) kill(p, SIGKILL);
      while (!exited_) Pump(1000);
    }
  }
  out_.reset();
  err_.reset();
  return result_;
}

std::vector<pid_t> ProcessTree(pid_t root) {
  std::map<pid_t, pid_t> parents = ParentMap();
  std::vector<pid_t> tree = {root};
  for (size_t i = 0; i < tree.size(); ++i) {
    for (const auto& [pid, ppid] : parents) {
      if (ppid == tree[i]) tree.push_back(pid);
    }
  }
  return tree;
}

uint64_t PssKib(const std::vector<pid_t>& pids) {
  uint64_t total = 0;
  for (pid_t pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string key;
    uint64_t kib;
    while (in >> key) {
      if (key == "Pss:" && in >> kib) {
        total += kib;
        break;
      }
      in.ignore(1 << 20, '\n');
    }
  }
  return total;
}

void ReapOrphans(const std::vector<pid_t>& keep) {
  pid_t self = getpid();
  for (const auto& [pid, ppid] : ParentMap()) {
    if (ppid != self || std::find(keep.begin(), keep.end(), pid) != keep.end()) continue;
    int status;
    waitpid(pid, &status, WNOHANG);
  }
}

int RunQuietly(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  auto child = ChildProcess::Start(argv);
  if (!child.ok()) return -1;
  RunResult r = child->Wait(Clock::now() + timeout);
  return r.timed_out ? -1 : r.wait_status;
}

}  // namespace hull::bench
