#include "runtime/namespace/seccomp_profile.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "base/unique_fd.h"

namespace hull::runtime::ns {

using base::Status;

namespace {

// Always allowed.
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
    "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
    "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
    "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
    "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
    "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
    "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64",
    "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat",
    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
    "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
    "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage",
    "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
    "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
    "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
    "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
    "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
    "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
    "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
    "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
    "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
    "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
    "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
    "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
    "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
    "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
    "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64",
    "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
    "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
    "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
    "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
    "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
    "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
    "waitpid", "write", "writev",
    // x86-64 specific, and ptrace (safe in a PID namespace on kernels >= 4.8).
    "arch_prctl", "modify_ldt", "ptrace",
};

struct CapRule {
  int cap;
  std::vector<const char*> names;
};

// Allowed only when the container holds the capability.
const std::vector<CapRule>& CapRules() {
  static const std::vector<CapRule> rules = {
      {CAP_DAC_READ_SEARCH, {"open_by_handle_at"}},
      {CAP_SYS_ADMIN, {"bpf", "clone", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                       "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
                       "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
                       "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2",
                       "unshare", "clone3"}},
      {CAP_SYS_BOOT, {"reboot"}},
      {CAP_SYS_CHROOT, {"chroot"}},
      {CAP_SYS_MODULE, {"delete_module", "init_module", "finit_module"}},
      {CAP_SYS_PACCT, {"acct"}},
      {CAP_SYS_PTRACE, {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                        "process_vm_writev"}},
      {CAP_SYS_RAWIO, {"iopl", "ioperm"}},
      {CAP_SYS_TIME, {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
      {CAP_SYS_TTY_CONFIG, {"vhangup"}},
      {CAP_SYS_NICE, {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
      {CAP_SYSLOG, {"syslog"}},
      {CAP_BPF, {"bpf"}},
      {CAP_PERFMON, {"perf_event_open"}},
  };
  return rules;
}

constexpr uint64_t kNamespaceCloneFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                          CLONE_NEWCGROUP;
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
constexpr int kAfVsock = 40;

bool Has(CapSet caps, int cap) { return caps & (CapSet{1} << cap); }

// Names allowed unconditionally for `caps`, resolvable on this architecture.
std::vector<std::string> AllowedNames(CapSet caps) {
  std::vector<std::string> names;
  auto add = [&](const char* name) {
    if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR) return;
    for (const auto& n : names) {
      if (n == name) return;
    }
    names.push_back(name);
  };
  for (const char* n : kAllowed) add(n);
  for (const auto& rule : CapRules()) {
    if (!Has(caps, rule.cap)) continue;
    for (const char* n : rule.names) add(n);
  }
  return names;
}

}  // namespace

size_t AllowedSyscallCount(CapSet caps) { return AllowedNames(caps).size(); }

namespace {

// Builds the filter; `out` receives the libseccomp context (released by the caller).
Status BuildFilter(CapSet caps, scmp_filter_ctx* out) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (!ctx) return Status::Error("seccomp_init failed");
  *out = ctx;
  // no_new_privs is the runtime's decision, not libseccomp's.
  (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  // 32-bit and x32 entry points are filtered by the same names (as Docker does).
  if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
    (void)seccomp_arch_add(ctx, SCMP_ARCH_X86);
    (void)seccomp_arch_add(ctx, SCMP_ARCH_X32);
  }
  auto rule = [&](uint32_t action, const char* name, unsigned count, const scmp_arg_cmp* args) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return 0;
    return seccomp_rule_add_array(ctx, action, nr, count, args);
  };
  for (const auto& name : AllowedNames(caps)) {
    if (int rc = rule(SCMP_ACT_ALLOW, name.c_str(), 0, nullptr); rc < 0) {
      return Status::Error("seccomp rule for " + name + ": " + std::strerror(-rc));
    }
  }
  if (!Has(caps, CAP_SYS_ADMIN)) {
    scmp_arg_cmp no_ns = SCMP_A0(SCMP_CMP_MASKED_EQ, kNamespaceCloneFlags, 0);
    if (rule(SCMP_ACT_ALLOW, "clone", 1, &no_ns) < 0) return Status::Error("seccomp rule for clone");
    if (rule(SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, nullptr) < 0) return Status::Error("seccomp rule for clone3");
  }
  for (uint64_t p : kPersonalities) {
    scmp_arg_cmp eq = SCMP_A0(SCMP_CMP_EQ, p);
    if (rule(SCMP_ACT_ALLOW, "personality", 1, &eq) < 0) return Status::Error("seccomp rule for personality");
  }
  scmp_arg_cmp not_vsock = SCMP_A0(SCMP_CMP_NE, kAfVsock);
  if (rule(SCMP_ACT_ALLOW, "socket", 1, &not_vsock) < 0) return Status::Error("seccomp rule for socket");
  return Status::Ok();
}

// FNV-1a over everything the compiled program depends on.
std::string CacheKey(CapSet caps) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view text) {
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  };
  for (const auto& n : AllowedNames(caps)) mix(n);
  const scmp_version* v = seccomp_version();
  mix(std::to_string(caps) + "/" + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
      std::to_string(v->micro) + "/" + std::to_string(seccomp_arch_native()) + "/profile-1");
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

base::Result<std::vector<sock_filter>> ProgramFrom(const std::string& bytes) {
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0 || bytes.size() > 64 * 4096 * sizeof(sock_filter)) {
    return Status::Error("malformed seccomp program");
  }
  std::vector<sock_filter> program(bytes.size() / sizeof(sock_filter));
  std::memcpy(program.data(), bytes.data(), bytes.size());
  return program;
}

}  // namespace

base::Result<std::vector<sock_filter>> CompileDefaultSeccomp(CapSet caps, const std::string& cache_dir) {
  std::string cached = cache_dir.empty() ? "" : cache_dir + "/seccomp-" + CacheKey(caps) + ".bpf";
  if (!cached.empty()) {
    if (auto bytes = base::ReadFileToString(cached, 1 << 20); bytes.ok()) {
      if (auto program = ProgramFrom(*bytes); program.ok()) return program;
    }
  }
  scmp_filter_ctx ctx = nullptr;
  struct Releaser {
    scmp_filter_ctx* ctx;
    ~Releaser() {
      if (*ctx) seccomp_release(*ctx);
    }
  } releaser{&ctx};
  RETURN_IF_ERROR(BuildFilter(caps, &ctx));
  base::UniqueFd memfd(::memfd_create("hull-seccomp", MFD_CLOEXEC));
  if (!memfd) return Status::Errno("memfd_create");
  if (int rc = seccomp_export_bpf(ctx, memfd.get()); rc < 0) {
    return Status::Error(std::string("compiling the seccomp filter: ") + std::strerror(-rc));
  }
  ASSIGN_OR_RETURN(std::string bytes, base::ReadFileToString("/proc/self/fd/" + std::to_string(memfd.get()), 1 << 20));
  ASSIGN_OR_RETURN(std::vector<sock_filter> program, ProgramFrom(bytes));
  if (!cached.empty() && (::mkdir(cache_dir.c_str(), 0700) == 0 || errno == EEXIST)) {
    std::string tmp = cached + ".tmp." + std::to_string(::getpid());
    if (auto fd = base::OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600); fd.ok() &&
        base::WriteFully(fd->get(), bytes.data(), bytes.size()).ok() && ::rename(tmp.c_str(), cached.c_str()) == 0) {
      return program;
    }
    ::unlink(tmp.c_str());
  }
  return program;
}

Status InstallSeccomp(const std::vector<sock_filter>& program) {
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
    return Status::Errno("installing the seccomp filter");
  }
  return Status::Ok();
}

nlohmann::json DefaultSeccompOciJson(CapSet caps) {
  using nlohmann::json;
  json syscalls = json::array();
  syscalls.push_back({{"names", AllowedNames(caps)}, {"action", "SCMP_ACT_ALLOW"}});
  if (!Has(caps, CAP_SYS_ADMIN)) {
    syscalls.push_back({{"names", {"clone"}}, {"action", "SCMP_ACT_ALLOW"},
                        {"args", {{{"index", 0}, {"value", kNamespaceCloneFlags}, {"valueTwo", 0},
                                   {"op", "SCMP_CMP_MASKED_EQ"}}}}});
    syscalls.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}});
  }
  for (uint64_t p : kPersonalities) {
    syscalls.push_back({{"names", {"personality"}}, {"action", "SCMP_ACT_ALLOW"},
                        {"args", {{{"index", 0}, {"value", p}, {"op", "SCMP_CMP_EQ"}}}}});
  }
  syscalls.push_back({{"names", {"socket"}}, {"action", "SCMP_ACT_ALLOW"},
                      {"args", {{{"index", 0}, {"value", kAfVsock}, {"op", "SCMP_CMP_NE"}}}}});
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", EPERM},
          {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
          {"syscalls", syscalls}};
}

}  // namespace hull::runtime::ns
