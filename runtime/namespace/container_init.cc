#include "runtime/namespace/container_init.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "runtime/namespace/become_process.h"
#include "runtime/namespace/container.h"
#include "runtime/namespace/seccomp_profile.h"
#include "runtime/namespace/sync_socket.h"
#include "runtime/namespace/user.h"

namespace hull::runtime::ns {

using base::Status;

namespace {

Status BringUpLoopback() {
  base::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return Status::Errno("socket");
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &req) != 0) return Status::Errno("reading lo's flags");
  req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &req) != 0) return Status::Errno("bringing up lo");
  return Status::Ok();
}

// Opens a terminal in the container's devpts, hands its master to the supervisor and
// makes the slave this process's controlling terminal and stdio.
Status SetUpTerminal(int sync_fd) {
  auto master = base::OpenFile("/dev/ptmx", O_RDWR | O_NOCTTY);
  if (!master.ok()) return master.status();
  int unlock = 0, number = 0;
  if (::ioctl(master->get(), TIOCSPTLCK, &unlock) != 0) return Status::Errno("unlocking the pty");
  if (::ioctl(master->get(), TIOCGPTN, &number) != 0) return Status::Errno("TIOCGPTN");
  int slave = ::ioctl(master->get(), TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) return Status::Errno("opening the pty's slave");
  RETURN_IF_ERROR(BindConsole("/dev/pts/" + std::to_string(number)));
  RETURN_IF_ERROR(SendSync(sync_fd, "pty", master->get()));
  if (::setsid() < 0) return Status::Errno("setsid");
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) return Status::Errno("TIOCSCTTY");
  for (int fd = 0; fd < 3; ++fd) {
    if (::dup2(slave, fd) < 0) return Status::Errno("dup2");
  }
  if (slave > 2) base::UniqueFd close_it(slave);
  return Status::Ok();
}

}  // namespace

std::vector<Rlimit> DefaultRlimits() {
  rlimit current{};
  ::getrlimit(RLIMIT_NOFILE, &current);
  rlim_t hard = std::min<rlim_t>(524288, current.rlim_max);
  return {{RLIMIT_NOFILE, std::min<rlim_t>(1024, hard), hard}};
}

void RunContainerInit(const InitPlan& plan, int sync_fd) {
  // The supervisor's death (even SIGKILL) kills this process, and with it the namespace.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  auto go = ReceiveSync(sync_fd);
  if (!go.ok() || go->text != "go") ::_exit(kExitRuntimeError);  // supervisor gone
  if (::unshare(CLONE_NEWCGROUP) != 0) Die(sync_fd, kExitRuntimeError, Status::Errno("unshare(CLONE_NEWCGROUP)").message());
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    Die(sync_fd, kExitRuntimeError, Status::Errno("making / private").message());
  }
  Check(sync_fd, SetUpRootfs(plan.rootfs));
  if (plan.tty) {
    Check(sync_fd, SetUpTerminal(sync_fd));
  } else {
    // A session of its own: hull run's terminal (if stdio is one) is not the container's
    // controlling terminal, so it cannot push input into it (TIOCSTI) or get its ^C.
    if (::setsid() < 0) Die(sync_fd, kExitRuntimeError, Status::Errno("setsid").message());
    if (!plan.interactive) {
      auto null = base::OpenFile("/dev/null", O_RDONLY);
      Check(sync_fd, null.status());
      if (::dup2(null->get(), 0) < 0) Die(sync_fd, kExitRuntimeError, "dup2 /dev/null");
    }
  }
  if (::sethostname(plan.hostname.data(), plan.hostname.size()) != 0) {
    Die(sync_fd, kExitRuntimeError, Status::Errno("sethostname").message());
  }
  if (plan.new_network) Check(sync_fd, BringUpLoopback());
  for (const Rlimit& r : plan.rlimits) {
    rlimit l{r.soft, r.hard};
    if (::setrlimit(r.resource, &l) != 0) Die(sync_fd, kExitRuntimeError, Status::Errno("setrlimit").message());
  }

  BecomeProcess(sync_fd, {.process = plan.process,
                          .caps = plan.caps,
                          .seccomp = plan.seccomp,
                          .no_new_privileges = plan.no_new_privileges,
                          .make_cwd = true,
                          .cwd_status = kExitRuntimeError,
                          .supervisor_on_ctl = true});
}

}  // namespace hull::runtime::ns
