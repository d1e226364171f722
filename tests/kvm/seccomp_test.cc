// hull-vmm's seccomp filters end to end (vmm/seccomp/thread_filters.h): a thread of each
// kind that makes a system call outside its allowlist kills hull-vmm by SIGSYS, seen
// here as status 159 (128 + 31), through the test-only hook
// HULL_VMM_TEST_FORBIDDEN_SYSCALL=<kind>; --no-seccomp lets the same run go on. That
// the guests of every other kvm test run to their end is the proof that the allowlists
// hold what hull-vmm needs: seccomp is on by default there too.
#include <signal.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "devices/block/test_files.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

using devices::block::testing::PatternBytes;
using devices::block::testing::TempDir;
using devices::block::testing::WriteFile;

constexpr int kSecurityStop = 128 + SIGSYS;

// Sets HULL_VMM_TEST_FORBIDDEN_SYSCALL for the hull-vmm started while it lives.
class ForbiddenSyscallIn {
 public:
  explicit ForbiddenSyscallIn(const char* kind) {
    setenv("HULL_VMM_TEST_FORBIDDEN_SYSCALL", kind, 1);
  }
  ~ForbiddenSyscallIn() { unsetenv("HULL_VMM_TEST_FORBIDDEN_SYSCALL"); }
};

// A VM whose guest drives a virtio-blk drive, so every kind of thread runs: API, the
// device event loop (virtio-rng is there too), the vCPU and the drive's worker.
struct EveryThreadVm {
  TempDir dir;
  std::vector<std::string> Args() {
    WriteFile(dir.Path("disk.img"), PatternBytes(1 << 20, 3));
    return {"--kernel", GuestElf(), "--cmdline", "hulltest.mode=blk", "--memory", "32",
            "--entropy", "--drive", "id=data,path=" + dir.Path("disk.img") + ",cache=writeback",
            "--api-sock", dir.Path("api.sock")};
  }
};

ProcessResult RunHullVmm(std::vector<std::string> args, bool seccomp) {
  if (!seccomp) args.push_back("--no-seccomp");
  return RunVmm(args);
}

void ExpectSecurityStop(const char* kind) {
  EveryThreadVm vm;
  ForbiddenSyscallIn hook(kind);
  ProcessResult r = RunHullVmm(vm.Args(), true);
  EXPECT_EQ(r.exit_status, kSecurityStop) << kind << "\n" << r.out << r.err;
  EXPECT_EQ(r.err.find("was allowed"), std::string::npos) << r.err;
}

TEST(VmmSeccomp, EveryThreadKindRunsTheGuestToItsEnd) {
  SKIP_WITHOUT_KVM();
  EveryThreadVm vm;
  ProcessResult r = RunHullVmm(vm.Args(), true);
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  EXPECT_EQ(ParseReport(r.out)["blk.compare"], "ok") << r.out;
  EXPECT_EQ(r.err.find("seccomp is OFF"), std::string::npos) << r.err;
}

TEST(VmmSeccomp, ForbiddenSyscallOnAVcpuThreadKillsTheVmm) {
  SKIP_WITHOUT_KVM();
  ExpectSecurityStop("vcpu");
}

TEST(VmmSeccomp, ForbiddenSyscallOnTheDeviceLoopKillsTheVmm) {
  SKIP_WITHOUT_KVM();
  ExpectSecurityStop("device");
}

TEST(VmmSeccomp, ForbiddenSyscallOnABlockWorkerKillsTheVmm) {
  SKIP_WITHOUT_KVM();
  ExpectSecurityStop("blk");
}

TEST(VmmSeccomp, ForbiddenSyscallOnTheApiThreadKillsTheVmm) {
  SKIP_WITHOUT_KVM();
  ExpectSecurityStop("api");
}

TEST(VmmSeccomp, ForbiddenSyscallOnTheMainThreadKillsTheVmm) {
  SKIP_WITHOUT_KVM();
  ExpectSecurityStop("main");
}

TEST(VmmSeccomp, NoSeccompLetsTheSameRunsGoOnAndSaysSoLoudly) {
  SKIP_WITHOUT_KVM();
  for (const char* kind : {"vcpu", "device", "blk", "api", "main"}) {
    EveryThreadVm vm;
    ForbiddenSyscallIn hook(kind);
    ProcessResult r = RunHullVmm(vm.Args(), false);
    EXPECT_EQ(r.exit_status, 0) << kind << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("WARNING: seccomp is OFF (--no-seccomp)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::string("the ") + kind + " thread called openat"), std::string::npos)
        << r.err;
  }
}

TEST(VmmSeccomp, UnknownHookKindIsAnError) {
  EveryThreadVm vm;
  ForbiddenSyscallIn hook("nope");
  ProcessResult r = RunHullVmm(vm.Args(), true);
  EXPECT_EQ(r.exit_status, 250) << r.err;
  EXPECT_NE(r.err.find("HULL_VMM_TEST_FORBIDDEN_SYSCALL=nope"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hull::testing
