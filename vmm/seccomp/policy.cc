#include "vmm/seccomp/policy.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/ioctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

namespace hull::vmm::seccomp {
namespace {

// linux/kvm.h's numbers, spelled out here because only vmm/kvm includes that header:
// KVM_RUN = _IO(KVMIO, 0x80); KVM_IRQ_LINE = _IOW(KVMIO, 0x61, struct kvm_irq_level),
// a struct of 8 bytes. seccomp_unittest.cc pins the values.
constexpr unsigned kKvmIo = 0xAE;
constexpr uint64_t kKvmRun = _IO(kKvmIo, 0x80);
constexpr uint64_t kKvmIrqLine = _IOC(_IOC_WRITE, kKvmIo, 0x61, 8);

constexpr uint64_t kAll32 = 0xffffffffu;

SyscallRule Any(const char* name) { return {name, {}}; }
SyscallRule Ioctl(uint64_t request) { return {"ioctl", {{1, kAll32, request}}}; }

void Add(Policy& p, std::initializer_list<const char*> names) {
  for (const char* name : names) p.allow.push_back(Any(name));
}

// What every hull-vmm thread does once it runs: I/O on fds it already has, locks and
// condition variables, the allocator, clocks, logging to stderr, its own end.
void AddCommon(Policy& p) {
  Add(p, {"read", "write", "readv", "writev", "close", "futex", "rt_sigreturn",
          "rt_sigprocmask", "restart_syscall", "exit", "exit_group", "clock_gettime",
          "clock_nanosleep", "nanosleep", "gettimeofday", "gettid", "getpid", "sched_yield",
          "getrandom", "brk", "munmap", "madvise", "mremap", "lseek", "fstat", "poll", "ppoll",
          "epoll_wait", "epoll_pwait", "epoll_ctl",
          // glibc's malloc sizes its arenas by the CPUs a new thread may run on.
          "sched_getaffinity"});
  // Memory, but never executable memory.
  p.allow.push_back({"mmap", {{2, PROT_EXEC, 0}}});
  p.allow.push_back({"mprotect", {{2, PROT_EXEC, 0}}});
  // fstat(fd) is newfstatat(fd, "", buf, AT_EMPTY_PATH) in glibc: no path lookups.
  p.allow.push_back({"newfstatat", {{3, AT_EMPTY_PATH, AT_EMPTY_PATH}}});
  // Threads signal each other only to kick a vCPU out of KVM_RUN (vmm/cpu/vcpu.cc), or
  // themselves with SIGABRT in abort().
  p.allow.push_back({"tgkill", {{2, kAll32, static_cast<uint64_t>(SIGRTMIN + 1)}}});
  p.allow.push_back({"tgkill", {{2, kAll32, SIGABRT}}});
}

// Creating a thread (pthread_create: clone with CLONE_VM | CLONE_THREAD; never a new
// process) and what the new thread does before it installs its own filter.
void AddThreadStart(Policy& p) {
  constexpr uint64_t kThread = CLONE_VM | CLONE_THREAD;
  p.allow.push_back({"clone", {{0, kThread, kThread}}});
  p.enosys.push_back("clone3");
  Add(p, {"set_robust_list", "rseq"});
  p.allow.push_back({"prctl", {{0, kAll32, PR_SET_NO_NEW_PRIVS}}});
  p.allow.push_back({"seccomp", {{0, kAll32, SECCOMP_SET_MODE_FILTER}}});
}

// Serving sockets it listens on or holds: accepting, I/O, shutdown, non-blocking mode.
void AddSocketIo(Policy& p) {
  Add(p, {"accept", "accept4", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
          "getsockopt", "fcntl", "timerfd_settime", "timerfd_gettime"});
}

// Disk I/O on the image files a virtio-blk drive opened before boot.
void AddDiskIo(Policy& p) {
  Add(p, {"pread64", "pwrite64", "preadv", "pwritev", "fdatasync", "fsync", "fallocate"});
}

}  // namespace

const char* ThreadKindName(ThreadKind kind) {
  switch (kind) {
    case ThreadKind::kVcpu: return "vcpu";
    case ThreadKind::kDevice: return "device";
    case ThreadKind::kBlockWorker: return "blk";
    case ThreadKind::kApi: return "api";
    case ThreadKind::kMain: return "main";
  }
  return "?";
}

std::optional<ThreadKind> ParseThreadKind(std::string_view name) {
  for (ThreadKind kind : kAllThreadKinds) {
    if (name == ThreadKindName(kind)) return kind;
  }
  return std::nullopt;
}

Policy PolicyFor(ThreadKind kind) {
  Policy p;
  AddCommon(p);
  switch (kind) {
    case ThreadKind::kVcpu:
      p.allow.push_back(Ioctl(kKvmRun));
      p.allow.push_back(Ioctl(kKvmIrqLine));  // legacy devices' interrupts
      // Device activation and reset run inside MMIO exits: virtio-net tells the tap
      // the offloads the guest accepted; vsock disarms its timer; virtio-blk starts
      // its worker thread (which inherits this filter until it installs its own).
      p.allow.push_back(Ioctl(TUNSETOFFLOAD));
      Add(p, {"timerfd_settime"});
      AddThreadStart(p);
      // Stacked filters only narrow: a worker can do only what this filter allows too.
      AddDiskIo(p);
      break;
    case ThreadKind::kDevice:
      p.allow.push_back(Ioctl(kKvmIrqLine));  // where KVM refused an irqfd
      AddSocketIo(p);
      // vsock connects to the host's <uds_path>_<port>: Unix-domain sockets only.
      p.allow.push_back({"socket", {{0, kAll32, AF_UNIX}}});
      Add(p, {"connect"});
      break;
    case ThreadKind::kBlockWorker:
      AddDiskIo(p);
      p.allow.push_back(Ioctl(kKvmIrqLine));  // used-buffer interrupts without an irqfd
      Add(p, {"timerfd_settime"});            // the drive's rate limiter (on the vCPU list too)
      break;
    case ThreadKind::kApi:
      p.allow.push_back(Ioctl(FIONBIO));      // Boost.Asio's non-blocking mode
      p.allow.push_back(Ioctl(kKvmIrqLine));  // SendCtrlAltDel: the i8042's IRQ 1
      AddSocketIo(p);
      break;
    case ThreadKind::kMain:
      // Machine::Run: its terminal mode for the serial console on stdin (tcgetattr and
      // tcsetattr), then the end: device resets (as on the vCPU list) and interrupt lines.
      p.allow.push_back(Ioctl(TCGETS));
      p.allow.push_back(Ioctl(TCSETS));
      p.allow.push_back(Ioctl(TUNSETOFFLOAD));
      p.allow.push_back(Ioctl(kKvmIrqLine));
      Add(p, {"timerfd_settime"});
      // The vsock and API sockets are removed when the VM goes, after an lstat that
      // checks they are still the ones bound (a path lookup, but no open: nothing can be
      // read or written through it). Jailed, only the VM's own directory is writable.
      Add(p, {"newfstatat", "unlink"});
      break;
  }
  return p;
}

}  // namespace hull::vmm::seccomp
