// The VM runtime's parts that need no VM: the initramfs, the VMM command lines, the
// backend decision, and RunVm's refusals of bad input (nothing left behind).
#include <archive.h>
#include <archive_entry.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "guest/spec.h"
#include "runtime/vm/backend.h"
#include "runtime/vm/initramfs.h"
#include "runtime/vm/vm_devices.h"
#include "runtime/vm/vm_files.h"
#include "runtime/vm/vm_runner.h"
#include "runtime/vm/vmm_command.h"

namespace hull::runtime::vm {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string t = std::filesystem::temp_directory_path().string() + "/vm-unittest-XXXXXX";
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  bool Empty() const { return std::filesystem::is_empty(path_); }

 private:
  std::string path_;
};

TEST(Initramfs, HoldsInitSpecAndConsoleAsNewcCpio) {
  TempDir dir;
  std::string init = dir.path() + "/init-binary";
  ASSERT_TRUE(WriteFile(init, std::string("\x7f" "ELF fake\0bytes", 15)).ok());
  std::string out = dir.path() + "/initramfs.cpio";
  ASSERT_TRUE(WriteInitramfs(out, init, "{\"args\":[\"true\"]}").ok());
  archive* a = archive_read_new();
  archive_read_support_format_cpio(a);
  ASSERT_EQ(archive_read_open_filename(a, out.c_str(), 4096), ARCHIVE_OK);
  std::map<std::string, std::pair<mode_t, std::string>> entries;
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
    if (!data.empty()) archive_read_data(a, data.data(), data.size());
    entries[archive_entry_pathname(e)] = {archive_entry_mode(e), data};
  }
  EXPECT_EQ(archive_format(a), ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);  // "newc"
  archive_read_free(a);
  ASSERT_TRUE(entries.count("init"));
  EXPECT_EQ(entries["init"].first, S_IFREG | 0755);
  EXPECT_EQ(entries["init"].second, std::string("\x7f" "ELF fake\0bytes", 15));
  EXPECT_EQ(entries["hull/spec.json"].second, "{\"args\":[\"true\"]}");
  EXPECT_TRUE(S_ISCHR(entries["dev/console"].first));
  EXPECT_TRUE(entries.count("mnt/root"));
}

TEST(VmmCommand, QemuIsMicrovmWithBothDisksAndTheSerialChannel) {
  VmFiles f{"/k/vmlinux", "/w/initramfs", "/img.ext4", "/w/rw.ext4", "/w/console", "/w/sock", ""};
  auto argv = QemuArgv("qemu-system-x86_64", false, f, {128, 2, false});
  std::string all;
  for (const auto& a : argv) all += a + " ";
  EXPECT_NE(all.find("-M microvm"), std::string::npos);
  EXPECT_NE(all.find("-accel tcg"), std::string::npos);
  EXPECT_NE(all.find("-m 128M"), std::string::npos);
  EXPECT_NE(all.find("-smp 2"), std::string::npos);
  EXPECT_NE(all.find("file=/img.ext4,format=raw,if=none,readonly=on"), std::string::npos);
  EXPECT_NE(all.find("file=/w/rw.ext4"), std::string::npos);
  EXPECT_NE(all.find("socket,id=hull,path=/w/sock"), std::string::npos);
  EXPECT_NE(all.find("virtserialport,chardev=hull,name=hull.0"), std::string::npos);
  EXPECT_EQ(all.find("netdev"), std::string::npos);
  auto kvm = QemuArgv("q", true, f, {128, 1, true});
  all.clear();
  for (const auto& a : kvm) all += a + " ";
  EXPECT_NE(all.find("-accel kvm"), std::string::npos);
  EXPECT_NE(all.find("virtio-net-device"), std::string::npos);
}

TEST(VmmCommand, HullVmmConfigHasDrivesAndVsock) {
  VmFiles f{"/k/vmlinux", "/w/initramfs", "/img.ext4", "/w/rw.ext4", "/w/console", "/w/v.sock", "/w/vm.json"};
  std::string json = HullVmmConfig(f, {256, 1, false});
  EXPECT_NE(json.find("\"is_read_only\": true"), std::string::npos);
  EXPECT_NE(json.find("\"uds_path\": \"/w/v.sock\""), std::string::npos);
  EXPECT_NE(json.find("\"mem_size_mib\": 256"), std::string::npos);
  auto argv = HullVmmArgv("/b/hull-vmm", f);
  EXPECT_EQ(argv[1], "--config");
  EXPECT_EQ(argv[2], "/w/vm.json");
  // The per-VM API (hulld's stats read GET /metrics) beside the vsock socket.
  ASSERT_EQ(argv.size(), 7u);
  EXPECT_EQ(argv[5], "--api-sock");
  EXPECT_EQ(argv[6], "/w/api.sock");
}

// hull-vmm checks its whole config before it opens /dev/kvm: the config hull writes
// must get past that check (and fail, on a host without KVM, only at /dev/kvm).
TEST(VmmCommand, HullVmmAcceptsTheConfigHullWrites) {
  TempDir dir;
  VmFiles f{dir.path() + "/vmlinux", dir.path() + "/initramfs", dir.path() + "/img",
            dir.path() + "/rw", dir.path() + "/console", dir.path() + "/v.sock",
            dir.path() + "/vm.json"};
  for (const auto& p : {f.kernel, f.initramfs, f.image_disk, f.writable_disk})
    ASSERT_TRUE(WriteFile(p, std::string(4096, '\0')).ok());
  ASSERT_TRUE(WriteFile(f.config_file, HullVmmConfig(f, {128, 1, false})).ok());
  std::string cmd;
  for (const auto& a : HullVmmArgv(HULL_VMM_PATH, f)) cmd += "'" + a + "' ";
  cmd += "--timeout 1 > " + dir.path() + "/out 2>&1";
  (void)std::system(cmd.c_str());
  auto out = base::ReadFileToString(dir.path() + "/out");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->find("config"), std::string::npos) << *out;
  EXPECT_EQ(out->find("drive"), std::string::npos) << *out;
  EXPECT_EQ(out->find("vsock"), std::string::npos) << *out;
  std::cout << "hull-vmm with hull's config: " << *out;
}

TEST(VmFiles, ASeccompKillOfTheVmmIsReportedAsASecurityStop) {
  int killed_by_sigsys = 0;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGSYS, SIG_DFL);
    raise(SIGSYS);
    _exit(0);
  }
  ASSERT_EQ(waitpid(child, &killed_by_sigsys, 0), child);
  ASSERT_TRUE(WIFSIGNALED(killed_by_sigsys));
  EXPECT_NE(DescribeWaitStatus(killed_by_sigsys).find("security stop"), std::string::npos);
  EXPECT_EQ(DescribeWaitStatus(9), "VMM killed by signal 9");
  EXPECT_EQ(DescribeWaitStatus(3 << 8), "VMM exit status 3");
}

TEST(Backend, HardwareSpeedPicksHullElseQemu) {
  HardwareVirt fast{true, true, 0.2, "fast"};
  HardwareVirt slow{true, false, 150, "slow"};
  HardwareVirt none{false, false, 0, "no /dev/kvm"};
  EXPECT_EQ(ChooseBackend(VmmKind::kAuto, fast)->vmm, VmmKind::kHull);
  auto q = ChooseBackend(VmmKind::kAuto, slow);
  EXPECT_EQ(q->vmm, VmmKind::kQemu);
  EXPECT_FALSE(q->kvm);
  EXPECT_EQ(q->Describe(), "qemu (TCG)");
  EXPECT_TRUE(ChooseBackend(VmmKind::kQemu, fast)->kvm);
  EXPECT_FALSE(ChooseBackend(VmmKind::kHull, none).ok());
  EXPECT_EQ(ChooseBackend(VmmKind::kHull, slow)->vmm, VmmKind::kHull);
  EXPECT_NE(ChooseBackend(VmmKind::kAuto, none)->reason.find("no /dev/kvm"), std::string::npos);
  EXPECT_FALSE(ParseVmmKind("firecracker").ok());
  EXPECT_EQ(*ParseVmmKind("qemu"), VmmKind::kQemu);
}

TEST(Backend, ProbeExplainsItsResult) {
  HardwareVirt hw = ProbeHardwareVirt();
  EXPECT_FALSE(hw.detail.empty());
  if (!hw.kvm_opens) EXPECT_FALSE(hw.hardware_speed);
  std::cout << "hardware virtualization probe: " << hw.detail << "\n";
}

TEST(VmmCommand, NicVolumeDisksAndSharesOnBothBackends) {
  VmFiles f{"/k/vmlinux", "/w/initramfs", "/img.ext4", "/w/rw.ext4", "/w/console", "/w/sock", ""};
  VmShape shape{128, 1, false};
  shape.nic = VmNic{"hulltap3", "02:42:0a:00:00:02"};
  shape.volume_disks = {{"hullvol0", "/v/data.ext4", true}};
  shape.shares = {{"hullvol1", "/srv/share", false}};
  std::string all;
  for (const auto& a : QemuArgv("q", false, f, shape)) all += a + " ";
  EXPECT_NE(all.find("-netdev tap,id=net0,ifname=hulltap3,script=no,downscript=no"), std::string::npos) << all;
  EXPECT_NE(all.find("virtio-net-device,netdev=net0,mac=02:42:0a:00:00:02"), std::string::npos);
  EXPECT_NE(all.find("id=hullvol0,file=/v/data.ext4,format=raw,if=none,readonly=on"), std::string::npos);
  EXPECT_NE(all.find("virtio-blk-device,drive=hullvol0,serial=hullvol0"), std::string::npos);
  EXPECT_NE(all.find("local,id=hullvol1,path=/srv/share,security_model=passthrough "), std::string::npos);
  EXPECT_NE(all.find("virtio-9p-device,fsdev=hullvol1,mount_tag=hullvol1"), std::string::npos);
  shape.shares.clear();
  std::string json = HullVmmConfig(f, shape);
  EXPECT_NE(json.find("\"host_dev_name\": \"hulltap3\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"guest_mac\": \"02:42:0a:00:00:02\""), std::string::npos);
  EXPECT_NE(json.find("\"drive_id\": \"hullvol0\""), std::string::npos);
}

TEST(VmDevices, TapInterfaceBecomesTheNicAndTheGuestsNetwork) {
  EXPECT_EQ(*MacForAddress("172.18.0.2/16"), "02:42:ac:12:00:02");
  EXPECT_FALSE(MacForAddress("fe80::1/64").ok());
  TapInterface t{"hulltap0", "", "10.1.2.3/24", "10.1.2.1", {"10.1.2.53"}, {"db:10.1.2.9"}};
  guest::GuestSpec spec;
  VmShape shape;
  ASSERT_TRUE(AttachNetwork(t, &spec, &shape).ok());
  EXPECT_EQ(shape.nic->tap, "hulltap0");
  EXPECT_EQ(shape.nic->mac, "02:42:0a:01:02:03");
  EXPECT_EQ(spec.network->interface, "eth0");
  EXPECT_EQ(spec.network->address, "10.1.2.3/24");
  EXPECT_EQ(spec.network->gateway, "10.1.2.1");
  EXPECT_EQ(spec.network->dns, std::vector<std::string>{"10.1.2.53"});
  EXPECT_EQ(spec.extra_hosts, std::vector<std::string>{"db:10.1.2.9"});
  guest::GuestSpec none;
  VmShape no_nic;
  ASSERT_TRUE(AttachNetwork(std::nullopt, &none, &no_nic).ok());
  EXPECT_FALSE(no_nic.nic || none.network);
  for (auto bad : {TapInterface{"", "", "10.0.0.2/24"}, TapInterface{"t,x", "", "10.0.0.2/24"},
                   TapInterface{"t", "", "10.0.0.2"}, TapInterface{"t", "", "10.0.0.2/33"},
                   TapInterface{"t", "", "10.0.0.2/24", "gw"},
                   TapInterface{"t", "", "10.0.0.2/24", "", {"dns"}},
                   TapInterface{"t", "", "10.0.0.2/24", "", {}, {"nocolon"}},
                   TapInterface{"t", "zz:zz", "10.0.0.2/24"}}) {
    guest::GuestSpec sp;
    VmShape sh;
    EXPECT_FALSE(AttachNetwork(bad, &sp, &sh).ok()) << bad.tap << " " << bad.address;
  }
}

TEST(VmDevices, VolumesAreDisksOrSharesAsTheBackendAllows) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.path() + "/disk.ext4", "x").ok());
  std::vector<VolumeSpec> volumes = {{dir.path() + "/disk.ext4", "/data", true},
                                     {dir.path(), "/share", false}};
  guest::GuestSpec spec;
  VmShape shape;
  ASSERT_TRUE(AttachVolumes(volumes, VmmKind::kQemu, &spec, &shape).ok());
  ASSERT_EQ(shape.volume_disks.size(), 1u);
  EXPECT_EQ(shape.volume_disks[0].id, "hullvol0");
  EXPECT_TRUE(shape.volume_disks[0].read_only);
  ASSERT_EQ(shape.shares.size(), 1u);
  EXPECT_EQ(shape.shares[0].tag, "hullvol1");
  ASSERT_EQ(spec.volumes.size(), 2u);
  EXPECT_EQ(spec.volumes[0].type, "blk");
  EXPECT_EQ(spec.volumes[1].type, "9p");
  EXPECT_EQ(spec.volumes[1].target, "/share");
  guest::GuestSpec hull_spec;
  VmShape hull_shape;
  auto refused = AttachVolumes(volumes, VmmKind::kHull, &hull_spec, &hull_shape);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("no virtio-9p device"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("ext4 image file"), std::string::npos);
  for (auto bad : {VolumeSpec{"/nonexistent", "/d"}, VolumeSpec{dir.path(), "rel"},
                   VolumeSpec{dir.path(), "/"}, VolumeSpec{"rel", "/d"},
                   VolumeSpec{"/dev/null", "/d"}}) {
    guest::GuestSpec sp;
    VmShape sh;
    EXPECT_FALSE(AttachVolumes({bad}, VmmKind::kQemu, &sp, &sh).ok()) << bad.host;
  }
}

TEST(VmFiles, StaleWorkDirsAreSweptLiveOnesKept) {
  TempDir root;
  auto live = WorkDir::Create(root.path());
  ASSERT_TRUE(live.ok());
  // A killed hull's directory: its lock file is there, nobody holds it.
  std::string stale = root.path() + "/hull-vm-stale1";
  ASSERT_TRUE(std::filesystem::create_directory(stale));
  ASSERT_TRUE(WriteFile(stale + "/lock", "").ok());
  ASSERT_TRUE(WriteFile(stale + "/rw.ext4", "data").ok());
  // A directory just made by mkdtemp, its lock not yet created: young, kept.
  std::string young = root.path() + "/hull-vm-young1";
  ASSERT_TRUE(std::filesystem::create_directory(young));
  std::string other = root.path() + "/not-a-vm";
  ASSERT_TRUE(std::filesystem::create_directory(other));
  EXPECT_EQ(SweepStaleWorkDirs(root.path()), 1);
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(live->path()));
  EXPECT_TRUE(std::filesystem::exists(young));
  EXPECT_TRUE(std::filesystem::exists(other));
  // Once its owner is gone, the live one is stale too.
  std::string path = live->path();
  { WorkDir gone = std::move(*live); }
  EXPECT_FALSE(std::filesystem::exists(path));  // removed by its owner on the way out
}

class RunVmRefuses : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.spec.args = {"true"};
    config_.work_root = work_.path();
    config_.image_disk = "/nonexistent.ext4";
  }
  void TearDown() override {
    unsetenv("HULL_GUEST_KERNEL_DIR");
    EXPECT_TRUE(work_.Empty()) << "RunVm left files behind in " << work_.path();
  }
  TempDir work_;
  VmConfig config_;
};

TEST_F(RunVmRefuses, TooLittleMemory) {
  config_.shape.memory_mib = 16;
  auto r = RunVm(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at least 64 MiB"), std::string::npos) << r.status().message();
}

TEST_F(RunVmRefuses, NoGuestKernelAndSaysHowToBuildIt) {
  setenv("HULL_GUEST_KERNEL_DIR", "/nonexistent/kernel", 1);
  auto r = RunVm(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("guest-kernel-config/build.sh"), std::string::npos)
      << r.status().message();
}

TEST_F(RunVmRefuses, MissingQemu) {
  TempDir kernel;
  ASSERT_TRUE(WriteFile(kernel.path() + "/vmlinux", "x").ok());
  ASSERT_TRUE(WriteFile(kernel.path() + "/bzImage", "x").ok());
  setenv("HULL_GUEST_KERNEL_DIR", kernel.path().c_str(), 1);
  config_.vmm = VmmKind::kQemu;
  config_.qemu = "/nonexistent/qemu-system-x86_64";
  auto r = RunVm(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not installed"), std::string::npos) << r.status().message();
}

TEST_F(RunVmRefuses, MissingImageDisk) {
  TempDir kernel;
  ASSERT_TRUE(WriteFile(kernel.path() + "/vmlinux", "x").ok());
  ASSERT_TRUE(WriteFile(kernel.path() + "/bzImage", "x").ok());
  setenv("HULL_GUEST_KERNEL_DIR", kernel.path().c_str(), 1);
  config_.vmm = VmmKind::kQemu;
  auto r = RunVm(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent.ext4"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace hull::runtime::vm
