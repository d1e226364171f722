// `hull run --runtime ns` end to end, compared with crun running the same image tree
// with the same settings (an OCI config from runtime/namespace/oci_bundle.h): what the
// process sees (identity, hostname, /proc/self/status capability and seccomp lines,
// mounts, rlimits, exit statuses), escape attempts, resource limits, signals, terminals,
// bad input, and that nothing (container directories, cgroups, processes) is left
// behind — also when `hull run` is killed halfway through a start.
// crun 1.8 refuses the hybrid cgroup layout, so it runs inside `unshare -m` after
// unmounting /sys/fs/cgroup/unified; hull runs as is.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "rootfs-builder/builtin_image.h"
#include "rootfs-builder/content_store.h"
#include "rootfs-builder/image_builder.h"
#include "rootfs-builder/local_sources.h"
#include "rootfs-builder/safe_path.h"
#include "runtime/namespace/cgroups.h"
#include "runtime/namespace/container_mounts.h"
#include "runtime/namespace/oci_bundle.h"
#include "tests/support/process.h"

namespace hull::runtime::ns {
namespace {

using hull::testing::ProcessResult;
using hull::testing::RunProcess;

constexpr const char* kImage = "hull-test/probe:latest";

// Settings given to both runtimes.
struct Opts {
  std::string hostname = "box";
  std::string user;
  std::vector<std::string> cap_add, cap_drop;
  bool privileged = false;
  bool unconfined = false;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool HaveProgram(const std::string& name) {
  return RunProcess({"/bin/sh", "-c", "command -v " + name}, 10).exit_status == 0;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  return names;
}

class NamespaceRuntime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    char tmpl[] = "/tmp/hull-ns-e2e-XXXXXX";
    if (!::mkdtemp(tmpl)) return;
    dir_ = tmpl;
    store_root_ = dir_ + "/store";
    cgroup_parent_ = "hull-test-" + std::to_string(::getpid());
    auto store = rootfs::ContentStore::Open(store_root_);
    if (!store.ok()) return;
    auto busybox = rootfs::EnsureBuiltinBusyboxImage(*store);
    if (!busybox.ok()) {
      setup_error_ = busybox.status().message();
      return;
    }
    // The test image: hull/busybox plus the static escape probe.
    std::string src = dir_ + "/src";
    auto tree_of = [&](const rootfs::ImageRecord& r) -> std::string {
      auto image = rootfs::ReadStoredImage(*store, r.manifest);
      if (!image.ok()) return "";
      auto out = rootfs::EnsureRootfs(*store, *image, false);
      return out.ok() ? out->tree : "";
    };
    RunProcess({"/bin/cp", "-a", tree_of(*busybox), src});
    RunProcess({"/bin/cp", ESCAPE_PROBE_PATH, src + "/bin/escape_probe"});
    std::ofstream(src + "/bin/not-executable") << "#!/bin/sh\necho hi\n";
    auto probe = rootfs::ImportRootfs(*store, src, kImage, false);
    if (!probe.ok()) {
      setup_error_ = probe.status().message();
      return;
    }
    tree_ = tree_of(*probe);
    // crun's bundle: a copy of the same tree (crun writes into its root directly).
    ::mkdir((dir_ + "/bundle").c_str(), 0755);
    RunProcess({"/bin/cp", "-a", tree_, dir_ + "/bundle/rootfs"});
  }
  static void TearDownTestSuite() {
    if (dir_.empty()) return;
    for (const char* c : {"memory", "cpu", "pids", "devices", ""}) {
      ::rmdir((std::string("/sys/fs/cgroup/") + c + (*c ? "/" : "") + cgroup_parent_).c_str());
    }
    (void)rootfs::RemoveTree(dir_);
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mounts, cgroups)";
    if (!setup_error_.empty() || tree_.empty()) GTEST_FAIL() << "set-up failed: " << setup_error_;
  }
  void TearDown() override {
    if (tree_.empty() || IsSkipped()) return;
    EXPECT_EQ(Leftovers(), "") << "something was left behind";
  }

  static std::vector<std::string> OptArgs(const Opts& o) {
    std::vector<std::string> a = {"--hostname", o.hostname};
    if (!o.user.empty()) a.insert(a.end(), {"-u", o.user});
    for (const auto& c : o.cap_add) a.insert(a.end(), {"--cap-add", c});
    for (const auto& c : o.cap_drop) a.insert(a.end(), {"--cap-drop", c});
    if (o.privileged) a.push_back("--privileged");
    if (o.unconfined) a.insert(a.end(), {"--security-opt", "seccomp=unconfined"});
    return a;
  }
  static std::vector<std::string> HullArgv(const std::vector<std::string>& flags,
                                           const std::vector<std::string>& cmd,
                                           const std::string& image = kImage) {
    std::vector<std::string> argv = {"/usr/bin/env", "HULL_CGROUP_PARENT=" + cgroup_parent_, HULL_CLI_PATH,
                                     "--root", store_root_, "run", "--runtime", "ns", "--rm"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(image);
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    return argv;
  }
  static ProcessResult Hull(const std::vector<std::string>& flags, const std::vector<std::string>& cmd,
                            const std::string& stdin_data = "") {
    return RunProcess(HullArgv(flags, cmd), 60, stdin_data);
  }
  static ProcessResult HullWith(const Opts& o, const std::vector<std::string>& cmd) {
    return Hull(OptArgs(o), cmd);
  }
  static ProcessResult Crun(const Opts& o, const std::vector<std::string>& cmd) {
    ContainerSpec spec;
    spec.user = o.user;
    spec.cap_add = o.cap_add;
    spec.cap_drop = o.cap_drop;
    spec.privileged = o.privileged;
    spec.seccomp_unconfined = o.unconfined;
    spec.args = cmd;
    auto process = ResolveProcess(spec, {}, o.hostname);
    EXPECT_TRUE(process.ok());
    auto config = MakeOciConfig(spec, *process, dir_ + "/bundle/rootfs", o.hostname);
    EXPECT_TRUE(config.ok()) << config.status().message();
    std::ofstream(dir_ + "/bundle/config.json") << config->dump();
    std::string id = "hull-test-" + std::to_string(::getpid()) + "-" + std::to_string(++crun_runs_);
    return RunProcess({"/usr/bin/unshare", "-m", "sh", "-c",
                       "umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root " + dir_ +
                           "/crun-state run --bundle " + dir_ + "/bundle " + id},
                      60);
  }
  static void NeedCrun() {
    if (!HaveProgram("crun") || !HaveProgram("unshare")) GTEST_SKIP() << "crun or unshare not installed";
  }

  // Container directories, cgroups and processes of this test's containers still there.
  static std::string Leftovers() {
    std::string out;
    for (const auto& n : ListDir(store_root_ + "/containers")) out += "container dir " + n + "; ";
    for (const char* c : {"memory", "cpu", "pids", "devices"}) {
      for (const auto& n : ListDir(std::string("/sys/fs/cgroup/") + c + "/" + cgroup_parent_)) {
        if (n.find('.') == std::string::npos && n != "tasks" && n != "notify_on_release") {
          out += std::string("cgroup ") + c + "/" + n + "; ";
        }
      }
    }
    return out;
  }

  static inline std::string dir_, store_root_, tree_, setup_error_, cgroup_parent_;
  static inline int crun_runs_ = 0;
};

// Lines of /proc/self/status that say what a process may do.
std::map<std::string, std::string> StatusLines(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    if (key.rfind("Cap", 0) == 0 || key == "NoNewPrivs" || key.rfind("Seccomp", 0) == 0) {
      std::string value = Trim(line.substr(colon + 1));
      out[key] = value.substr(value.find_first_not_of(" \t") == std::string::npos ? value.size() : value.find_first_not_of(" \t"));
    }
  }
  return out;
}

TEST_F(NamespaceRuntime, RunsACommandAndPassesItsExitStatus) {
  auto r = Hull({}, {"sh", "-c", "echo hello; exit 3"});
  EXPECT_EQ(r.exit_status, 3) << r.err;
  EXPECT_EQ(r.out, "hello\n");
}

TEST_F(NamespaceRuntime, SameIdentityAndHostnameAsCrun) {
  NeedCrun();
  for (const char* user : {"", "daemon", "1234:5678", "nobody:tty"}) {
    Opts o;
    o.user = user;
    std::vector<std::string> cmd = {"sh", "-c", "id; hostname; echo $HOME"};
    auto hull = HullWith(o, cmd);
    auto crun = Crun(o, cmd);
    ASSERT_EQ(hull.exit_status, 0) << user << ": " << hull.err;
    ASSERT_EQ(crun.exit_status, 0) << user << ": " << crun.err;
    EXPECT_EQ(hull.out, crun.out) << "user " << user;
  }
}

TEST_F(NamespaceRuntime, SameCapabilityAndSeccompLinesAsCrun) {
  NeedCrun();
  std::vector<Opts> cases(6);
  cases[1].cap_drop = {"NET_RAW"};
  cases[2].cap_add = {"SYS_ADMIN", "NET_ADMIN"};
  cases[3].privileged = true;
  cases[4].unconfined = true;
  cases[5].user = "daemon";
  for (const Opts& o : cases) {
    auto hull = HullWith(o, {"cat", "/proc/self/status"});
    auto crun = Crun(o, {"cat", "/proc/self/status"});
    ASSERT_EQ(hull.exit_status, 0) << hull.err;
    ASSERT_EQ(crun.exit_status, 0) << crun.err;
    auto h = StatusLines(hull.out), c = StatusLines(crun.out);
    EXPECT_EQ(h, c) << "privileged=" << o.privileged << " unconfined=" << o.unconfined
                    << " user=" << o.user;
    if (!o.privileged && !o.unconfined && o.user.empty() && o.cap_add.empty() && o.cap_drop.empty()) {
      auto version = DetectCgroupVersion("/sys/fs/cgroup");
      // Docker's default set; on v2 without MKNOD (no device filter there yet).
      EXPECT_EQ(h["CapEff"], version.ok() && *version == CgroupVersion::kV2 ? "00000000a00425fb"
                                                                            : "00000000a80425fb");
      EXPECT_EQ(h["NoNewPrivs"], "1");
      EXPECT_EQ(h["Seccomp"], "2");
    }
  }
}

// mountinfo: mount point → "fstype per-mount-options" for the mounts both runtimes make.
std::map<std::string, std::string> Mounts(const std::string& mountinfo) {
  std::map<std::string, std::string> out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, opts, field;
    f >> id >> parent >> dev >> root >> point >> opts;
    while (f >> field && field != "-") {}
    std::string type;
    f >> type;
    if (point == "/") continue;  // overlay under hull, a bind mount under crun
    opts = std::regex_replace(opts, std::regex(",?relatime"), "");
    // Masked files are bind mounts of /dev/null: the container's (tmpfs) under hull, the
    // host's (devtmpfs) under crun.
    if (root == "/null") type = "null";
    out[point] = type + " " + opts;
  }
  return out;
}

TEST_F(NamespaceRuntime, SameMountsAsCrunIncludingMaskedAndReadonlyPaths) {
  NeedCrun();
  auto hull = HullWith({}, {"cat", "/proc/self/mountinfo"});
  auto crun = Crun({}, {"cat", "/proc/self/mountinfo"});
  ASSERT_EQ(hull.exit_status, 0) << hull.err;
  ASSERT_EQ(crun.exit_status, 0) << crun.err;
  auto h = Mounts(hull.out), c = Mounts(crun.out);
  EXPECT_EQ(h, c) << "hull:\n" << hull.out << "crun:\n" << crun.out;
  EXPECT_EQ(h["/proc/sys"], "proc ro");
  EXPECT_EQ(h["/sys"].substr(0, 9), "sysfs ro,");
  EXPECT_TRUE(h.count("/dev/pts") && h.count("/dev/shm") && h.count("/dev/mqueue"));
}

TEST_F(NamespaceRuntime, SameRlimitsAsCrun) {
  NeedCrun();
  auto hull = HullWith({}, {"cat", "/proc/self/limits"});
  auto crun = Crun({}, {"cat", "/proc/self/limits"});
  ASSERT_EQ(hull.exit_status, 0) << hull.err;
  EXPECT_EQ(hull.out, crun.out);
  EXPECT_NE(hull.out.find("Max open files            1024"), std::string::npos) << hull.out;
}

TEST_F(NamespaceRuntime, SameExitStatusesAsCrun) {
  NeedCrun();
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"sh", "-c", "exit 0"}, {"sh", "-c", "exit 42"}, {"sh", "-c", "kill -TERM $$; sleep 1"},
           {"sh", "-c", "kill -KILL $$"}}) {
    auto hull = HullWith({}, cmd);
    auto crun = Crun({}, cmd);
    EXPECT_EQ(hull.exit_status, crun.exit_status) << cmd.back() << ": " << hull.err;
  }
}

// Without -t the container gets a session of its own, so a terminal hull run writes to is
// not its controlling terminal (no TIOCSTI into the user's shell).
TEST_F(NamespaceRuntime, SameSessionAndProcessGroupAsCrun) {
  NeedCrun();
  std::vector<std::string> cmd = {"sh", "-c", "cut -d' ' -f1,5,6 /proc/self/stat; cat /proc/1/stat | cut -d' ' -f5,6"};
  auto hull = HullWith({}, cmd);
  auto crun = Crun({}, cmd);
  ASSERT_EQ(hull.exit_status, 0) << hull.err;
  EXPECT_EQ(hull.out, crun.out);
  EXPECT_EQ(hull.out.substr(hull.out.find('\n') + 1), "1 1\n") << "PID 1 leads its own session";
}

TEST_F(NamespaceRuntime, DockersExitCodesForProgramsThatCannotRun) {
  auto missing = Hull({}, {"no-such-program"});
  EXPECT_EQ(missing.exit_status, 127);
  EXPECT_NE(missing.err.find("executable file not found in $PATH"), std::string::npos) << missing.err;
  auto missing_path = Hull({}, {"/bin/no-such-program"});
  EXPECT_EQ(missing_path.exit_status, 127) << missing_path.err;
  auto not_exec = Hull({}, {"/bin/not-executable"});
  EXPECT_EQ(not_exec.exit_status, 126);
  EXPECT_NE(not_exec.err.find("ermission denied"), std::string::npos) << not_exec.err;
  auto dir = Hull({}, {"/bin"});
  EXPECT_EQ(dir.exit_status, 126) << dir.err;
}

TEST_F(NamespaceRuntime, EscapeAttemptsAreDeniedAsUnderCrun) {
  NeedCrun();
  // A host process the container must not reach.
  pid_t host = ::fork();
  if (host == 0) {
    ::pause();
    ::_exit(0);
  }
  std::string pid = std::to_string(host);
  struct Case {
    std::vector<std::string> probe;
    Opts opts;
  };
  Opts no_raw;
  no_raw.cap_drop = {"NET_RAW"};
  std::vector<Case> cases = {
      {{"mount"}, {}}, {{"ptrace", pid}, {}}, {{"kill", pid}, {}}, {{"reboot"}, {}},
      {{"init_module"}, {}}, {{"sysctl"}, {}}, {{"unshare"}, {}}, {{"disk"}, {}},
      {{"raw_socket"}, no_raw},
  };
  for (const auto& c : cases) {
    std::vector<std::string> cmd = {"escape_probe"};
    cmd.insert(cmd.end(), c.probe.begin(), c.probe.end());
    auto hull = HullWith(c.opts, cmd);
    auto crun = Crun(c.opts, cmd);
    EXPECT_EQ(hull.exit_status, 1) << c.probe[0] << " was allowed: " << hull.out << hull.err;
    EXPECT_EQ(hull.out, crun.out) << c.probe[0];
  }
  // Docker's default set keeps NET_RAW: a raw socket works until it is dropped.
  EXPECT_EQ(Hull({}, {"escape_probe", "raw_socket"}).out, "ok\n");
  EXPECT_EQ(Hull({"--privileged"}, {"escape_probe", "unshare"}).out, "ok\n");
  ::kill(host, SIGKILL);
  ::waitpid(host, nullptr, 0);
}

TEST_F(NamespaceRuntime, EnvironmentWorkdirAndUserFlags) {
  auto r = Hull({"-e", "FOO=bar", "-w", "/work/dir", "-u", "daemon", "--hostname", "h1"},
                {"sh", "-c", "echo $FOO; pwd; echo $HOME; echo $PATH; echo $HOSTNAME; id -u"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "bar\n/work/dir\n/usr/sbin\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nh1\n1\n");
}

TEST_F(NamespaceRuntime, EtcHostnameAndHostsAsDockerWritesThem) {
  auto r = Hull({"--hostname", "web1"}, {"sh", "-c", "cat /etc/hostname; grep -c localhost /etc/hosts; ls /etc"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "web1\n2\ngroup\nhostname\nhosts\npasswd\n");
  auto host = Hull({"--network", "host"}, {"cat", "/etc/hosts"});
  EXPECT_EQ(host.out, *base::ReadFileToString("/etc/hosts"));
  // The image's tree is never written.
  struct stat st {};
  EXPECT_NE(::stat((tree_ + "/etc/hostname").c_str(), &st), 0);
}

TEST_F(NamespaceRuntime, NetworkNoneHasOnlyLoopbackAndHostSharesOurs) {
  auto none = Hull({}, {"ls", "/sys/class/net"});
  EXPECT_EQ(none.out, "lo\n") << none.err;
  auto ping = Hull({}, {"ping", "-c", "1", "-W", "2", "127.0.0.1"});
  EXPECT_EQ(ping.exit_status, 0) << "loopback is up: " << ping.out << ping.err;
  auto host = Hull({"--network", "host"}, {"ls", "/sys/class/net"});
  EXPECT_EQ(host.out, RunProcess({"/bin/ls", "/sys/class/net"}).out);
}

TEST_F(NamespaceRuntime, StdinOnlyWithInteractive) {
  EXPECT_EQ(Hull({"-i"}, {"cat"}, "piped in\n").out, "piped in\n");
  EXPECT_EQ(Hull({}, {"cat"}, "piped in\n").out, "");
}

TEST_F(NamespaceRuntime, TtyGivesAPseudoTerminalInsideTheContainer) {
  auto r = Hull({"-t"}, {"sh", "-c", "tty; echo $TERM"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "/dev/pts/0\r\nxterm\r\n");
}

TEST_F(NamespaceRuntime, OutOfMemoryIs137) {
  auto r = Hull({"--memory", "16m"}, {"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  EXPECT_EQ(r.exit_status, 137) << r.err;
  auto fits = Hull({"--memory", "64m"}, {"dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1"});
  EXPECT_EQ(fits.exit_status, 0) << fits.err;
}

TEST_F(NamespaceRuntime, PidsLimitStopsForks) {
  auto r = Hull({"--pids-limit", "4"},
                {"sh", "-c", "for i in 1 2 3 4 5 6; do sleep 3 & done; echo started"});
  EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.out << r.err;
}

TEST_F(NamespaceRuntime, LimitsLandInTheHostsCgroup) {
  auto version = DetectCgroupVersion("/sys/fs/cgroup");
  ASSERT_TRUE(version.ok());
  if (*version != CgroupVersion::kV1) GTEST_SKIP() << "reads v1 files; v2 is covered by cgroups_unittest";
  auto argv = HullArgv({"--memory", "48m", "--cpus", "0.5", "--pids-limit", "9"},
                       {"sleep", "3"});
  std::string flat;
  for (const auto& a : argv) flat += "'" + a + "' ";
  std::string script = flat + "& sleep 1; d=$(ls -d /sys/fs/cgroup/memory/" + cgroup_parent_ +
                       "/*/ | head -1); id=$(basename $d); "
                       "cat $d/memory.limit_in_bytes /sys/fs/cgroup/cpu/" + cgroup_parent_ +
                       "/$id/cpu.cfs_quota_us /sys/fs/cgroup/pids/" + cgroup_parent_ + "/$id/pids.max; wait";
  auto r = RunProcess({"/bin/sh", "-c", script}, 30);
  EXPECT_EQ(r.out, std::to_string(48 << 20) + "\n50000\n9\n") << r.err;
}

TEST_F(NamespaceRuntime, SignalsAreForwardedAndStopEndsWithSigkill) {
  auto trapped = hull::testing::RunProcessAndSignal(
      HullArgv({}, {"sh", "-c", "trap 'exit 7' TERM; sleep 30 & wait"}), SIGTERM, 1.0, 30);
  EXPECT_EQ(trapped.exit_status, 7) << trapped.err;
  // PID 1 ignores SIGTERM it has no handler for: after the grace period, SIGKILL.
  auto start = std::chrono::steady_clock::now();
  auto ignored = hull::testing::RunProcessAndSignal(HullArgv({"--stop-timeout", "1"}, {"sleep", "30"}),
                                                    SIGTERM, 1.0, 30);
  EXPECT_EQ(ignored.exit_status, 137) << ignored.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(NamespaceRuntime, BadInputGivesDockersCodeAndAClearMessage) {
  auto user = Hull({"-u", "nosuchuser"}, {"true"});
  EXPECT_EQ(user.exit_status, 125);
  EXPECT_NE(user.err.find("unable to find user nosuchuser"), std::string::npos) << user.err;
  auto cpus = Hull({"--cpus", "0.0001"}, {"true"});  // a 10 µs quota: the kernel refuses it
  EXPECT_EQ(cpus.exit_status, 125);
  EXPECT_NE(cpus.err.find("cpu"), std::string::npos) << cpus.err;
  auto cap = Hull({"--cap-add", "FLY"}, {"true"});
  EXPECT_EQ(cap.exit_status, 125);
  EXPECT_NE(cap.err.find("unknown capability"), std::string::npos) << cap.err;
  auto image = RunProcess(HullArgv({}, {"true"}, "no/such-image"));
  EXPECT_EQ(image.exit_status, 125);
  EXPECT_NE(image.err.find("Unable to find image"), std::string::npos) << image.err;
  auto flag = Hull({"--no-such-flag"}, {"true"});
  EXPECT_EQ(flag.exit_status, 125);
}

TEST_F(NamespaceRuntime, MissingImageTreeIsARuntimeError) {
  // An image whose tree and layer are both gone cannot be rebuilt.
  auto store = rootfs::ContentStore::Open(store_root_);
  ASSERT_TRUE(store.ok());
  std::string src = dir_ + "/lonely";
  ::mkdir(src.c_str(), 0755);
  RunProcess({"/bin/cp", "-a", tree_ + "/bin", src + "/bin"});
  auto record = rootfs::ImportRootfs(*store, src, "hull-test/lonely:latest", false);
  ASSERT_TRUE(record.ok()) << record.status().message();
  auto image = rootfs::ReadStoredImage(*store, record->manifest);
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE(rootfs::RemoveTree(store->RootfsDir(record->chain_id)).ok());
  ASSERT_EQ(::unlink(store->BlobPath(image->manifest.layers[0].digest).c_str()), 0);
  auto r = RunProcess(HullArgv({}, {"true"}, "hull-test/lonely:latest"));
  EXPECT_EQ(r.exit_status, 125) << r.out;
  EXPECT_FALSE(r.err.empty());
}

// The container's own first process killed while it is still setting up (or just after):
// hull run reports it and removes everything itself.
TEST_F(NamespaceRuntime, NothingLeftWhenTheContainerIsKilledDuringItsStart) {
  auto version = DetectCgroupVersion("/sys/fs/cgroup");
  ASSERT_TRUE(version.ok());
  std::string procs = *version == CgroupVersion::kV1
                          ? "/sys/fs/cgroup/pids/" + cgroup_parent_ + "/*/cgroup.procs"
                          : "/sys/fs/cgroup/" + cgroup_parent_ + "/*/cgroup.procs";
  std::string flat;
  for (const auto& a : HullArgv({}, {"sleep", "31339"})) flat += "'" + a + "' ";
  for (int delay_loops : {0, 5, 20}) {
    std::string script = flat + "& i=0; while [ $i -lt 2000 ]; do i=$((i+1)); [ $i -gt " +
                         std::to_string(delay_loops) + " ] || continue; "
                         "p=$(cat " + procs + " 2>/dev/null); [ -n \"$p\" ] && kill -9 $p && break; done; "
                         "wait $!; echo $?";
    auto r = RunProcess({"/bin/sh", "-c", script}, 60);
    std::string status = Trim(r.out);
    EXPECT_TRUE(status == "137" || status == "125") << "status " << status << ": " << r.err;
    EXPECT_EQ(Leftovers(), "") << "after a kill after " << delay_loops << " polls";
  }
}

TEST_F(NamespaceRuntime, NothingLeftWhenKilledHalfwayThroughStart) {
  // SIGTERM while starting: hull run cleans up at once.
  for (double delay : {0.0, 0.005, 0.02, 0.05}) {
    auto r = hull::testing::RunProcessAndSignal(HullArgv({}, {"sleep", "31337"}), SIGTERM, delay, 30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(Leftovers(), "") << "after SIGTERM at " << delay;
  }
  // SIGKILL: the container dies with it (parent-death signal); the next hull run sweeps
  // the directory and cgroup that nobody could remove.
  for (double delay : {0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.3}) {
    auto r = hull::testing::RunProcessAndSignal(HullArgv({}, {"sleep", "31338"}), SIGKILL, delay, 30);
    EXPECT_EQ(r.exit_status, 128 + SIGKILL);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto procs = RunProcess({"/bin/sh", "-c", "ps -eo args | grep -c '^sleep 3133[78]$'"});
  EXPECT_EQ(Trim(procs.out), "0") << "container processes outlived hull run";
  auto sweep = Hull({}, {"true"});
  EXPECT_EQ(sweep.exit_status, 0) << sweep.err;
}

}  // namespace
}  // namespace hull::runtime::ns
