// hull-vmm's seccomp policies, compiled and installed for real in a forked child: what
// each thread kind needs goes through, what it must not do kills the process by
// SIGSYS, argument checks hold (ioctl numbers, PROT_EXEC, socket families, clone).
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <thread>

#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>

#include <gtest/gtest.h>

#include "vmm/seccomp/bpf.h"
#include "vmm/seccomp/policy.h"
#include "vmm/seccomp/programs.h"

namespace hull::vmm::seccomp {
namespace {

BpfProgram Program(ThreadKind kind) {
  base::Result<BpfProgram> program = Compile(PolicyFor(kind));
  EXPECT_TRUE(program.ok()) << program.status().message();
  return program.ok() ? *program : BpfProgram{};
}

// Runs `body` in a child under `kind`'s filter; the child exits with body's value.
// Returns the child's wait status.
int RunConfined(ThreadKind kind, const std::function<int()>& body) {
  BpfProgram program = Program(kind);
  pid_t pid = fork();
  if (pid == 0) {
    // As in hull-vmm, whose main thread starts threads before any filter is on: glibc
    // sets up its thread signals (rt_sigaction) on the first pthread_create.
    std::thread([] {}).join();
    if (!Install(program).ok()) _exit(99);
    _exit(body());
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return status;
}

bool KilledBySigsys(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }
bool ExitedWith(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

long OpenRoot() { return syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY); }

TEST(SeccompPolicy, EveryKindCompilesAndHasAName) {
  for (ThreadKind kind : kAllThreadKinds) {
    EXPECT_FALSE(Program(kind).empty()) << ThreadKindName(kind);
    EXPECT_EQ(ParseThreadKind(ThreadKindName(kind)), kind);
  }
  EXPECT_FALSE(ParseThreadKind("nope").has_value());
}

TEST(SeccompPolicy, PrebuiltProgramsAreTheCompiledPolicies) {
  for (ThreadKind kind : kAllThreadKinds) {
    BpfProgram compiled = Program(kind);
    std::span<const sock_filter> prebuilt = PrebuiltProgram(kind);
    ASSERT_EQ(prebuilt.size(), compiled.size()) << ThreadKindName(kind);
    for (size_t i = 0; i < compiled.size(); ++i) {
      EXPECT_EQ(prebuilt[i].code, compiled[i].code) << ThreadKindName(kind) << " " << i;
      EXPECT_EQ(prebuilt[i].jt, compiled[i].jt) << ThreadKindName(kind) << " " << i;
      EXPECT_EQ(prebuilt[i].jf, compiled[i].jf) << ThreadKindName(kind) << " " << i;
      EXPECT_EQ(prebuilt[i].k, compiled[i].k) << ThreadKindName(kind) << " " << i;
    }
  }
}

// A classic-BPF interpreter for what libseccomp emits (loads from seccomp_data, AND,
// conditional jumps, returns, the scratch memory): the verdict for one call and how many
// instructions it took, without installing anything.
struct Verdict {
  uint32_t action = 0;
  int instructions = 0;
};
Verdict Evaluate(const BpfProgram& program, int nr, std::initializer_list<uint64_t> args = {}) {
  seccomp_data data{};
  data.nr = nr;
  data.arch = AUDIT_ARCH_X86_64;
  size_t i = 0;
  for (uint64_t a : args) data.args[i++] = a;
  unsigned char bytes[sizeof data];
  std::memcpy(bytes, &data, sizeof data);
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  Verdict v;
  for (size_t pc = 0; pc < program.size() && v.instructions < 10000; ++v.instructions) {
    const sock_filter& f = program[pc];
    auto jump = [&](bool taken) { pc += 1 + (taken ? f.jt : f.jf); };
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS: std::memcpy(&a, bytes + f.k, 4); ++pc; break;
      case BPF_ALU | BPF_AND | BPF_K: a &= f.k; ++pc; break;
      case BPF_JMP | BPF_JEQ | BPF_K: jump(a == f.k); break;
      case BPF_JMP | BPF_JGT | BPF_K: jump(a > f.k); break;
      case BPF_JMP | BPF_JGE | BPF_K: jump(a >= f.k); break;
      case BPF_JMP | BPF_JSET | BPF_K: jump((a & f.k) != 0); break;
      case BPF_JMP | BPF_JA: pc += 1 + f.k; break;
      case BPF_ST: mem[f.k] = a; ++pc; break;
      case BPF_LD | BPF_MEM: a = mem[f.k]; ++pc; break;
      case BPF_LDX | BPF_MEM: x = mem[f.k]; ++pc; break;
      case BPF_MISC | BPF_TAX: x = a; ++pc; break;
      case BPF_MISC | BPF_TXA: a = x; ++pc; break;
      case BPF_RET | BPF_K: v.action = f.k; ++v.instructions; return v;
      default: ADD_FAILURE() << "instruction 0x" << std::hex << f.code << " not interpreted"; return v;
    }
  }
  ADD_FAILURE() << "the program ran off its end or looped";
  return v;
}

// The tree layout decides every call exactly as the linear one: all call numbers, with
// the arguments the policies test (ioctl numbers, PROT_EXEC, clone flags, ...).
TEST(SeccompPolicy, TreeLayoutDecidesAsTheLinearOne) {
  const uint64_t probes[] = {0, 1, KVM_RUN, KVM_IRQ_LINE, KVM_GET_REGS, PROT_READ | PROT_WRITE,
                             PROT_EXEC | PROT_READ, AF_UNIX, AF_INET, 0xffffffffu, 1ull << 32,
                             CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                 CLONE_SYSVSEM};
  for (ThreadKind kind : kAllThreadKinds) {
    base::Result<BpfProgram> tree = Compile(PolicyFor(kind), Layout::kTree);
    base::Result<BpfProgram> list = Compile(PolicyFor(kind), Layout::kList);
    ASSERT_TRUE(tree.ok() && list.ok()) << ThreadKindName(kind);
    for (int nr = 0; nr < 460; ++nr) {
      for (uint64_t p : probes) {
        for (int arg = 0; arg < 4; ++arg) {
          uint64_t args[4] = {0, 0, 0, 0};
          args[arg] = p;
          Verdict t = Evaluate(*tree, nr, {args[0], args[1], args[2], args[3]});
          Verdict l = Evaluate(*list, nr, {args[0], args[1], args[2], args[3]});
          ASSERT_EQ(t.action, l.action) << ThreadKindName(kind) << " nr " << nr << " arg" << arg
                                        << " = 0x" << std::hex << p;
        }
      }
    }
  }
}

// What every guest exit and drive request pays: the calls on the hot paths pass in few
// instructions (the linear layout took 62 for KVM_RUN, 30-54 for the others).
TEST(SeccompPolicy, HotCallsPassInFewInstructions) {
  BpfProgram vcpu = Program(ThreadKind::kVcpu);
  Verdict run = Evaluate(vcpu, SYS_ioctl, {3, KVM_RUN, 0});
  EXPECT_EQ(run.action, SECCOMP_RET_ALLOW);
  EXPECT_LE(run.instructions, 25);
  const std::pair<ThreadKind, std::vector<int>> hot[] = {
      {ThreadKind::kDevice, {SYS_epoll_wait, SYS_epoll_pwait, SYS_futex, SYS_read, SYS_write}},
      {ThreadKind::kBlockWorker, {SYS_pread64, SYS_pwrite64, SYS_preadv, SYS_pwritev, SYS_futex}}};
  for (const auto& [kind, calls] : hot) {
    BpfProgram program = Program(kind);
    for (int nr : calls) {
      Verdict v = Evaluate(program, nr);
      EXPECT_EQ(v.action, SECCOMP_RET_ALLOW) << ThreadKindName(kind) << " " << nr;
      EXPECT_LE(v.instructions, 20) << ThreadKindName(kind) << " system call " << nr;
    }
  }
  EXPECT_EQ(Evaluate(vcpu, SYS_openat).action, SECCOMP_RET_KILL_PROCESS);
}

TEST(SeccompPolicy, KvmIoctlNumbersAreLinuxs) {
  // KVM_RUN = _IO(0xAE, 0x80); KVM_IRQ_LINE = _IOW(0xAE, 0x61, struct kvm_irq_level).
  std::vector<uint64_t> requests;
  for (const SyscallRule& rule : PolicyFor(ThreadKind::kVcpu).allow) {
    if (rule.name == "ioctl") requests.push_back(rule.all_of.at(0).expected);
  }
  EXPECT_NE(std::find(requests.begin(), requests.end(), 0xAE80u), requests.end());
  EXPECT_NE(std::find(requests.begin(), requests.end(), 0x4008AE61u), requests.end());
}

TEST(SeccompFilter, EveryKindIsKilledForOpeningAFile) {
  for (ThreadKind kind : kAllThreadKinds) {
    EXPECT_TRUE(KilledBySigsys(RunConfined(kind, [] { return OpenRoot() >= 0 ? 1 : 2; })))
        << ThreadKindName(kind);
  }
}

TEST(SeccompFilter, EveryKindMayAllocateAndWriteButMakesNoPipes) {
  for (ThreadKind kind : kAllThreadKinds) {
    int status = RunConfined(kind, [] {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) != 0) return 3;
      return 0;
    });
    // pipe2 is not on any list: a thread makes no new fds of that kind.
    EXPECT_TRUE(KilledBySigsys(status)) << ThreadKindName(kind);
    status = RunConfined(kind, [] {
      void* p = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return 3;
      static_cast<char*>(p)[0] = 1;
      if (munmap(p, 1 << 20) != 0) return 4;
      if (write(STDERR_FILENO, "", 0) != 0) return 5;
      return getpid() > 0 ? 0 : 6;
    });
    EXPECT_TRUE(ExitedWith(status, 0)) << ThreadKindName(kind) << " status " << status;
  }
}

TEST(SeccompFilter, NoKindMayMapExecutableMemory) {
  for (ThreadKind kind : kAllThreadKinds) {
    EXPECT_TRUE(KilledBySigsys(RunConfined(kind, [] {
      void* p = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      return p == MAP_FAILED ? 1 : 2;
    }))) << ThreadKindName(kind);
    EXPECT_TRUE(KilledBySigsys(RunConfined(kind, [] {
      void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      return mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 ? 1 : 2;
    }))) << ThreadKindName(kind);
  }
}

TEST(SeccompFilter, VcpuMayRunKvmButNoOtherIoctl) {
  // On a bad fd the allowed request fails with EBADF instead of killing.
  int status = RunConfined(ThreadKind::kVcpu, [] {
    return ioctl(-1, 0xAE80, 0) < 0 && errno == EBADF ? 0 : 1;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << status;
  EXPECT_TRUE(KilledBySigsys(RunConfined(ThreadKind::kVcpu, [] {
    termios t{};
    return ioctl(STDIN_FILENO, TCGETS, &t) == 0 ? 1 : 2;
  })));
  // KVM_CREATE_VCPU = _IO(0xAE, 0x41): set-up is over once the filter is on.
  EXPECT_TRUE(KilledBySigsys(RunConfined(ThreadKind::kVcpu, [] { return ioctl(-1, 0xAE41, 0); })));
}

TEST(SeccompFilter, DeviceMayOpenUnixSocketsOnly) {
  int status = RunConfined(ThreadKind::kDevice, [] {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    return fd >= 0 ? 0 : 1;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << status;
  EXPECT_TRUE(KilledBySigsys(RunConfined(ThreadKind::kDevice, [] {
    return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 1 : 2;
  })));
  // The API thread only serves the socket it was given.
  EXPECT_TRUE(KilledBySigsys(RunConfined(ThreadKind::kApi, [] {
    return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 1 : 2;
  })));
}

TEST(SeccompFilter, VcpuStartsBlockWorkersThatNarrowTheirOwnFilter) {
  BpfProgram worker = Program(ThreadKind::kBlockWorker);
  int status = RunConfined(ThreadKind::kVcpu, [&] {
    int result = 1;
    std::thread thread([&] {
      if (!Install(worker).ok()) return;
      char byte;
      // pread on a bad fd: allowed (EBADF), and a worker may not make sockets.
      result = pread(-1, &byte, 1, 0) < 0 && errno == EBADF ? 0 : 2;
    });
    thread.join();
    return result;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << status;
  EXPECT_TRUE(KilledBySigsys(RunConfined(ThreadKind::kVcpu, [&] {
    std::thread thread([&] {
      if (!Install(worker).ok()) return;
      (void)ioctl(-1, 0xAE80, 0);  // KVM_RUN: the vCPU's, not the worker's
    });
    thread.join();
    return 0;
  })));
}

TEST(SeccompFilter, VcpuMayNotStartAProcess) {
  EXPECT_TRUE(KilledBySigsys(RunConfined(ThreadKind::kVcpu, [] {
    long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    return 1;
  })));
  // clone3 hides its flags from the filter: it answers ENOSYS so glibc uses clone.
  int status = RunConfined(ThreadKind::kVcpu, [] {
    return syscall(SYS_clone3, nullptr, 0) < 0 && errno == ENOSYS ? 0 : 1;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << status;
}

// The main thread, once the VM runs, removes its sockets at the end (lstat + unlink) but
// opens nothing, starts no thread and makes no socket.
TEST(SeccompFilter, MainMayRemoveItsSocketsButNotOpenOrStartThreads) {
  std::string path = ::testing::TempDir() + "/seccomp-main-unlink";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  int status = RunConfined(ThreadKind::kMain, [&] {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return 1;
    return unlink(path.c_str()) == 0 ? 0 : 2;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << status;
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_TRUE(KilledBySigsys(RunConfined(ThreadKind::kMain, [] {
    std::thread([] {}).join();
    return 0;
  })));
  EXPECT_TRUE(KilledBySigsys(RunConfined(ThreadKind::kMain, [] {
    return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 1 : 2;
  })));
}

}  // namespace
}  // namespace hull::vmm::seccomp
