#include "runtime/namespace/exec.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "runtime/namespace/container.h"
#include "runtime/namespace/container_init.h"
#include "runtime/namespace/seccomp_profile.h"
#include "runtime/namespace/sync_socket.h"
#include "runtime/namespace/user.h"

namespace hull::runtime::ns {

using base::Status;

namespace {

constexpr int kNamespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
                            CLONE_NEWNET | CLONE_NEWCGROUP;

[[noreturn]] void Die(int ctl, int status, const std::string& message) {
  (void)SendSync(ctl, "error " + std::to_string(status) + " " + message);
  ::_exit(status);
}

void Check(int ctl, const Status& s) {
  if (!s.ok()) Die(ctl, kExitRuntimeError, s.message());
}

std::string ReadOrEmpty(const std::string& path) {
  auto text = base::ReadFileToString(path, 16u << 20);
  return text.ok() ? *text : "";
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) return e.substr(key.size() + 1);
  }
  return "";
}

// The program as exec would find it through the container's PATH, or the exit status
// and message Docker gives when it is not there.
std::string LookUp(int ctl, const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = EnvValue(env, "PATH");
  for (size_t start = 0;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  Die(ctl, kExitNotFound, "exec: \"" + name + "\": executable file not found in $PATH");
}

// A terminal from the container's own devpts (the mount namespace is joined already):
// its master goes to the peer, the slave becomes the controlling terminal and stdio.
Status OpenTerminal(int ctl) {
  auto master = base::OpenFile("/dev/ptmx", O_RDWR | O_NOCTTY);
  if (!master.ok()) return master.status();
  int unlock = 0;
  if (::ioctl(master->get(), TIOCSPTLCK, &unlock) != 0) return Status::Errno("unlocking the pty");
  base::UniqueFd slave(::ioctl(master->get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
  if (!slave) return Status::Errno("opening the pty's slave");
  RETURN_IF_ERROR(SendSync(ctl, "pty", master->get()));
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) return Status::Errno("TIOCSCTTY");
  for (int fd = 0; fd < 3; ++fd) {
    if (::dup2(slave.get(), fd) < 0) return Status::Errno("dup2");
  }
  return Status::Ok();
}

// In the forked child, inside every namespace of the container: confinement, then exec.
[[noreturn]] void BecomeProcess(const ExecSpec& spec, const std::vector<sock_filter>& filter, int ctl) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the helper's death (hulld's exec wait) ends us
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  if (::chdir("/") != 0) Die(ctl, kExitRuntimeError, Status::Errno("chdir /").message());
  if (::setsid() < 0) Die(ctl, kExitRuntimeError, Status::Errno("setsid").message());
  if (spec.tty) Check(ctl, OpenTerminal(ctl));
  for (const Rlimit& r : DefaultRlimits()) {
    rlimit l{r.soft, r.hard};
    if (::setrlimit(r.resource, &l) != 0) Die(ctl, kExitRuntimeError, Status::Errno("setrlimit").message());
  }
  auto user = ResolveUser(spec.process.user, ReadOrEmpty("/etc/passwd"), ReadOrEmpty("/etc/group"));
  Check(ctl, user.status());
  std::vector<std::string> env = spec.process.env;
  if (EnvValue(env, "HOME").empty()) env.push_back("HOME=" + user->home);

  bool seccomp_early = !filter.empty() && !spec.no_new_privileges;  // needs CAP_SYS_ADMIN
  if (seccomp_early) Check(ctl, InstallSeccomp(filter));
  Check(ctl, DropBoundingCaps(spec.caps));
  if (::setgroups(user->groups.size(), user->groups.data()) != 0 ||
      ::setresgid(user->gid, user->gid, user->gid) != 0 ||
      ::setresuid(user->uid, user->uid, user->uid) != 0) {
    Die(ctl, kExitRuntimeError, Status::Errno("switching to user " + spec.process.user).message());
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // cleared by the credential change
  if (user->uid == 0) Check(ctl, SetProcessCaps(spec.caps));
  if (::chdir(spec.process.cwd.c_str()) != 0) {
    Die(ctl, kExitNotExecutable, Status::Errno("chdir to cwd (\"" + spec.process.cwd + "\") set in config.json failed").message());
  }
  if (spec.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Die(ctl, kExitRuntimeError, Status::Errno("PR_SET_NO_NEW_PRIVS").message());
  }
  std::string program = LookUp(ctl, spec.process.argv[0], env);
  std::vector<char*> argv, envp;
  for (const auto& a : spec.process.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  if (!filter.empty() && !seccomp_early) Check(ctl, InstallSeccomp(filter));
  ::execve(program.c_str(), argv.data(), envp.data());
  int err = errno;
  Die(ctl, err == ENOENT ? kExitNotFound : kExitNotExecutable,
      "exec: \"" + spec.process.argv[0] + "\": " + std::strerror(err));
}

int Fail(int ctl, const Status& s) {
  (void)SendSync(ctl, "error " + std::to_string(kExitRuntimeError) + " " + s.message());
  return kExitRuntimeError;
}

}  // namespace

int RunExec(const ExecSpec& spec, int container_pidfd, base::UniqueFd ctl) {
  ::fcntl(ctl.get(), F_SETFD, FD_CLOEXEC);  // end of file at exec tells the peer it started
  if (spec.process.argv.empty()) return Fail(ctl.get(), Status::Error("no command given"));
  std::vector<sock_filter> filter;
  if (spec.seccomp) {
    auto compiled = CompileDefaultSeccomp(spec.caps, spec.seccomp_cache_dir);
    if (!compiled.ok()) return Fail(ctl.get(), compiled.status());
    filter = std::move(*compiled);
  }
  // The cgroup first (its files are host paths), then every namespace at once; the
  // child forked afterwards starts in all of them.
  std::string self = std::to_string(::getpid());
  for (const auto& procs : spec.cgroup_procs) {
    auto fd = base::OpenFile(procs, O_WRONLY);
    Status s = fd.ok() ? base::WriteFully(fd->get(), self.data(), self.size()) : fd.status();
    if (!s.ok()) return Fail(ctl.get(), s.WithContext("joining the container's cgroup " + procs));
  }
  if (::setns(container_pidfd, kNamespaces) != 0) {
    return Fail(ctl.get(), Status::Errno("joining the container's namespaces (is it still running?)"));
  }
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return Fail(ctl.get(), Status::Errno("fork into the container"));
  if (pid == 0) BecomeProcess(spec, filter, ctl.get());
  (void)SendSync(ctl.get(), "pid " + std::to_string(pid));
  ctl.reset();
  int ws = 0;
  while (::waitpid(pid, &ws, 0) < 0) {
    if (errno != EINTR) return kExitRuntimeError;
  }
  if (WIFEXITED(ws)) return WEXITSTATUS(ws);
  if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
  return kExitRuntimeError;
}

}  // namespace hull::runtime::ns
