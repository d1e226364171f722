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

#include "runtime/namespace/become_process.h"
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
[[noreturn]] void RunExecChild(const ExecSpec& spec, const std::vector<sock_filter>& filter, int ctl) {
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
  BecomeProcess(ctl, {.process = spec.process,
                      .caps = spec.caps,
                      .seccomp = filter,
                      .no_new_privileges = spec.no_new_privileges,
                      .cwd_status = kExitNotExecutable});
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
  if (pid == 0) RunExecChild(spec, filter, ctl.get());
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
