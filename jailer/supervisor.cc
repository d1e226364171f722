#include "jailer/supervisor.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string_view>
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
    // The parents usually exist: made only when the jail's own mkdir says they do not.
    int made = ::mkdir(paths.dir.c_str(), 0700);
    if (made != 0 && errno == ENOENT) {
      std::string parent = paths.dir.substr(0, paths.dir.rfind('/'));
      for (size_t pos = 1; pos <= parent.size();) {
        size_t slash = parent.find('/', pos);
        if (slash == std::string::npos) slash = parent.size();
        std::string dir = parent.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Status::Errno("mkdir " + dir);
        pos = slash + 1;
      }
      made = ::mkdir(paths.dir.c_str(), 0700);
    }
    if (made != 0) {
      if (errno == EEXIST) {
        return Status::Error("a jail already exists at " + paths.dir +
                             " (a VM with this --id runs, or its jailer was killed: " +
                             paths.cleanup_command + " --id ID)");
      }
      return Status::Errno("mkdir " + paths.dir);
    }
    return JailDir(paths);
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

// ---- The supervisor after the clone -------------------------------------------------
// The jailed child is cloned with CLONE_VM: it starts in this process's memory, without
// a copy of its page tables or a copy-on-write fault for each page either side then
// writes — what fork() cost most of the jail's start under emulation (docs/benchmarks.md,
// "What confinement costs"). From the clone on, the child (the VMM and its threads) owns
// that memory: the heap, stdio, the logging state, errno (its first thread keeps our
// thread pointer). So the supervisor touches none of it: it works from data prepared
// before the clone, through system calls made without libc (no errno), and never
// returns: it ends the process with exit_group. Only its stack is its own.

#if !defined(__x86_64__)
#error "the jail's supervisor makes raw x86-64 system calls"
#endif

long Raw(long nr, long a = 0, long b = 0, long c = 0, long d = 0) {
  long ret;
  register long r10 asm("r10") = d;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
               : "rcx", "r11", "memory");
  return ret;  // -errno on failure
}

long RawWrite(int fd, const char* data, size_t size) {
  while (size > 0) {
    long n = Raw(SYS_write, fd, reinterpret_cast<long>(data), static_cast<long>(size));
    if (n == -EINTR) continue;
    if (n <= 0) return n;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// A fixed buffer of text, filled without allocating.
struct Text {
  char data[2048];
  size_t size = 0;
  Text& operator<<(std::string_view s) {
    size_t n = std::min(s.size(), sizeof(data) - size);
    std::memcpy(data + size, s.data(), n);
    size += n;
    return *this;
  }
  Text& operator<<(long value) {
    char digits[24];
    size_t n = 0;
    bool negative = value < 0;
    unsigned long v = negative ? 0ul - static_cast<unsigned long>(value) : static_cast<unsigned long>(value);
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0);
    if (negative) *this << "-";
    while (n > 0) *this << std::string_view(&digits[--n], 1);
    return *this;
  }
  std::string_view view() const { return {data, size}; }
};

// Everything the supervisor needs once the child runs, made before the clone.
struct AfterClone {
  std::string_view program;    // log lines' prefix
  bool log_info = false;
  const JailPaths* paths = nullptr;
  std::vector<const char*> cgroup_dirs;
  int signal_fd = -1;
  int error_read = -1;         // the child's failure to make the jail; EOF: the VMM runs
  int error_write = -1;        // the child's end: closed here after the clone
  int notify = -1;             // --daemonize: the caller's "ok" or failure; -1: none
};

void RawLog(const AfterClone& c, const char* level, std::string_view message) {
  Text line;
  line << c.program << ": " << level << ": " << message << "\n";
  RawWrite(STDERR_FILENO, line.data, line.size);
}

// The jail's directory and cgroup, as JailDir and Cgroup remove them.
void RawRemoveJail(const AfterClone& c) {
  Raw(SYS_unlink, reinterpret_cast<long>(c.paths->pid_file.c_str()));
  Raw(SYS_rmdir, reinterpret_cast<long>(c.paths->dir.c_str()));
  for (const char* dir : c.cgroup_dirs) {
    // The kernel may still count the jail's last tasks for a moment.
    for (int attempt = 0; attempt < 200; ++attempt) {
      long rc = Raw(SYS_rmdir, reinterpret_cast<long>(dir));
      if (rc != -EBUSY) break;
      timespec pause{0, 5'000'000};
      Raw(SYS_nanosleep, reinterpret_cast<long>(&pause), 0);
    }
  }
}

long RawWait(pid_t pid, int* status, int options) {
  long rc;
  do {
    rc = Raw(SYS_wait4, pid, reinterpret_cast<long>(status), options, 0);
  } while (rc == -EINTR);
  return rc;
}

// Ends this process as the VMM ended: its exit status, or death by its signal (without
// a core file), so the jailer's parent sees what it would have seen without a jailer.
[[noreturn]] void RawEnd(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    rlimit no_core{0, 0};
    Raw(SYS_prlimit64, 0, RLIMIT_CORE, reinterpret_cast<long>(&no_core), 0);
    struct {
      void* handler;
      unsigned long flags;
      void* restorer;
      uint64_t mask;
    } action{nullptr /* SIG_DFL */, 0, nullptr, 0};
    Raw(SYS_rt_sigaction, sig, reinterpret_cast<long>(&action), 0, sizeof(uint64_t));
    uint64_t unblock = 1ull << (sig - 1);
    Raw(SYS_rt_sigprocmask, SIG_UNBLOCK, reinterpret_cast<long>(&unblock), 0, sizeof(uint64_t));
    Raw(SYS_kill, Raw(SYS_getpid), sig);
    status = (128 + sig) << 8;
  }
  for (;;) Raw(SYS_exit_group, WEXITSTATUS(status));
}

// A jail that could not be made: the child is gone, nothing is left, the caller hears why.
[[noreturn]] void RawFail(const AfterClone& c, pid_t pid, std::string_view why) {
  Raw(SYS_kill, pid, SIGKILL);
  int status = 0;
  RawWait(pid, &status, 0);
  RawRemoveJail(c);
  if (c.notify >= 0) {
    RawWrite(c.notify, why.data(), why.size());
  } else {
    RawLog(c, "error", why);
  }
  for (;;) Raw(SYS_exit_group, kExitStatusJailerError);
}

// Writes the pid file, learns whether the jail was made, tells a --daemonize caller,
// forwards stop signals to the VMM and waits for it; then removes the jail and ends the
// process as the VMM ended.
[[noreturn]] void SuperviseAfterClone(const AfterClone& c, pid_t pid) {
  Raw(SYS_close, c.error_write);
  Text pid_text;
  pid_text << static_cast<long>(pid) << "\n";
  long fd = Raw(SYS_open, reinterpret_cast<long>(c.paths->pid_file.c_str()),
                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 || RawWrite(static_cast<int>(fd), pid_text.data, pid_text.size) < 0) {
    Text why;
    why << "writing " << c.paths->pid_file << ": " << strerrordesc_np(static_cast<int>(fd < 0 ? -fd : EIO));
    RawFail(c, pid, why.view());
  }
  Raw(SYS_close, fd);
  Text failure;
  for (;;) {
    long n = Raw(SYS_read, c.error_read, reinterpret_cast<long>(failure.data + failure.size),
                 static_cast<long>(sizeof(failure.data) - failure.size));
    if (n == -EINTR) continue;
    if (n <= 0) break;
    failure.size += static_cast<size_t>(n);
  }
  if (failure.size > 0) RawFail(c, pid, failure.view());
  if (c.notify >= 0) {
    RawWrite(c.notify, "ok", 2);
    Raw(SYS_close, c.notify);
  }
  for (;;) {
    signalfd_siginfo info{};
    long n = Raw(SYS_read, c.signal_fd, reinterpret_cast<long>(&info), sizeof(info));
    if (n == -EINTR) continue;
    if (n != sizeof(info)) {
      RawLog(c, "error", "reading signals failed; killing the VMM");
      Raw(SYS_kill, pid, SIGKILL);
      continue;  // its SIGCHLD ends the loop
    }
    if (info.ssi_signo != SIGCHLD) {
      Raw(SYS_kill, pid, static_cast<long>(info.ssi_signo));  // the VMM decides how to end
      continue;
    }
    int status = 0;
    if (RawWait(pid, &status, WNOHANG) != pid) continue;
    RawRemoveJail(c);
    if (c.log_info) {
      Text line;
      line << "the VMM (host pid " << static_cast<long>(pid) << ") ";
      if (WIFSIGNALED(status)) {
        line << "was killed by signal " << static_cast<long>(WTERMSIG(status));
      } else {
        line << "exited with " << static_cast<long>(WEXITSTATUS(status));
      }
      RawLog(c, "info", line.view());
    }
    RawEnd(status);
  }
}

// In the jail: the VMM's main in this process (kSelf, every fd beyond 0-2 closed first,
// as an exec would) or the VMM exec'd (kExec). Returns only on failure.
Status RunVmmInJail(const JailerArgs& args, const JailPaths& paths, const SelfMain& self_main) {
  if (args.mode == JailMode::kExec) return ExecInJail(args, paths);
  if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0) return Status::Errno("close_range");
  base::SetLogProgramName("hull-vmm");
  base::BootMark("jail-done");
  std::exit(self_main(args.vmm_args));  // as a return from main(): stdio flushed
}

// What the cloned child needs, on the supervisor's stack; it reads, never writes, these.
struct ChildContext {
  const JailerArgs* args;
  const JailPaths* paths;
  const ns::Cgroup* cgroup;
  int error_read;
  int error_write;
  const SelfMain* self_main;
};

// The jailed child: PID 1 of the new PID namespace, on its own stack in the
// supervisor's memory, with its own fd table, signal handlers and credentials. Joins the
// VMM's cgroup (so all it does from here on is counted there), builds the jail and
// execs (kExec) or runs the VMM's main in it (kSelf, after closing every fd beyond 0-2,
// the error pipe too: its end of file tells the supervisor the VMM runs). Only a
// failure to make the jail goes to the pipe. Nothing waits for the supervisor: it
// writes the pid file meanwhile.
int RunChild(void* context) {
  base::BootMark("jail-child");
  const ChildContext& c = *static_cast<const ChildContext*>(context);
  ::close(c.error_read);
  Status s = c.cgroup ? c.cgroup->AddProcess(0).WithContext("joining the VMM's cgroup") : Status::Ok();
  if (s.ok()) s = EnterJail(*c.args, *c.paths, c.error_write);
  if (s.ok()) s = RunVmmInJail(*c.args, *c.paths, *c.self_main);
  (void)base::WriteFully(c.error_write, s.message().data(), s.message().size());
  ::_exit(kExitStatusJailerError);
}

// The child's stack: the size of a main thread's (RLIMIT_STACK's usual 8 MiB), reserved
// lazily, with a guard page below it. Never unmapped: the child runs on it until it ends.
Result<char*> MapChildStack() {
  constexpr size_t kStack = 8 << 20, kGuard = 4096;
  void* base = ::mmap(nullptr, kStack + kGuard, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) return Status::Errno("mapping the jailed VMM's stack");
  if (::mprotect(base, kGuard, PROT_NONE) != 0) return Status::Errno("guarding the jailed VMM's stack");
  return static_cast<char*>(base) + kStack + kGuard;  // stacks grow down
}

// Starts the jailed VMM and supervises it until it ends, then ends the process as the
// VMM ended; returns only when the child could not be started. `notify` (daemonize; may
// be null) hears "ok", or why the jail failed, and is closed once the VMM runs.
Status Supervise(const JailerArgs& args, const JailPaths& paths, UniqueFd* notify,
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
  ASSIGN_OR_RETURN(char* stack, MapChildStack());
  AfterClone after{.program = args.mode == JailMode::kSelf ? "hull-vmm --jail" : "hull-jailer",
                   .log_info = base::LogEnabled(base::LogLevel::kInfo),
                   .paths = &paths,
                   .cgroup_dirs = {},
                   .signal_fd = signal_fd.get(),
                   .error_read = error.read.get(),
                   .error_write = error.write.get(),
                   .notify = notify != nullptr ? notify->get() : -1};
  if (cgroup) {
    for (const std::string& d : cgroup->dirs()) after.cgroup_dirs.push_back(d.c_str());
  }
  ChildContext child{&args, &paths, cgroup ? &*cgroup : nullptr, error.read.get(),
                     error.write.get(), &self_main};
  base::BootMark("jail-fork");
  // A new PID namespace with the child as its PID 1; SIGCHLD when it ends.
  pid_t pid = ::clone(RunChild, stack, CLONE_VM | CLONE_NEWPID | SIGCHLD, &child);
  if (pid < 0) return Status::Errno("starting the jailed VMM (clone)");
  SuperviseAfterClone(after, pid);
}

// --no-supervisor: this process is PID 1 of the PID namespace its caller made, and
// becomes the VMM itself: it makes and joins the jail's cgroup (if any), enters the jail
// and runs (kSelf) or execs (kExec) the VMM. No process stays outside, no fork, and
// nothing on the host's filesystem (no directory, no pid file: the caller has the pid).
// Returns only when the jail could not be made; a cgroup made by then stays for the
// caller's --cleanup, which it runs whenever this process ends.
Status RunInPlace(const JailerArgs& args, const JailPaths& paths, const SelfMain& self_main) {
  if (::getpid() != 1) {
    return Status::Error("--no-supervisor: start this process as PID 1 of a new PID namespace "
                         "(clone(CLONE_NEWPID), or unshare --pid --fork), as hull does");
  }
  ASSIGN_OR_RETURN(std::optional<ns::Cgroup> cgroup, MakeCgroup(args, paths));
  if (cgroup) {
    Status joined = cgroup->AddProcess(0).WithContext("joining the VMM's cgroup");
    // Left for the caller's --cleanup even when the join failed: removing it here, after
    // a partial join, would kill this process with everything else inside.
    cgroup->Release();
    RETURN_IF_ERROR(joined);
  }
  base::BootMark("jail-dir");
  RETURN_IF_ERROR(EnterJail(args, paths, -1));
  return RunVmmInJail(args, paths, self_main);
}

// --daemonize: the caller learns whether the VMM started, then returns; a detached
// grandchild supervises.
Status Daemonize(const JailerArgs& args, const JailPaths& paths, const SelfMain& self_main) {
  ASSIGN_OR_RETURN(Pipe ready, Pipe::Make());
  pid_t pid = ::fork();
  if (pid < 0) return Status::Errno("fork");
  if (pid > 0) {
    ready.write.reset();
    WaitStatus(pid);
    std::string text = ReadAll(ready.read.get());
    if (text == "ok") return Status::Ok();
    return Status::Error(text.empty() ? "the detached jailer ended before the VMM started" : text);
  }
  ready.read.reset();
  if (::setsid() < 0 || ::fork() != 0) ::_exit(0);  // the grandchild is no session leader
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd : {0, 1, 2}) ::dup2(null, fd);
  if (null > 2) ::close(null);
  Status failed = Supervise(args, paths, &ready.write, self_main);
  (void)base::WriteFully(ready.write.get(), failed.message().data(), failed.message().size());
  ::_exit(kExitStatusJailerError);
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
  if (Status s = RunJailed(*args, self_main); !s.ok()) {
    LOG_ERROR << s.message();
    return kExitStatusJailerError;
  }
  return 0;  // --daemonize: the VMM runs
}

Status RunJailed(const JailerArgs& args, const SelfMain& self_main) {
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
  if (args.no_supervisor) return RunInPlace(args, paths, self_main);
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
