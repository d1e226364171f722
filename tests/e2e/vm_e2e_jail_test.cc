// The hull backend's VMM in its jail (hull-vmm --jail), seen from the host while a `hull run` runs
// (runtime/vm/vmm_jail.h): the VMM runs as the jail's unprivileged user with no
// capabilities, no_new_privs and seccomp on its main thread, as PID 1 of its own PID
// namespace in its own mount namespace, in its own cgroup; --no-jail says so on stderr;
// a jail that cannot be made is one clear error and leaves nothing.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/unique_fd.h"
#include "runtime/vm/vmm_jail.h"
#include "tests/e2e/vm_e2e_fixture.h"
#include "tests/e2e/vm_e2e_support.h"

namespace hull::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The jailed VMM's host pid, from the jail's pid file once it appears ("" if it does not).
std::string FindJailedVmmPid(const std::string& tmp, double timeout_s) {
  auto end = Clock::now() + std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  while (Clock::now() < end) {
    std::error_code ec;
    for (const auto& vm : fs::directory_iterator(tmp, ec)) {
      std::error_code ec2;
      for (const auto& jail : fs::directory_iterator(vm.path() / "jail" / "hull-vmm", ec2)) {
        auto pid = base::ReadFileToString((jail.path() / "hull-vmm.pid").string(), 64);
        if (pid.ok() && !pid->empty()) return pid->substr(0, pid->find('\n'));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

std::string StatusField(const std::string& status, const std::string& name) {
  size_t at = status.find("\n" + name + ":\t");
  if (at == std::string::npos) return "";
  at += name.size() + 3;
  std::string value = status.substr(at, status.find('\n', at) - at);
  while (!value.empty() && value.back() == ' ') value.pop_back();  // "Groups:\t \n" when none
  return value;
}

std::string NamespaceOf(const std::string& pid, const char* kind) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + pid + "/ns/" + kind, ec).string();
}

// The jail is the hull backend's (hull-vmm): instantiated for it alone.
class VmJail : public VmE2e {};

TEST_P(VmJail, TheVmmRunsConfinedAsTheJailsUser) {
  std::string tmp = SharedStore().root + "/tmp";
  LiveProcess p(Argv({"--cpus", "0.5"}, {"sh", "-c", "echo ready; sleep 10; echo done"}));
  std::string pid = FindJailedVmmPid(tmp, kTimeout);
  ASSERT_FALSE(pid.empty()) << "no jailed VMM appeared: " << p.err();
  ASSERT_TRUE(p.WaitForStdout("ready", kTimeout)) << p.err();
  auto status = base::ReadFileToString("/proc/" + pid + "/status", 1 << 16);
  ASSERT_TRUE(status.ok()) << status.status().message();
  std::string id = std::to_string(runtime::vm::kDefaultJailUid);
  EXPECT_EQ(StatusField(*status, "Uid"), id + "\t" + id + "\t" + id + "\t" + id);
  std::string gid = std::to_string(runtime::vm::kDefaultJailGid);
  EXPECT_EQ(StatusField(*status, "Gid"), gid + "\t" + gid + "\t" + gid + "\t" + gid);
  EXPECT_EQ(StatusField(*status, "Groups"), "");
  EXPECT_EQ(StatusField(*status, "CapEff"), "0000000000000000");
  EXPECT_EQ(StatusField(*status, "CapPrm"), "0000000000000000");
  EXPECT_EQ(StatusField(*status, "CapBnd"), "0000000000000000");
  EXPECT_EQ(StatusField(*status, "NoNewPrivs"), "1");
  EXPECT_EQ(StatusField(*status, "Seccomp"), "2") << "the main thread runs under its filter";
  EXPECT_EQ(StatusField(*status, "NSpid"), pid + "\t1") << "PID 1 of its own PID namespace";
  EXPECT_NE(NamespaceOf(pid, "pid"), NamespaceOf("self", "pid"));
  EXPECT_NE(NamespaceOf(pid, "mnt"), NamespaceOf("self", "mnt"));
  EXPECT_EQ(NamespaceOf(pid, "net"), NamespaceOf("self", "net")) << "hull's (a tap's) namespace";
  // Its root holds the jail's entries only: no /etc, /usr or /tmp of the host's.
  std::error_code ec;
  EXPECT_FALSE(fs::exists("/proc/" + pid + "/root/etc", ec));
  EXPECT_FALSE(fs::exists("/proc/" + pid + "/root/usr", ec));
  EXPECT_TRUE(fs::exists("/proc/" + pid + "/root/dev/kvm", ec));
  if (fs::exists("/sys/fs/cgroup/cgroup.controllers")) {  // cgroup v2: --memory, --cpus
    auto cgroup = base::ReadFileToString("/proc/" + pid + "/cgroup", 4096);
    ASSERT_TRUE(cgroup.ok());
    size_t at = cgroup->find("::/hull-jailer/hull-vm-");
    ASSERT_NE(at, std::string::npos) << *cgroup;
    std::string dir = "/sys/fs/cgroup" + cgroup->substr(at + 2, cgroup->find('\n', at) - at - 2);
    auto cpu_max = base::ReadFileToString(dir + "/cpu.max", 64);
    EXPECT_EQ(cpu_max.ok() ? *cpu_max : "", "50000 100000\n");
    auto memory_max = base::ReadFileToString(dir + "/memory.max", 64);
    EXPECT_EQ(memory_max.ok() ? *memory_max : "",
              std::to_string(runtime::vm::VmmMemoryLimitBytes(128)) + "\n");
    EXPECT_EQ(p.Wait(kTimeout), 0) << p.err();
    EXPECT_FALSE(fs::exists(dir)) << "the VMM's cgroup outlived it";
  } else {
    std::printf("(no cgroup v2 at /sys/fs/cgroup: the VMM's cgroup is not checked)\n");
    EXPECT_EQ(p.Wait(kTimeout), 0) << p.err();
  }
  EXPECT_NE(p.out().find("done"), std::string::npos) << p.out() << p.err();
  EXPECT_EQ(p.err().find("jail is OFF"), std::string::npos) << p.err();
}

TEST_P(VmJail, NoJailRunsTheVmmWithoutItAndSaysSoLoudly) {
  auto r = testing::RunProcess(Argv({"--no-jail"}, {"echo", "unjailed"}), kTimeout);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "unjailed\n");
  EXPECT_NE(r.err.find("WARNING: the VMM's jail is OFF (--no-jail)"), std::string::npos) << r.err;
}

// A jail that cannot be made (here: its cgroup, under a cgroup root that is none):
// one error naming the jail, status 125, and nothing left (TearDown checks the rest).
TEST_P(VmJail, AJailThatCannotBeMadeIsOneClearError) {
  std::string bogus = SharedStore().root + "/not-a-cgroup-fs";
  fs::create_directories(bogus);
  setenv("HULL_CGROUP_ROOT", bogus.c_str(), 1);
  auto r = testing::RunProcess(Argv({}, {"true"}), kTimeout);
  unsetenv("HULL_CGROUP_ROOT");
  EXPECT_EQ(r.exit_status, 125) << r.err;
  EXPECT_NE(r.err.find("the VMM's jail could not be made: hull-vmm --jail: error:"), std::string::npos)
      << r.err;
  EXPECT_TRUE(fs::is_empty(bogus)) << "a cgroup directory was left in " << bogus;
  fs::remove_all(bogus);
}

INSTANTIATE_TEST_SUITE_P(Backends, VmJail, ::testing::Values("hull"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hull::e2e
