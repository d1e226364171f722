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
#include "runtime/namespace/container.h"
#include "runtime/namespace/seccomp_profile.h"
#include "runtime/namespace/sync_socket.h"
#include "runtime/namespace/user.h"

namespace hull::runtime::ns {

using base::Status;

namespace {

[[noreturn]] void Die(int sync_fd, int status, const std::string& message) {
  (void)SendSync(sync_fd, "error " + std::to_string(status) + " " + message);
  ::_exit(status);
}

void Check(int sync_fd, const Status& s, int status = kExitRuntimeError) {
  if (!s.ok()) Die(sync_fd, status, s.message());
}

std::string ReadOrEmpty(const std::string& path) {
  auto text = base::ReadFileToString(path, 16u << 20);
  return text.ok() ? *text : "";
}

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

Status MkdirAll(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string cur = path.substr(0, pos);
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return Status::Errno("mkdir " + cur);
  }
  return Status::Ok();
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) return e.substr(key.size() + 1);
  }
  return "";
}

// PATH lookup with the container's PATH; returns the path or an exit status + message.
std::string FindProgram(int sync_fd, const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = EnvValue(env, "PATH");
  size_t start = 0;
  for (;;) {
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
  Die(sync_fd, kExitNotFound, "exec: \"" + name + "\": executable file not found in $PATH");
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

  auto user = ResolveUser(plan.process.user, ReadOrEmpty("/etc/passwd"), ReadOrEmpty("/etc/group"));
  Check(sync_fd, user.status());
  std::vector<std::string> env = plan.process.env;
  if (EnvValue(env, "HOME").empty()) env.push_back("HOME=" + user->home);
  Check(sync_fd, MkdirAll(plan.process.cwd));  // Docker creates a missing working directory

  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it
  // (everything after it — prctl, setgroups, setresuid, capset, chdir, execve — is allowed).
  bool seccomp_early = !plan.seccomp.empty() && !plan.no_new_privileges;
  if (seccomp_early) Check(sync_fd, InstallSeccomp(plan.seccomp));
  Check(sync_fd, DropBoundingCaps(plan.caps));
  if (::setgroups(user->groups.size(), user->groups.data()) != 0 ||
      ::setresgid(user->gid, user->gid, user->gid) != 0 ||
      ::setresuid(user->uid, user->uid, user->uid) != 0) {
    Die(sync_fd, kExitRuntimeError, Status::Errno("switching to user " + plan.process.user).message());
  }
  // Changing credentials cleared the parent-death signal; set it again and make sure
  // the supervisor did not die in between.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  char probe;
  if (::recv(sync_fd, &probe, 1, MSG_DONTWAIT | MSG_PEEK) == 0) ::_exit(kExitRuntimeError);
  if (user->uid == 0) Check(sync_fd, SetProcessCaps(plan.caps));
  if (::chdir(plan.process.cwd.c_str()) != 0) {
    Die(sync_fd, kExitRuntimeError, Status::Errno("chdir to cwd (\"" + plan.process.cwd + "\") set in config.json failed").message());
  }
  if (plan.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Die(sync_fd, kExitRuntimeError, Status::Errno("PR_SET_NO_NEW_PRIVS").message());
  }
  std::string program = FindProgram(sync_fd, plan.process.argv[0], env);
  std::vector<char*> argv, envp;
  for (const auto& a : plan.process.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  if (!plan.seccomp.empty() && !seccomp_early) Check(sync_fd, InstallSeccomp(plan.seccomp));
  ::execve(program.c_str(), argv.data(), envp.data());
  int err = errno;
  Die(sync_fd, err == ENOENT ? kExitNotFound : kExitNotExecutable,
      "exec: \"" + plan.process.argv[0] + "\": " + std::strerror(err));
}

}  // namespace hull::runtime::ns
