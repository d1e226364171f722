#include "guest/init/process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <vector>

namespace hull::guest::init {
namespace {

constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

int RlimitResource(const std::string& name) {
  static const std::map<std::string, int> kNames = {
      {"core", RLIMIT_CORE},     {"cpu", RLIMIT_CPU},       {"data", RLIMIT_DATA},
      {"fsize", RLIMIT_FSIZE},   {"locks", RLIMIT_LOCKS},   {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE}, {"nofile", RLIMIT_NOFILE},
      {"nproc", RLIMIT_NPROC},   {"rss", RLIMIT_RSS},       {"rtprio", RLIMIT_RTPRIO},
      {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK}, {"as", RLIMIT_AS}};
  auto it = kNames.find(name);
  return it == kNames.end() ? -1 : it->second;
}

bool HasVar(const std::vector<std::string>& env, const char* name) {
  size_t n = strlen(name);
  for (const auto& e : env)
    if (e.size() > n && e.compare(0, n, name) == 0 && e[n] == '=') return true;
  return false;
}

std::string VarValue(const std::vector<std::string>& env, const char* name) {
  size_t n = strlen(name);
  for (const auto& e : env)
    if (e.size() > n && e.compare(0, n, name) == 0 && e[n] == '=') return e.substr(n + 1);
  return "";
}

// The program to execute: args[0] itself if it has a slash, else the first executable
// match in the container's PATH.
std::string LookPath(const std::string& file, const std::string& path, int* err) {
  if (file.find('/') != std::string::npos) return file;
  size_t start = 0;
  *err = ENOENT;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      *err = EACCES;
    }
    start = end + 1;
  }
  return "";
}

// What the child was doing when it failed, reported with the errno.
enum Stage : int { kRlimit, kUser, kChdir, kExec };
const char* const kStageText[] = {"setting rlimits", "switching user", "changing directory",
                                  "exec"};

[[noreturn]] void ChildFail(int report_fd, Stage stage, int err) {
  int msg[2] = {stage, err};
  (void)!write(report_fd, msg, sizeof(msg));
  _exit(127);
}

}  // namespace

base::Result<Child> StartProcess(const GuestSpec& spec, const Identity& id,
                                 StartFailure* failure) {
  std::vector<std::string> env = spec.env;
  if (!HasVar(env, "PATH")) env.push_back(std::string("PATH=") + kDefaultPath);
  if (!HasVar(env, "HOME")) env.push_back("HOME=" + id.home);
  if (!HasVar(env, "HOSTNAME") && !spec.hostname.empty()) env.push_back("HOSTNAME=" + spec.hostname);
  if (spec.tty && !HasVar(env, "TERM")) env.push_back("TERM=xterm");

  int lookup_err = 0;
  std::string program = LookPath(spec.args[0], VarValue(env, "PATH"), &lookup_err);
  if (program.empty()) {
    failure->exit_code = lookup_err == EACCES ? 126 : 127;
    failure->message = "exec: \"" + spec.args[0] + "\": executable file not found in $PATH";
    return base::Status::Error(failure->message);
  }
  // Docker creates a missing working directory.
  for (size_t i = 1; i <= spec.cwd.size(); ++i)
    if (i == spec.cwd.size() || spec.cwd[i] == '/') mkdir(spec.cwd.substr(0, i).c_str(), 0755);

  Child child;
  int in[2] = {-1, -1}, out[2], err[2], report[2];
  base::UniqueFd slave;
  if (spec.tty) {
    child.pty_master.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!child.pty_master || grantpt(child.pty_master.get()) != 0 ||
        unlockpt(child.pty_master.get()) != 0)
      return base::Status::Errno("pseudo-terminal");
    slave.reset(open(ptsname(child.pty_master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) return base::Status::Errno("pseudo-terminal slave");
  } else {
    if (spec.stdin_open && pipe2(in, O_CLOEXEC) != 0) return base::Status::Errno("pipe");
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return base::Status::Errno("pipe");
  }
  if (pipe2(report, O_CLOEXEC) != 0) return base::Status::Errno("pipe");

  std::vector<char*> argv, envp;
  for (const auto& a : spec.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return base::Status::Errno("fork");
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (spec.tty) {
      ioctl(slave.get(), TIOCSCTTY, 0);
      for (int fd = 0; fd < 3; ++fd) dup2(slave.get(), fd);
    } else {
      dup2(spec.stdin_open ? in[0] : null, 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
    }
    // hull-init shields itself from the OOM killer; the container must not inherit that.
    if (base::UniqueFd oom(open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)); oom)
      (void)!write(oom.get(), "0\n", 2);
    for (const auto& r : spec.rlimits) {
      int resource = RlimitResource(r.name);
      rlimit lim{r.soft, r.hard};
      if (resource < 0 || setrlimit(resource, &lim) != 0) ChildFail(report[1], kRlimit, errno ? errno : EINVAL);
    }
    if (setgroups(id.groups.size(), id.groups.data()) != 0 || setgid(id.gid) != 0 ||
        setuid(id.uid) != 0)
      ChildFail(report[1], kUser, errno);
    if (chdir(spec.cwd.c_str()) != 0) ChildFail(report[1], kChdir, errno);
    execve(program.c_str(), argv.data(), envp.data());
    ChildFail(report[1], kExec, errno);
  }
  child.pid = pid;
  base::UniqueFd report_r(report[0]);
  { base::UniqueFd w(report[1]); }
  if (spec.tty) {
    child.stdout_r.reset(dup(child.pty_master.get()));
    if (spec.stdin_open) child.stdin_w.reset(dup(child.pty_master.get()));
  } else {
    if (spec.stdin_open) {
      child.stdin_w.reset(in[1]);
      base::UniqueFd r(in[0]);
    }
    child.stdout_r.reset(out[0]);
    child.stderr_r.reset(err[0]);
    base::UniqueFd w1(out[1]), w2(err[1]);
  }
  int msg[2] = {0, 0};
  ssize_t n;
  do n = read(report_r.get(), msg, sizeof(msg));
  while (n < 0 && errno == EINTR);
  if (n == sizeof(msg)) {
    int stage = msg[0] >= kRlimit && msg[0] <= kExec ? msg[0] : kExec;
    failure->exit_code = stage != kExec ? 125 : msg[1] == ENOENT ? 127 : 126;
    failure->message = std::string(kStageText[stage]) + " for \"" + spec.args[0] +
                       "\": " + strerror(msg[1]);
    // The child has exited; its zombie is reaped by the caller's SIGCHLD handling.
    return base::Status::Error(failure->message);
  }
  return child;
}

}  // namespace hull::guest::init
