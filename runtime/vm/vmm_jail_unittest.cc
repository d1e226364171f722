// The VMM's jail as the VM runner builds it, without a VM: `hull-vmm --jail`'s command
// line (checked by the jailer's own parser), the cgroup limits derived from the container,
// the files handed to the jail's user, and the clean-up of a jail left behind.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "jailer/jailer_args.h"
#include "runtime/vm/vmm_jail.h"

namespace hull::runtime::vm {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string t = fs::temp_directory_path().string() + "/vm-jail-unittest-XXXXXX";
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::vector<std::string> kVmmArgv = {"/opt/hull/hull-vmm", "--config", "/vm/vm.json",
                                           "--serial", "file:/vm/console.log"};

JailSettings FakeSettings() { return JailSettings(); }

std::vector<JailBind> FakeBinds() {
  return {{"/w/hull-vm-Ab12Cd/vm", "/vm", false}, {"/cache/vmlinux", "/kernel", true},
          {"/store/rootfs.ext4", "/image", true}, {"/data/vol.ext4", "/data/vol.ext4", false}};
}

TEST(VmmJail, LayoutIsInsideTheVmsWorkDirectory) {
  JailLayout l = JailLayoutFor("/w/hull-vm-Ab12Cd");
  EXPECT_EQ(l.id, "hull-vm-Ab12Cd");
  EXPECT_EQ(l.chroot_base, "/w/hull-vm-Ab12Cd/jail");
  EXPECT_EQ(l.dir, "/w/hull-vm-Ab12Cd/jail/hull-vmm/hull-vm-Ab12Cd");
  EXPECT_EQ(l.pid_file, "/w/hull-vm-Ab12Cd/jail/hull-vmm/hull-vm-Ab12Cd/hull-vmm.pid");
  EXPECT_TRUE(jailer::CheckId(l.id).ok());
}

TEST(VmmJail, LimitsFollowTheContainersMemoryAndCpus) {
  EXPECT_EQ(VmmMemoryLimitBytes(128), uint64_t{128 + 128 + 16} << 20);
  EXPECT_EQ(VmmMemoryLimitBytes(1024), uint64_t{1024 + 128 + 128} << 20);
  EXPECT_EQ(VmmCpuMax(0.5), "50000 100000");
  EXPECT_EQ(VmmCpuMax(2), "200000 100000");
  EXPECT_EQ(VmmCpuMax(0.001), "1000 100000");  // the jailer's smallest quota
}

TEST(VmmJail, JailedVmmArgvWithLimits) {
  JailSettings s = FakeSettings();
  s.limit_memory = true;
  s.cpus = 1.5;
  auto argv = JailedVmmArgv(s, JailLayoutFor("/w/hull-vm-Ab12Cd"), 256, FakeBinds(), kVmmArgv);
  std::vector<std::string> want = {
      "/opt/hull/hull-vmm", "--jail", "--no-supervisor", "--id", "hull-vm-Ab12Cd",
      "--uid", "64123", "--gid", "64123", "--chroot-base", "/w/hull-vm-Ab12Cd/jail",
      "--cgroup-root", "/sys/fs/cgroup",
      "--cgroup", "memory.max=" + std::to_string(uint64_t{256 + 128 + 32} << 20),
      "--cgroup", "cpu.max=150000 100000",
      "--bind", "/w/hull-vm-Ab12Cd/vm:/vm", "--bind", "/cache/vmlinux:/kernel:ro",
      "--bind", "/store/rootfs.ext4:/image:ro", "--bind", "/data/vol.ext4",
      "--", "--config", "/vm/vm.json", "--serial", "file:/vm/console.log"};
  EXPECT_EQ(argv, want);
}

// The VMM sees the VM's files at flat places of the jail, each made by one bind.
TEST(VmmJail, TheVmmSeesTheVmsFilesWhereTheJailBindsThem) {
  VmFiles f{.kernel = "/cache/k/vmlinux", .initramfs = "/w/vm-1/files/initramfs.cpio",
            .image_disk = "/store/img/disk.ext4", .writable_disk = "/w/vm-1/files/rw.ext4",
            .console_log = "/w/vm-1/files/console.log", .channel_socket = "/w/vm-1/files/hull.sock",
            .config_file = "/w/vm-1/files/vm.json"};
  VmShape shape{256, 1, false};
  shape.volume_disks = {{"data", "/srv/data.ext4", false}, {"ro", "/srv/ro.ext4", true}};
  JailedFiles j = JailedVmFiles("/w/vm-1/files/", f, shape);
  EXPECT_EQ(j.vmm_files.kernel, "/kernel");
  EXPECT_EQ(j.vmm_files.image_disk, "/image");
  EXPECT_EQ(j.vmm_files.initramfs, "/vm/initramfs.cpio");
  EXPECT_EQ(j.vmm_files.writable_disk, "/vm/rw.ext4") << "inside the VM's directory: no bind of its own";
  EXPECT_EQ(j.vmm_files.console_log, "/vm/console.log");
  EXPECT_EQ(j.vmm_files.channel_socket, "/vm/hull.sock");
  EXPECT_EQ(j.vmm_files.config_file, "/vm/vm.json");
  EXPECT_EQ(j.volume_paths, (std::vector<std::string>{"/volume-0", "/volume-1"}));
  ASSERT_EQ(j.binds.size(), 5u);
  EXPECT_EQ(j.binds[0].source, "/w/vm-1/files");
  EXPECT_EQ(j.binds[0].target, "/vm");
  EXPECT_FALSE(j.binds[0].read_only);
  EXPECT_EQ(j.binds[1].source, "/cache/k/vmlinux");
  EXPECT_EQ(j.binds[1].target, "/kernel");
  EXPECT_TRUE(j.binds[1].read_only);
  EXPECT_EQ(j.binds[3].target, "/volume-0");
  EXPECT_FALSE(j.binds[3].read_only);
  EXPECT_TRUE(j.binds[4].read_only);
  // A writable layer from elsewhere gets a bind of its own.
  f.writable_disk = "/elsewhere/rw.ext4";
  JailedFiles outside = JailedVmFiles("/w/vm-1/files", f, VmShape{256, 1, false});
  EXPECT_EQ(outside.vmm_files.writable_disk, "/rw");
  EXPECT_EQ(outside.binds.back().source, "/elsewhere/rw.ext4");
}

TEST(VmmJail, NoCgroupWithoutLimits) {
  auto argv = JailedVmmArgv(FakeSettings(), JailLayoutFor("/w/hull-vm-Ab12Cd"), 256,
                         FakeBinds(), kVmmArgv);
  for (const std::string& a : argv) {
    EXPECT_NE(a, "--cgroup");
    EXPECT_NE(a, "--cgroup-root");
  }
}

// What hull builds, the jail takes: everything after "--jail" passes the jailer's own
// parser in hull-vmm's mode.
TEST(VmmJail, TheJailerAcceptsTheCommandLine) {
  JailSettings s = FakeSettings();
  s.limit_memory = true;
  s.cpus = 0.5;
  s.uid = 4242;
  s.gid = 4343;
  auto argv = JailedVmmArgv(s, JailLayoutFor("/w/hull-vm-Ab12Cd"), 128, FakeBinds(), kVmmArgv);
  std::vector<const char*> c;
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[1], "--jail");
  for (size_t i = 1; i < argv.size(); ++i) c.push_back(argv[i].c_str());
  auto parsed = jailer::ParseJailerArgs(static_cast<int>(c.size()), c.data(), jailer::JailMode::kSelf);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->no_supervisor) << "hull starts it in a PID namespace of its own";
  EXPECT_EQ(parsed->uid, 4242u);
  EXPECT_EQ(parsed->gid, 4343u);
  EXPECT_EQ(parsed->cgroup.memory_bytes, int64_t{128 + 128 + 16} << 20);
  EXPECT_EQ(parsed->cgroup.cpu_quota_us, 50000);
  ASSERT_EQ(parsed->binds.size(), 4u);
  EXPECT_FALSE(parsed->binds[0].read_only);
  EXPECT_TRUE(parsed->binds[2].read_only);
  EXPECT_EQ(parsed->vmm_args, std::vector<std::string>(kVmmArgv.begin() + 1, kVmmArgv.end()));
  EXPECT_EQ(jailer::PathsFor(*parsed).dir, JailLayoutFor("/w/hull-vm-Ab12Cd").dir);
  EXPECT_EQ(jailer::PathsFor(*parsed).pid_file, JailLayoutFor("/w/hull-vm-Ab12Cd").pid_file);
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST(VmmJail, SettingsFromTheEnvironment) {
  {
    ScopedEnv uid("HULL_JAIL_UID", "5000");
    auto s = JailSettingsFromEnv({});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->uid, 5000u);
    EXPECT_EQ(s->gid, kDefaultJailGid);
    EXPECT_TRUE(s->enabled);
  }
  {
    ScopedEnv root("HULL_JAIL_UID", "0");
    EXPECT_FALSE(JailSettingsFromEnv({}).ok());
  }
  ScopedEnv off("HULL_NO_JAIL", "1");
  auto s = JailSettingsFromEnv({});
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->enabled);
}

// The VM's own files become the jail user's; a shared file it cannot read is refused
// (never chowned); a volume is lent for the VM's life and given back.
TEST(VmmJail, PrepareHandsTheVmsFilesToTheJailUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (chown)";
  TempDir t;
  std::string files_dir = t.path() + "/hull-vm-Ab12Cd/vm";
  fs::create_directories(files_dir);
  VmFiles files{t.path() + "/vmlinux", files_dir + "/initramfs.cpio", t.path() + "/rootfs.ext4",
                files_dir + "/rw.ext4", files_dir + "/console.log", files_dir + "/hull.sock",
                files_dir + "/vm.json"};
  for (const std::string& f : {files.kernel, files.initramfs, files.image_disk, files.writable_disk,
                               files.config_file, files_dir + "/hull.sock_1024", t.path() + "/vol.ext4"}) {
    std::ofstream(f) << "x";
    chmod(f.c_str(), 0644);
  }
  chmod((t.path() + "/vol.ext4").c_str(), 0600);
  VmShape shape;
  shape.volume_disks = {{"hullvol0", t.path() + "/vol.ext4", false}};
  JailSettings s;
  std::vector<std::string> vmm = {"/opt/hull/hull-vmm", "--config", files.config_file};
  {
    auto jail = PrepareJail(s, t.path() + "/hull-vm-Ab12Cd", files_dir, files,
                            files_dir + "/hull.sock_1024", shape, JailedVmFiles(files_dir, files, shape), vmm);
    ASSERT_TRUE(jail.ok()) << jail.status().message();
    struct stat st;
    for (const std::string& f : {files_dir, files.initramfs, files.writable_disk, files.config_file,
                                 files_dir + "/hull.sock_1024", t.path() + "/vol.ext4"}) {
      ASSERT_EQ(stat(f.c_str(), &st), 0);
      EXPECT_EQ(st.st_uid, kDefaultJailUid) << f;
    }
    ASSERT_EQ(stat(files.image_disk.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u) << "the shared image disk is never chowned";
    auto has = [&](const std::string& a) {
      return std::find(jail->argv.begin(), jail->argv.end(), a) != jail->argv.end();
    };
    EXPECT_TRUE(has(files_dir + ":/vm"));
    EXPECT_TRUE(has(files.image_disk + ":/image:ro"));
    EXPECT_TRUE(has(t.path() + "/vol.ext4:/volume-0"));
    for (const std::string& a : jail->argv)
      EXPECT_EQ(a.find("rw.ext4"), std::string::npos) << "inside the bound directory already: " << a;
  }
  struct stat st;
  ASSERT_EQ(stat((t.path() + "/vol.ext4").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the volume is given back when the VM is gone";

  chmod(files.image_disk.c_str(), 0600);
  auto refused = PrepareJail(s, t.path() + "/hull-vm-Ab12Cd", files_dir, files,
                             files_dir + "/hull.sock_1024", shape, JailedVmFiles(files_dir, files, shape), vmm);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--no-jail"), std::string::npos)
      << refused.status().message();
  ASSERT_EQ(stat(files.image_disk.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST(VmmJail, AJailersErrorLineIsFoundInTheVmmLog) {
  TempDir t;
  std::string log = t.path() + "/vmm.log";
  std::ofstream(log) << "something\nhull-vmm --jail: error: --bind /nope: No such file or directory\nusage\n";
  EXPECT_EQ(JailerError(log), "hull-vmm --jail: error: --bind /nope: No such file or directory");
  std::ofstream(log) << "something\nhull-jailer: error: --bind /nope: No such file or directory\nusage\n";
  EXPECT_EQ(JailerError(log), "hull-jailer: error: --bind /nope: No such file or directory");
  std::ofstream(log) << "hull-vmm: error: cannot read kernel\n";
  EXPECT_EQ(JailerError(log), "");
}

// A jail a killed hull left (its pid file naming a VMM long gone): the real hull-vmm
// --jail --cleanup removes it, as does the sweep of a stale VM directory.
TEST(VmmJail, ALeftJailIsCleanedUpWithTheJailer) {
  if (geteuid() != 0) GTEST_SKIP() << "hull-vmm --jail --cleanup needs root";
  TempDir t;
  std::string work = t.path() + "/hull-vm-Ab12Cd";
  JailLayout l = JailLayoutFor(work);
  fs::create_directories(l.dir);
  std::ofstream(l.pid_file) << "999999999\n";
  {
    JailCleanup cleanup(HULL_VMM_PATH, l, t.path() + "/no-cgroup-fs", /*has_cgroup=*/true);
  }
  EXPECT_FALSE(fs::exists(l.dir));
  fs::create_directories(l.dir);
  CleanUpStaleJail(work);
  EXPECT_FALSE(fs::exists(l.dir));
}

// Without a cgroup there is only hull's pid file to remove: no program runs for it.
TEST(VmmJail, AJailWithoutACgroupIsCleanedUpInProcess) {
  TempDir t;
  JailLayout l = JailLayoutFor(t.path() + "/hull-vm-Ab12Cd");
  ASSERT_TRUE(WriteJailPidFile(l, 12345).ok());
  EXPECT_EQ(*base::ReadFileToString(l.pid_file, 64), "12345\n");
  {
    JailCleanup cleanup("/nonexistent/hull-vmm", l, "/sys/fs/cgroup", /*has_cgroup=*/false);
  }
  EXPECT_FALSE(fs::exists(l.dir));
  EXPECT_TRUE(fs::exists(l.chroot_base + "/hull-vmm")) << "only the jail's own directory goes";
}

}  // namespace
}  // namespace hull::runtime::vm
