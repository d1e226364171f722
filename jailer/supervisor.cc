#include "jailer/supervisor.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

#include "base/boot_trace.h"
#include "base/logging.h"
#include "base/unique_fd.h"
#include "jailer/jail_setup.h"
#include "runtime/namespace/cgroups.h"

namespace hull::jailer {
namespace {

using base::Result;
using base::Status;
using base::UniqueFd;
namespace ns = runtime::ns;

Status RemoveIfThere(const std::string& path, bool dir) {
  int rc = dir ? ::rmdir(path.c_str()) : ::unlink(path.c_str());
  if (rc != 0 && errno != ENOENT) return Status::Errno("removing " + path);
  return Status::Ok();
}

// The jail's directory on the host; removed (pid file, the empty root, the directory)
// when this goes away. Only the child's mount namespace ever mounts anything on root.
class JailDir {
 public:
  static Result<JailDir> Make(const JailPaths& paths) {
    std::string parent = paths.dir.substr(0, paths.dir.rfind('/'));
    for (size_t pos = 1; pos <= parent.size();) {
      size_t slash = parent.find('/', pos);
      if (slash == std::string::npos) slash = parent.size();
      std::string dir = parent.substr(0, slash);
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Status::Errno("mkdir " + dir);
      pos = slash + 1;
    }
    if (::mkdir(paths.dir.c_str(), 0700) != 0) {
      if (errno == EEXIST) {
        return Status::Error("a jail already exists at " + paths.dir +
                             " (a VM with this --id runs, or its jailer was killed: " +
                             paths.cleanup_command + " --id ID)");
      }
      return Status::Errno("mkdir " + paths.dir);
    }
    JailDir jail(paths);
    // 0755: the VMM's uid must reach its root; nothing in it is writable after set-up.
    if (::mkdir(paths.root.c_str(), 0755) != 0) return Status::Errno("mkdir " + paths.root);
    return jail;
  }
  JailDir(JailDir&& other) noexcept : paths_(std::exchange(other.paths_, std::nullopt)) {}
  ~JailDir() {
    if (!paths_) return;
    if (Status s = Remove(*paths_); !s.ok()) {
      LOG_WARNING << s.message();
    }
  }
  static Status Remove(const JailPaths& paths) {
    RETURN_IF_ERROR(RemoveIfThere(paths.pid_file, false));
    RETURN_IF_ERROR(RemoveIfThere(paths.root, true));
    return RemoveIfThere(paths.dir, true);
  }

 private:
  explicit JailDir(const JailPaths& paths) : paths_(paths) {}
  std::optional<JailPaths> paths_;
};

// The VMM's cgroup, from the shared cgroup layer. On v1 that layer's device allowlist
// is a container's; the VMM also needs /dev/kvm.
Result<std::optional<ns::Cgroup>> MakeCgroup(const JailerArgs& args, const JailPaths& paths) {
  if (!args.has_cgroup) return std::optional<ns::Cgroup>();
  ASSIGN_OR_RETURN(ns::CgroupVersion version, ns::DetectCgroupVersion(args.cgroup_root));
  ASSIGN_OR_RETURN(ns::Cgroup cgroup,
                   ns::Cgroup::Create(args.cgroup_root, version, paths.cgroup_name, args.cgroup));
  for (const std::string& dir : cgroup.dirs()) {
    if (dir.find("/devices/") == std::string::npos) continue;
    ASSIGN_OR_RETURN(UniqueFd fd, base::OpenFile(dir + "/devices.allow", O_WRONLY));
    static constexpr char kKvm[] = "c 10:232 rwm";
    RETURN_IF_ERROR(base::WriteFully(fd.get(), kKvm, sizeof(kKvm) - 1).WithContext("allowing /dev/kvm"));
  }
  return std::optional<ns::Cgroup>(std::move(cgroup));
}

struct Pipe {
  UniqueFd read, write;
  static Result<Pipe> Make() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Errno("pipe2");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  }
};

std::string ReadAll(int fd) {
  std::string text;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

int WaitStatus(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

// The jailed child: PID 1 of the new PID namespace. Joins the VMM's cgroup (so all it
// does from here on is counted there), builds the jail and execs (kExec) or runs the
// VMM's main in it (kSelf, after closing every fd beyond 0-2, the error pipe too: its
// end of file tells the supervisor the VMM runs). Only a failure to make the jail goes
// to the pipe. Nothing waits for the supervisor: it writes the pid file meanwhile.
[[noreturn]] void RunChild(const JailerArgs& args, const JailPaths& paths,
                           const std::optional<ns::Cgroup>& cgroup, Pipe& error,
                           const SelfMain& self_main) {
  base::BootMark("jail-child");
  error.read.reset();
  Status s = cgroup ? cgroup->AddProcess(0).WithContext("joining the VMM's cgroup") : Status::Ok();
  if (s.ok()) s = EnterJail(args, paths, error.write.get());
  if (s.ok() && args.mode == JailMode::kSelf) {
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) == 0) {
      base::SetLogProgramName("hull-vmm");
      base::BootMark("jail-done");
      std::exit(self_main(args.vmm_args));  // as a return from main(): stdio flushed
    }
    s = Status::Errno("close_range");
  }
  if (s.ok()) s = ExecInJail(args, paths);
  (void)base::WriteFully(error.write.get(), s.message().data(), s.message().size());
  ::_exit(kExitStatusJailerError);
}

// Starts the jailed VMM and waits for it. `notify` (daemonize; may be null) hears "ok"
// and is closed once the VMM runs.
Result<int> Supervise(const JailerArgs& args, const JailPaths& paths, UniqueFd* notify,
                      const SelfMain& self_main) {
  ASSIGN_OR_RETURN(JailDir dir, JailDir::Make(paths));
  ASSIGN_OR_RETURN(std::optional<ns::Cgroup> cgroup, MakeCgroup(args, paths));
  base::BootMark("jail-dir");
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&signals, sig);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);
  UniqueFd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC));
  if (signal_fd.get() < 0) return Status::Errno("signalfd");
  ASSIGN_OR_RETURN(Pipe error, Pipe::Make());
  if (::unshare(CLONE_NEWPID) != 0) return Status::Errno("new PID namespace");
  base::BootMark("jail-fork");
  pid_t pid = ::fork();
  if (pid < 0) return Status::Errno("fork");
  if (pid == 0) RunChild(args, paths, cgroup, error, self_main);
  error.write.reset();
  std::string text = std::to_string(pid) + "\n";
  auto file = base::OpenFile(paths.pid_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  Status started = file.ok() ? base::WriteFully(file->get(), text.data(), text.size()) : file.status();
  if (!started.ok()) ::kill(pid, SIGKILL);
  if (std::string failure = ReadAll(error.read.get()); started.ok() && !failure.empty()) {
    started = Status::Error(failure);
  }
  if (!started.ok()) {
    ::kill(pid, SIGKILL);
    WaitStatus(pid);
    return started;
  }
  if (notify != nullptr) {
    (void)base::WriteFully(notify->get(), "ok", 2);
    notify->reset();
  }
  for (;;) {
    signalfd_siginfo info{};
    if (::read(signal_fd.get(), &info, sizeof(info)) != sizeof(info)) {
      if (errno == EINTR) continue;
      return Status::Errno("reading signals");
    }
    if (info.ssi_signo != SIGCHLD) {
      ::kill(pid, static_cast<int>(info.ssi_signo));  // the VMM decides how to end
      continue;
    }
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done != pid) continue;
    if (WIFSIGNALED(status)) {
      LOG_INFO << "the VMM (host pid " << pid << ") was killed by signal " << WTERMSIG(status);
      return -WTERMSIG(status);
    }
    LOG_INFO << "the VMM (host pid " << pid << ") exited with " << WEXITSTATUS(status);
    return WEXITSTATUS(status);
  }
}

// --daemonize: the caller learns whether the VMM started, then returns; a detached
// grandchild supervises.
Result<int> Daemonize(const JailerArgs& args, const JailPaths& paths, const SelfMain& self_main) {
  ASSIGN_OR_RETURN(Pipe ready, Pipe::Make());
  pid_t pid = ::fork();
  if (pid < 0) return Status::Errno("fork");
  if (pid > 0) {
    ready.write.reset();
    WaitStatus(pid);
    std::string text = ReadAll(ready.read.get());
    if (text == "ok") return 0;
    return Status::Error(text.empty() ? "the detached jailer ended before the VMM started" : text);
  }
  ready.read.reset();
  if (::setsid() < 0 || ::fork() != 0) ::_exit(0);  // the grandchild is no session leader
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd : {0, 1, 2}) ::dup2(null, fd);
  if (null > 2) ::close(null);
  Result<int> result = Supervise(args, paths, &ready.write, self_main);
  if (!result.ok() && ready.write.get() >= 0) {
    (void)base::WriteFully(ready.write.get(), result.status().message().data(),
                           result.status().message().size());
  }
  ::_exit(result.ok() ? 0 : kExitStatusJailerError);
}

// Dies by `sig` as the VMM did, without a core file; exits 128 + sig if it survives.
[[noreturn]] void DieBy(int sig) {
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);
}

}  // namespace

int JailerMain(int argc, char** argv, JailMode mode, const SelfMain& self_main) {
  base::SetLogProgramName(mode == JailMode::kSelf ? "hull-vmm --jail" : "hull-jailer");
  base::InitLoggingFromEnv();
  // Nothing the caller left open reaches the jail (the VMM's child closes again).
  ::syscall(SYS_close_range, 3u, ~0u, 0u);
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << JailerUsage(mode);
    return 0;
  }
  Result<JailerArgs> args = ParseJailerArgs(argc, argv, mode);
  if (!args.ok()) {
    LOG_ERROR << args.status().message();
    std::cerr << JailerUsage(mode);
    return kExitStatusJailerError;
  }
  if (args->cleanup) {
    if (Status s = CleanUpJail(*args); !s.ok()) {
      LOG_ERROR << s.message();
      return kExitStatusJailerError;
    }
    return 0;
  }
  if (::geteuid() != 0) {
    LOG_ERROR << (mode == JailMode::kSelf ? "hull-vmm --jail" : "hull-jailer")
              << " must run as root (it makes namespaces, mounts and device nodes)";
    return kExitStatusJailerError;
  }
  Result<int> status = RunJailed(*args, self_main);
  if (!status.ok()) {
    LOG_ERROR << status.status().message();
    return kExitStatusJailerError;
  }
  if (*status < 0) DieBy(-*status);
  return *status;
}

Result<int> RunJailed(const JailerArgs& args, const SelfMain& self_main) {
  if (args.mode == JailMode::kSelf) {
    if (!self_main) return Status::Error("internal error: a self jail without the VMM's main");
  } else {
    struct stat st {};
    if (::stat(args.exec_file.c_str(), &st) != 0) return Status::Errno("--exec-file " + args.exec_file);
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
      return Status::Error("--exec-file " + args.exec_file + ": not an executable file");
    }
  }
  JailPaths paths = PathsFor(args);
  if (args.daemonize) return Daemonize(args, paths, self_main);
  return Supervise(args, paths, nullptr, self_main);
}

Status CleanUpJail(const JailerArgs& args) {
  JailPaths paths = PathsFor(args);
  if (auto text = base::ReadFileToString(paths.pid_file, 64); text.ok()) {
    pid_t pid = static_cast<pid_t>(std::atoi(text->c_str()));
    auto status = base::ReadFileToString("/proc/" + std::to_string(pid) + "/status", 1 << 16);
    // Only a PID 1 of its own namespace (NSpid ends in "\t1") is the jail's VMM, not a
    // process that reused the number.
    if (pid > 1 && status.ok() && status->find("\nNSpid:\t" + std::to_string(pid) + "\t1\n") !=
                                      std::string::npos) {
      ::kill(pid, SIGKILL);
      for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }
  if (auto version = ns::DetectCgroupVersion(args.cgroup_root); version.ok()) {
    RETURN_IF_ERROR(ns::RemoveCgroupByName(args.cgroup_root, *version, paths.cgroup_name));
  }
  return JailDir::Remove(paths);
}

}  // namespace hull::jailer
