#include "runtime/namespace/container.h"

#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>

#include "base/logging.h"
#include "base/terminal.h"
#include "runtime/namespace/cgroups.h"
#include "runtime/namespace/container_init.h"
#include "runtime/namespace/container_state.h"
#include "runtime/namespace/seccomp_profile.h"
#include "runtime/namespace/sync_socket.h"

namespace hull::runtime::ns {

using base::Result;
using base::Status;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGALRM};

int Fail(const Status& s, int status = kExitRuntimeError) {
  std::fprintf(stderr, "hull: %s\n", s.message().c_str());
  return status;
}

int StatusOf(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return kExitRuntimeError;
}

// Blocks the signals the supervisor handles and reads them from a signalfd; restores
// the mask on destruction.
class SignalRelay {
 public:
  SignalRelay() {
    sigemptyset(&mask_);
    sigaddset(&mask_, SIGCHLD);
    sigaddset(&mask_, SIGWINCH);
    for (int s : kForwarded) sigaddset(&mask_, s);
    ::sigprocmask(SIG_BLOCK, &mask_, &old_);
    fd_ = base::UniqueFd(::signalfd(-1, &mask_, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~SignalRelay() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  int fd() const { return fd_.get(); }
  // Next pending signal, or 0.
  int Next() {
    signalfd_siginfo info{};
    return ::read(fd_.get(), &info, sizeof info) == sizeof info ? static_cast<int>(info.ssi_signo) : 0;
  }

 private:
  sigset_t mask_{}, old_{};
  base::UniqueFd fd_;
};

void CopyWindowSize(int master) {
  if (auto size = base::TerminalWindowSize()) {
    winsize ws{};
    ws.ws_row = size->rows;
    ws.ws_col = size->cols;
    ::ioctl(master, TIOCSWINSZ, &ws);
  }
}

// Copies what is readable from `from` to `to`; false at end of file or error.
bool Pump(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  return base::WriteFully(to, buf, static_cast<size_t>(n)).ok();
}

// Copies what the program wrote to its terminal just before it exited; its exit status.
int Exited(int master, int wstatus) {
  while (master >= 0) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || !Pump(master, 1)) break;
  }
  return StatusOf(wstatus);
}

struct Started {
  base::UniqueFd master;  // the terminal, with -t
};

// Waits for the child to exec (end of file on the socket) or to report an error.
// A stop signal meanwhile kills it. Returns the exit status to give up with, or nothing.
std::optional<int> AwaitStart(pid_t pid, int sock, SignalRelay& signals, Started& started) {
  for (;;) {
    pollfd fds[2] = {{sock, POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return Fail(Status::Errno("poll"));
    if (fds[1].revents) {
      while (int sig = signals.Next()) {
        if (sig == SIGCHLD || sig == SIGWINCH) continue;
        ::kill(pid, SIGKILL);
        int ws;
        ::waitpid(pid, &ws, 0);
        return 128 + sig;
      }
    }
    if (!fds[0].revents) continue;
    auto m = ReceiveSync(sock);
    if (!m.ok()) return Fail(m.status());
    if (m->text.empty()) return std::nullopt;  // exec'd (or died; the wait will tell)
    if (m->text == "pty") {
      started.master = std::move(m->fd);
      continue;
    }
    int status = kExitRuntimeError;
    std::string text = m->text;
    if (text.rfind("error ", 0) == 0) {
      size_t space = text.find(' ', 6);
      status = std::atoi(text.substr(6, space - 6).c_str());
      text = space == std::string::npos ? "" : text.substr(space + 1);
    }
    int ws;
    ::waitpid(pid, &ws, 0);
    return Fail(Status::Error(text), status);
  }
}

// Relays the terminal and signals until the container's first process exits.
int Supervise(pid_t pid, const ContainerConfig& c, SignalRelay& signals, Started& started) {
  std::optional<base::RawTerminal> raw;
  int master = started.master.get();
  bool stdin_open = c.spec.interactive && master >= 0;
  if (master >= 0) {
    if (c.spec.interactive) raw.emplace(0);
    CopyWindowSize(master);
  }
  // AwaitStart may already have consumed the SIGCHLD of a program that exited at once.
  int ws;
  if (::waitpid(pid, &ws, WNOHANG) == pid) return Exited(master, ws);
  bool stopping = false;
  Clock::time_point kill_at{};
  for (;;) {
    pollfd fds[3] = {{signals.fd(), POLLIN, 0}, {master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    int timeout = -1;
    if (stopping) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - Clock::now()).count();
      timeout = static_cast<int>(std::max<long>(0, left));
    }
    int n = ::poll(fds, 3, timeout);
    if (n < 0 && errno != EINTR) return Fail(Status::Errno("poll"));
    if (n == 0 && stopping) {
      ::kill(pid, SIGKILL);
      stopping = false;
    }
    if (fds[1].revents && !Pump(master, 1)) master = -1;
    if (fds[2].revents && !Pump(0, started.master.get())) stdin_open = false;
    if (!fds[0].revents) continue;
    while (int sig = signals.Next()) {
      if (sig == SIGWINCH) {
        if (started.master) CopyWindowSize(started.master.get());
        continue;
      }
      if (sig != SIGCHLD) {
        ::kill(pid, sig);
        if ((sig == SIGINT || sig == SIGTERM) && !stopping) {
          stopping = true;
          kill_at = Clock::now() + std::chrono::seconds(c.spec.stop_timeout_s);
        }
        continue;
      }
      if (::waitpid(pid, &ws, WNOHANG) == pid) return Exited(master, ws);
    }
  }
}

}  // namespace

std::string NewContainerId() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static const char kDigits[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kDigits[b >> 4];
    id += kDigits[b & 15];
  }
  return id;
}

Result<CapSet> ContainerCaps(const ContainerSpec& spec, CgroupVersion version) {
  ASSIGN_OR_RETURN(CapSet caps, ResolveCaps(spec.privileged, spec.cap_add, spec.cap_drop));
  if (version == CgroupVersion::kV2 && !spec.privileged) {
    // No device filter on v2 yet (Docker uses an eBPF program): without one, a container
    // holding CAP_MKNOD could make and open a host disk's node in /dev. The image's own
    // nodes are unusable (nodev overlay); new ones cannot be made without CAP_MKNOD.
    CapSet mknod = CapSet{1} << CAP_MKNOD;
    auto added = ResolveCaps(false, spec.cap_add, {"ALL"});  // only what --cap-add names
    if (added.ok() && (*added & mknod)) {
      return Status::Error("--cap-add MKNOD is not supported on cgroup v2 hosts yet (no device filter)");
    }
    caps &= ~mknod;
  }
  return caps;
}

int RunContainer(const ContainerConfig& c) {
  // Signals are held (and later relayed or acted on) from before the first thing this
  // creates, so a SIGTERM halfway through the start never leaves a directory or cgroup.
  SignalRelay signals;
  const ContainerSpec& spec = c.spec;
  auto version = DetectCgroupVersion(c.cgroup_root);
  if (!version.ok()) return Fail(version.status());
  SweepStaleContainers(c.state_root, c.cgroup_root, c.cgroup_parent, *version);
  auto caps = ContainerCaps(spec, *version);
  if (!caps.ok()) return Fail(caps.status());
  struct stat st {};
  if (::stat(c.image_tree.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(Status::Error("the image's root filesystem " + c.image_tree + " is missing"));
  }
  auto dir = ContainerDir::Create(c.state_root, c.id);
  if (!dir.ok()) return Fail(dir.status());

  CgroupLimits limits;
  limits.memory_bytes = spec.memory_bytes;
  limits.memory_swap_bytes = spec.memory_swap_bytes;
  limits.cpu_quota_us = CpuQuotaForCpus(spec.cpus);
  limits.pids_max = spec.pids_limit > 0 ? spec.pids_limit : 0;
  auto cgroup = Cgroup::Create(c.cgroup_root, *version, c.cgroup_parent + "/" + c.id, limits);
  if (!cgroup.ok()) return Fail(cgroup.status());

  InitPlan plan;
  plan.rootfs = {c.image_tree, dir->upper(), dir->work(), dir->rootfs(), spec.privileged,
                 /*nodev_rootfs=*/*version == CgroupVersion::kV2 && !spec.privileged,
                 /*cgroup2=*/*version == CgroupVersion::kV2};
  plan.rootfs.volumes = spec.volumes;
  if (Status s = PrepareVolumeSources(spec.volumes); !s.ok()) return Fail(s);
  plan.process = c.process;
  plan.hostname = spec.hostname.empty() ? c.id.substr(0, 12) : spec.hostname;
  plan.new_network = spec.network == NetworkMode::kNone;
  plan.tty = spec.tty;
  plan.interactive = spec.interactive;
  plan.caps = *caps;
  if (!spec.privileged && !spec.seccomp_unconfined) {
    auto filter = CompileDefaultSeccomp(*caps, c.cache_dir);
    if (!filter.ok()) return Fail(filter.status());
    plan.seccomp = std::move(*filter);
  }
  plan.no_new_privileges = spec.no_new_privileges;
  plan.rlimits = DefaultRlimits();

  if (Status s = WriteEtcFiles(c.image_tree, dir->upper(), plan.hostname, !plan.new_network, c.network_address);
      !s.ok()) {
    return Fail(s);
  }

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return Fail(Status::Errno("socketpair"));
  }
  base::UniqueFd sock(pair[0]), child_sock(pair[1]);
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  if (plan.new_network) flags |= CLONE_NEWNET;
  std::fflush(nullptr);
  // Raw clone behaves like fork (this process is single-threaded) but can take the
  // namespace flags, so the child is PID 1 of its new PID namespace.
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) return Fail(Status::Errno("clone"));
  if (pid == 0) {
    sock.reset();  // so that the parent's death reads as end of file here
    RunContainerInit(plan, child_sock.get());
  }
  child_sock.reset();
  auto kill_child = [&] {
    ::kill(pid, SIGKILL);
    int ws;
    ::waitpid(pid, &ws, 0);
  };
  if (Status s = cgroup->AddProcess(pid); !s.ok()) {
    kill_child();
    return Fail(s);
  }
  if (c.network_setup && plan.new_network) {
    if (Status s = c.network_setup(pid); !s.ok()) {
      kill_child();
      return Fail(s);
    }
  }
  if (Status s = SendSync(sock.get(), "go"); !s.ok()) {
    kill_child();
    return Fail(s);
  }
  Started started;
  if (auto status = AwaitStart(pid, sock.get(), signals, started)) return *status;
  sock.reset();
  int status = Supervise(pid, c, signals, started);
  if (cgroup->OomKilled()) {
    HULL_LOG(kInfo) << "container " << c.id.substr(0, 12) << ": the OOM killer killed a process in it";
    if (c.on_oom_kill) c.on_oom_kill();
  }
  return status;
}

}  // namespace hull::runtime::ns
