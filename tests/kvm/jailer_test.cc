// The jail end to end (jailer/, docs/hull-vmm.md "Jailer"), every way it is made: by
// hull-jailer exec'ing hull-vmm, by `hull-vmm --jail` around a clone of itself that its
// supervisor watches, and by `hull-vmm --jail --no-supervisor` around itself when
// started as PID 1 of a new PID namespace (what hull runs). A jailed hull-vmm boots the test guest, and while it runs the test looks at it from the host through
// /proc/<pid>: its uid/gid and capabilities, its PID namespace, its root (only what
// was bound), its mounts, fds, environment, cgroup and seccomp; and after it ends,
// that nothing is left. Needs root and KVM (the nested harness gives both).
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "devices/block/test_files.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

namespace fs = std::filesystem;
using devices::block::testing::TempDir;

constexpr int kUid = 4242;
constexpr int kJailerError = 250;

std::string JailerPath() { return EnvOr("HULL_JAILER", HULL_JAILER_DEFAULT); }

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of "Key:\t..." in a /proc status file, tabs as they are.
std::string StatusField(const std::string& status, const std::string& key) {
  size_t at = status.find("\n" + key + ":\t");
  if (at == std::string::npos) return "(missing)";
  at += key.size() + 3;
  return status.substr(at, status.find('\n', at) - at);
}

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.insert(e.path().filename());
  return names;
}

std::string TopDir(const std::string& path) { return path.substr(1, path.find('/', 1) - 1); }

// A cgroup hierarchy for the jail: the host's when /sys/fs/cgroup is one, else a cgroup2
// mounted for this test (the nested VM mounts none) and unmounted after it.
class CgroupRoot {
 public:
  explicit CgroupRoot(const std::string& scratch) {
    struct statfs st {};
    if (statfs("/sys/fs/cgroup", &st) == 0 &&
        (st.f_type == CGROUP2_SUPER_MAGIC || st.f_type == TMPFS_MAGIC)) {
      path_ = "/sys/fs/cgroup";
      return;
    }
    mkdir(scratch.c_str(), 0755);
    if (mount("cgroup2", scratch.c_str(), "cgroup2", 0, nullptr) == 0) {
      path_ = scratch;
      mounted_ = true;
    }
  }
  ~CgroupRoot() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

// How the jail is made: hull-jailer --exec-file hull-vmm, hull-vmm --jail, or
// hull-vmm --jail --no-supervisor in a new PID namespace.
enum class Maker { kJailer, kSelf, kSelfNoSupervisor };

struct Jail {
  explicit Jail(Maker m) : maker(m) {
    mkdir(shared.c_str(), 0700);
    EXPECT_EQ(chown(shared.c_str(), kUid, kUid), 0);
  }
  Maker maker;
  TempDir dir;
  std::string id = "jail-test-" + std::to_string(getpid());
  std::string base = dir.Path("jails");
  std::string shared = dir.Path("shared");  // the VM's socket directory, writable by kUid
  std::string jail_dir = base + "/hull-vmm/" + id;

  std::string cgroup_root = "/sys/fs/cgroup";  // as the jail was told

  // The command up to its first flag: hull-jailer, or hull-vmm --jail.
  std::vector<std::string> Command() const {
    if (maker == Maker::kJailer) return {JailerPath()};
    return {VmmPath(), "--jail"};
  }
  // Runs a jail's command line as its caller would: hull-vmm --jail --no-supervisor as
  // PID 1 of a new PID namespace, then that caller's part, --cleanup (which must
  // succeed). `started` hears the pid of the process started.
  ProcessResult Run(const std::vector<std::string>& args, double timeout, int signal = 0,
                    double signal_after = 0, std::function<void(pid_t)> started = {}) {
    ProcessResult r = RunProcessWith(args, {.timeout_seconds = timeout, .stdin_data = "",
                                            .signal = signal, .signal_after_seconds = signal_after,
                                            .new_pid_namespace = maker == Maker::kSelfNoSupervisor,
                                            .started = std::move(started)});
    if (maker == Maker::kSelfNoSupervisor) {
      ProcessResult cleaned = RunProcess(CleanupCommand(), 60);
      EXPECT_EQ(cleaned.exit_status, 0) << cleaned.err;
    }
    return r;
  }
  std::vector<std::string> CleanupCommand() const {
    std::vector<std::string> cleanup = Command();
    cleanup.insert(cleanup.end(), {"--cleanup", "--id", id, "--chroot-base", base, "--cgroup-root",
                                   cgroup_root});
    return cleanup;
  }
  std::vector<std::string> Args(std::vector<std::string> extra, std::vector<std::string> vmm) {
    std::vector<std::string> args = Command();
    if (maker == Maker::kJailer) args.insert(args.end(), {"--exec-file", VmmPath()});
    if (maker == Maker::kSelfNoSupervisor) args.push_back("--no-supervisor");
    args.insert(args.end(), {"--id", id, "--uid", std::to_string(kUid), "--gid", std::to_string(kUid),
                             "--chroot-base", base, "--bind", GuestElf() + ":ro", "--bind", shared});
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--");
    vmm.insert(vmm.begin(), {"--kernel", GuestElf(), "--memory", "32"});
    args.insert(args.end(), vmm.begin(), vmm.end());
    return args;
  }
  void ExpectNothingLeft() {
    EXPECT_FALSE(fs::exists(jail_dir)) << jail_dir;
  }
};

class JailedVmm : public ::testing::TestWithParam<Maker> {};

INSTANTIATE_TEST_SUITE_P(Makers, JailedVmm,
                         ::testing::Values(Maker::kJailer, Maker::kSelf, Maker::kSelfNoSupervisor),
                         [](const ::testing::TestParamInfo<Maker>& info) {
                           switch (info.param) {
                             case Maker::kJailer: return "HullJailer";
                             case Maker::kSelf: return "HullVmmJail";
                             case Maker::kSelfNoSupervisor: return "HullVmmJailNoSupervisor";
                           }
                           return "";
                         });

TEST_P(JailedVmm, BootsTheTestGuestAndLeavesNothing) {
  SKIP_WITHOUT_KVM();
  if (geteuid() != 0) GTEST_SKIP() << "hull-jailer needs root";
  Jail jail(GetParam());
  ProcessResult r = jail.Run(jail.Args({}, {"--cmdline", "hulltest.mode=hello"}), 120);
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("hello from the hull test guest"), std::string::npos) << r.out;
  jail.ExpectNothingLeft();
}

TEST_P(JailedVmm, IsConfinedWhileTheGuestRuns) {
  SKIP_WITHOUT_KVM();
  if (geteuid() != 0) GTEST_SKIP() << "hull-jailer needs root";
  Jail jail(GetParam());
  CgroupRoot cgroup(jail.dir.Path("cgroup"));
  if (cgroup.path().empty()) GTEST_SKIP() << "no cgroup hierarchy here and cgroup2 cannot be mounted";
  jail.cgroup_root = cgroup.path();
  // Another VM's disk on the same host, a descriptor and a variable the jailer inherits:
  // none of them may reach the VMM.
  std::string other_disk = jail.dir.Path("other-vm-disk.img");
  std::ofstream(other_disk) << "someone else's data";
  int leaked_fd = open(other_disk.c_str(), O_RDONLY);  // no O_CLOEXEC, on purpose
  ASSERT_GE(leaked_fd, 0);
  setenv("HULL_TEST_SECRET", "host-secret", 1);
  std::string sock = jail.shared + "/api.sock";
  std::vector<std::string> args = jail.Args(
      {"--cgroup", "pids.max=64", "--cgroup-root", cgroup.path(), "--resource-limit", "no-file=64"},
      {"--cmdline", "hulltest.mode=ticker", "--api-sock", sock});
  std::atomic<pid_t> started{0};
  auto run = std::async(std::launch::async, [&] {
    return jail.Run(args, 120, SIGTERM, 25, [&](pid_t pid) { started = pid; });
  });

  // The VMM's host pid: the process started, without a supervisor; else once the jailer
  // has written it. Then a vCPU thread under seccomp.
  std::string pid;
  std::string proc;
  bool seccomp_on_a_thread = false;
  for (int i = 0; i < 400 && !seccomp_on_a_thread; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (pid.empty() && GetParam() == Maker::kSelfNoSupervisor && started != 0) {
      pid = std::to_string(started.load());
    } else if (pid.empty()) {
      pid = ReadText(jail.jail_dir + "/hull-vmm.pid");
    }
    if (pid.empty()) continue;
    pid.erase(pid.find_last_not_of('\n') + 1);
    proc = "/proc/" + pid;
    for (const std::string& task : Entries(proc + "/task")) {
      if (StatusField(ReadText(proc + "/task/" + task + "/status"), "Seccomp") == "2") {
        seccomp_on_a_thread = true;
      }
    }
  }
  if (pid.empty()) {
    ProcessResult r = run.get();
    close(leaked_fd);
    FAIL() << "no pid file in " << jail.jail_dir << "; hull-jailer: " << r.exit_status << "\n"
           << r.out << r.err;
  }
  EXPECT_TRUE(seccomp_on_a_thread) << "no thread of the VMM has a seccomp filter";
  std::string status = ReadText(proc + "/status");
  std::string ids = std::to_string(kUid) + "\t" + std::to_string(kUid);
  EXPECT_EQ(StatusField(status, "Uid"), ids + "\t" + ids);
  EXPECT_EQ(StatusField(status, "Gid"), ids + "\t" + ids);
  EXPECT_EQ(StatusField(status, "Groups").find_first_not_of(" "), std::string::npos);  // none
  for (const char* caps : {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(StatusField(status, caps), "0000000000000000") << caps;
  }
  EXPECT_EQ(StatusField(status, "NoNewPrivs"), "1");
  EXPECT_EQ(StatusField(status, "NSpid"), pid + "\t1");  // PID 1 of its own namespace

  // Its root holds only what the jailer put there.
  std::string root = proc + "/root";
  // hull-vmm --jail runs from the image it was started with: no binary in its jail.
  std::set<std::string> expected = {"dev", "proc", TopDir(GuestElf()), TopDir(jail.shared)};
  if (GetParam() == Maker::kJailer) expected.insert("hull-vmm");
  EXPECT_EQ(Entries(root), expected);
  EXPECT_EQ(Entries(root + "/dev"), (std::set<std::string>{"kvm", "net"}));
  EXPECT_FALSE(fs::exists(root + "/etc/passwd"));
  EXPECT_FALSE(fs::exists(root + other_disk)) << "another VM's disk is visible in the jail";
  EXPECT_TRUE(fs::exists(root + GuestElf()));
  for (const std::string& name : Entries(root + "/proc")) {
    EXPECT_TRUE(name.find_first_not_of("0123456789") != std::string::npos || name == "1")
        << "/proc in the jail shows process " << name;
  }
  std::set<std::string> allowed_mounts = {"/", GuestElf(), jail.shared, "/proc"};
  if (GetParam() == Maker::kJailer) allowed_mounts.insert("/hull-vmm");
  std::istringstream mountinfo(ReadText(proc + "/mountinfo"));
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, source, mount_point;
    fields >> id >> parent >> dev >> source >> mount_point;
    EXPECT_TRUE(allowed_mounts.count(mount_point)) << "mounted in the jail: " << line;
  }
  EXPECT_TRUE(fs::exists(sock)) << "the API socket made in the jail is not in the bound directory";

  for (const std::string& fd : Entries(proc + "/fd")) {
    std::error_code ec;
    EXPECT_NE(fs::read_symlink(proc + "/fd/" + fd, ec).string(), other_disk) << "fd " << fd << " leaked";
  }
  std::string environ = ReadText(proc + "/environ");
  EXPECT_EQ(environ.find("HULL_TEST_SECRET"), std::string::npos);
  std::string limits = ReadText(proc + "/limits");
  size_t files = limits.find("Max open files");
  ASSERT_NE(files, std::string::npos) << limits;
  std::istringstream nofile(limits.substr(files + 14));
  std::string soft, hard;
  nofile >> soft >> hard;
  EXPECT_EQ(soft + " " + hard, "64 64");
  std::string cgroup_dir = cgroup.path() + "/hull-jailer/" + jail.id;
  EXPECT_NE(ReadText(proc + "/cgroup").find("/hull-jailer/" + jail.id), std::string::npos)
      << ReadText(proc + "/cgroup");
  EXPECT_EQ(ReadText(cgroup_dir + "/pids.max"), "64\n");

  // SIGTERM, forwarded by the supervisor if there is one: hull-vmm exits with 143.
  ProcessResult r = run.get();
  close(leaked_fd);
  unsetenv("HULL_TEST_SECRET");
  EXPECT_EQ(r.exit_status, 128 + SIGTERM) << r.out << r.err;
  jail.ExpectNothingLeft();
  EXPECT_FALSE(fs::exists(cgroup_dir)) << cgroup_dir;
  EXPECT_FALSE(fs::exists(sock));
}

TEST_P(JailedVmm, SecurityStopKillsTheJailerBySigsysAndCleansUp) {
  SKIP_WITHOUT_KVM();
  if (geteuid() != 0) GTEST_SKIP() << "hull-jailer needs root";
  Jail jail(GetParam());
  setenv("HULL_VMM_TEST_FORBIDDEN_SYSCALL", "vcpu", 1);  // passed through: a HULL_VMM_ name
  ProcessResult r = jail.Run(jail.Args({}, {"--cmdline", "hulltest.mode=hello"}), 120);
  unsetenv("HULL_VMM_TEST_FORBIDDEN_SYSCALL");
  EXPECT_EQ(r.exit_status, 128 + SIGSYS) << r.out << r.err;
  jail.ExpectNothingLeft();
}

TEST_P(JailedVmm, AJailThatCannotBeMadeIsAnErrorAndLeavesNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "hull-jailer needs root";
  Jail jail(GetParam());
  ProcessResult r = jail.Run(
      jail.Args({"--bind", jail.dir.Path("missing.img")}, {"--cmdline", "hulltest.mode=hello"}), 60);
  EXPECT_EQ(r.exit_status, kJailerError) << r.out << r.err;
  EXPECT_NE(r.err.find("missing.img"), std::string::npos) << r.err;
  jail.ExpectNothingLeft();
  // --no-supervisor keeps nothing on the host that a second jail could collide with.
  if (GetParam() == Maker::kSelfNoSupervisor) return;
  // The same id again, after a jail was left behind: refused until --cleanup.
  ASSERT_TRUE(fs::create_directories(jail.jail_dir));
  r = jail.Run(jail.Args({}, {"--cmdline", "hulltest.mode=hello"}), 60);
  EXPECT_EQ(r.exit_status, kJailerError);
  EXPECT_NE(r.err.find("--cleanup"), std::string::npos) << r.err;
  r = RunProcess(jail.CleanupCommand(), 60);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  jail.ExpectNothingLeft();
}

TEST(JailedVmmNoSupervisor, NeedsANewPidNamespace) {
  if (geteuid() != 0) GTEST_SKIP() << "hull-jailer needs root";
  Jail jail(Maker::kSelfNoSupervisor);
  // Started as an ordinary child, not as PID 1 of its own PID namespace.
  ProcessResult r = RunProcess(jail.Args({}, {"--cmdline", "hulltest.mode=hello"}), 60);
  EXPECT_EQ(r.exit_status, kJailerError) << r.out << r.err;
  EXPECT_NE(r.err.find("PID 1 of a new PID namespace"), std::string::npos) << r.err;
  jail.ExpectNothingLeft();
}

}  // namespace
}  // namespace hull::testing
