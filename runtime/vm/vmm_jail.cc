#include "runtime/vm/vmm_jail.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "base/logging.h"
#include "base/unique_fd.h"
#include "rootfs-builder/subprocess.h"
#include "runtime/vm/vm_files.h"

namespace hull::runtime::vm {
namespace {

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

base::Result<uint32_t> IdFromEnv(const char* name, uint32_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  uint32_t value = 0;
  auto [end, err] = std::from_chars(text, text + std::strlen(text), value);
  if (err != std::errc() || *end != '\0' || value == 0 || value == 0xffffffffu)
    return base::Status::Error(std::string(name) + "=" + text +
                               ": give a decimal id other than 0 for the VMM's jail");
  return value;
}

// Whether the jail's user may read (and write) `st` by its mode bits alone.
bool ModeAllows(const struct stat& st, const JailSettings& s, bool writable) {
  mode_t want = writable ? 06 : 04;
  if (st.st_uid == s.uid) return ((st.st_mode >> 6) & want) == want;
  if (st.st_gid == s.gid) return ((st.st_mode >> 3) & want) == want;
  return (st.st_mode & want) == want;
}

}  // namespace

base::Result<JailSettings> JailSettingsFromEnv(JailSettings settings) {
  if (const char* off = std::getenv("HULL_NO_JAIL"); off && std::string(off) == "1")
    settings.enabled = false;
  ASSIGN_OR_RETURN(settings.uid, IdFromEnv("HULL_JAIL_UID", settings.uid));
  ASSIGN_OR_RETURN(settings.gid, IdFromEnv("HULL_JAIL_GID", settings.gid));
  if (const char* root = std::getenv("HULL_CGROUP_ROOT"); root && *root) settings.cgroup_root = root;
  return settings;
}

JailLayout JailLayoutFor(const std::string& work_dir) {
  JailLayout l;
  l.id = Basename(work_dir);
  l.chroot_base = work_dir + "/jail";
  std::string exec_name = "hull-vmm";
  l.dir = l.chroot_base + "/" + exec_name + "/" + l.id;
  l.pid_file = l.dir + "/" + exec_name + ".pid";
  return l;
}

uint64_t VmmMemoryLimitBytes(uint32_t guest_mib) {
  uint64_t mib = uint64_t{guest_mib} + kVmmOverheadMib + guest_mib / 8;
  return mib << 20;
}

std::string VmmCpuMax(double cpus) {
  constexpr int64_t kPeriodUs = 100000;
  int64_t quota = std::max<int64_t>(1000, std::llround(cpus * kPeriodUs));
  return std::to_string(quota) + " " + std::to_string(kPeriodUs);
}

std::vector<std::string> JailedVmmArgv(const JailSettings& s, const JailLayout& layout,
                                       uint32_t guest_mib, const std::vector<JailBind>& binds,
                                       const std::vector<std::string>& vmm_argv) {
  std::vector<std::string> argv = {
      vmm_argv.empty() ? "" : vmm_argv[0], "--jail", "--no-supervisor", "--id", layout.id,
      "--uid", std::to_string(s.uid), "--gid", std::to_string(s.gid),
      "--chroot-base", layout.chroot_base,
  };
  if (s.limit_memory || s.cpus > 0) {
    argv.insert(argv.end(), {"--cgroup-root", s.cgroup_root});
    if (s.limit_memory)
      argv.insert(argv.end(), {"--cgroup", "memory.max=" + std::to_string(VmmMemoryLimitBytes(guest_mib))});
    if (s.cpus > 0) argv.insert(argv.end(), {"--cgroup", "cpu.max=" + VmmCpuMax(s.cpus)});
  }
  for (const JailBind& b : binds) {
    std::string where = b.target == b.source ? "" : ":" + b.target;
    argv.insert(argv.end(), {"--bind", b.source + where + (b.read_only ? ":ro" : "")});
  }
  argv.push_back("--");
  if (!vmm_argv.empty()) argv.insert(argv.end(), vmm_argv.begin() + 1, vmm_argv.end());
  return argv;
}

base::Status GiveToJailUser(const std::string& path, const JailSettings& s) {
  if (lchown(path.c_str(), s.uid, s.gid) != 0)
    return base::Status::Errno("giving " + path + " to the VMM's user " + std::to_string(s.uid));
  return base::Status::Ok();
}

LentFile::LentFile(LentFile&& other) noexcept
    : path_(std::exchange(other.path_, std::string())), uid_(other.uid_), gid_(other.gid_) {}

LentFile::~LentFile() {
  if (path_.empty()) return;
  if (chown(path_.c_str(), uid_, gid_) != 0)
    LOG_WARNING << "vm: could not give " << path_ << " back to " << uid_ << ":" << gid_ << ": "
                << std::strerror(errno);
}

base::Result<LentFile> LentFile::Lend(const std::string& path, bool writable, bool may_chown,
                                      const JailSettings& s) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return base::Status::Errno(path);
  LentFile lent;
  if (ModeAllows(st, s, writable)) return lent;
  if (!may_chown)
    return base::Status::Error(path + " is not " + (writable ? "writable" : "readable") +
                               " by the VMM's jail user " + std::to_string(s.uid) +
                               " (make it so, or run with --no-jail)");
  if (chown(path.c_str(), s.uid, s.gid) != 0)
    return base::Status::Errno("lending " + path + " to the VMM's user " + std::to_string(s.uid));
  lent.path_ = path;
  lent.uid_ = st.st_uid;
  lent.gid_ = st.st_gid;
  mode_t want = writable ? 06 : 04;
  if (((st.st_mode >> 6) & want) != want)
    return base::Status::Error(path + ": its mode " + std::to_string(st.st_mode & 0777) +
                               " lets not even its owner " + (writable ? "write" : "read") + " it");
  return lent;
}

base::Status GiveTapToJailUser(const std::string& name, const JailSettings& s) {
  ASSIGN_OR_RETURN(base::UniqueFd tun, base::OpenFile("/dev/net/tun", O_RDWR | O_CLOEXEC));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl(tun.get(), TUNSETIFF, &ifr) != 0) return base::Status::Errno("attaching to tap " + name);
  if (ioctl(tun.get(), TUNSETOWNER, static_cast<unsigned long>(s.uid)) != 0 ||
      ioctl(tun.get(), TUNSETGROUP, static_cast<unsigned long>(s.gid)) != 0)
    return base::Status::Errno("giving tap " + name + " to the VMM's user " + std::to_string(s.uid));
  return base::Status::Ok();
}

std::string JailerError(const std::string& vmm_log) {
  auto text = base::ReadFileToString(vmm_log, 1 << 16);
  if (!text.ok()) return "";
  size_t at = text->find("hull-vmm --jail: error: ");
  if (at == std::string::npos) at = text->find("hull-jailer: error: ");
  if (at == std::string::npos) return "";
  size_t end = text->find('\n', at);
  return text->substr(at, end == std::string::npos ? std::string::npos : end - at);
}

JailedFiles JailedVmFiles(const std::string& files_dir, const VmFiles& files, const VmShape& shape) {
  JailedFiles j;
  auto normal = [](const std::string& path) {
    std::string p = std::filesystem::path(path).lexically_normal().string();
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
  };
  std::string dir = normal(files_dir);
  j.binds.push_back({dir, kJailVmDir, false});
  // A file of the VM's own directory: the same file under /vm.
  auto own = [&](const std::string& path) -> std::optional<std::string> {
    std::string p = normal(path);
    if (p.rfind(dir + "/", 0) != 0) return std::nullopt;
    return kJailVmDir + p.substr(dir.size());
  };
  // Any other file: bound on its own at `target`.
  auto view = [&](const std::string& path, const std::string& target, bool read_only) {
    if (std::optional<std::string> inside = own(path)) return *inside;
    j.binds.push_back({normal(path), target, read_only});
    return target;
  };
  j.vmm_files = files;
  j.vmm_files.kernel = view(files.kernel, "/kernel", true);
  j.vmm_files.image_disk = view(files.image_disk, "/image", true);
  j.vmm_files.writable_disk = view(files.writable_disk, "/rw", false);
  for (std::string* path : {&j.vmm_files.initramfs, &j.vmm_files.console_log,
                            &j.vmm_files.channel_socket, &j.vmm_files.config_file}) {
    *path = own(*path).value_or(*path);  // always the VM's own
  }
  for (size_t i = 0; i < shape.volume_disks.size(); ++i) {
    const VmVolumeDisk& d = shape.volume_disks[i];
    j.volume_paths.push_back(view(d.path, "/volume-" + std::to_string(i), d.read_only));
  }
  return j;
}

base::Result<PreparedJail> PrepareJail(const JailSettings& settings, const std::string& work_dir,
                                       const std::string& files_dir, const VmFiles& files,
                                       const std::string& listen_path, const VmShape& shape,
                                       const JailedFiles& in_jail,
                                       const std::vector<std::string>& vmm_argv) {
  PreparedJail jail;
  jail.settings = settings;
  const JailSettings& s = jail.settings;
  jail.layout = JailLayoutFor(work_dir);
  auto inside = [&](const std::string& path) { return path.rfind(files_dir + "/", 0) == 0; };
  // The VM's own files: the jail's user's, in a directory bound read-write (the VMM
  // makes its vsock socket and the console log there).
  RETURN_IF_ERROR(GiveToJailUser(files_dir, s));
  for (const std::string& own : {files.initramfs, files.config_file, listen_path})
    RETURN_IF_ERROR(GiveToJailUser(own, s));
  auto lend = [&](const std::string& path, bool writable, bool may_chown) -> base::Status {
    ASSIGN_OR_RETURN(LentFile lent, LentFile::Lend(path, writable, may_chown, s));
    jail.lent.push_back(std::move(lent));
    return base::Status::Ok();
  };
  RETURN_IF_ERROR(lend(files.kernel, false, false));
  RETURN_IF_ERROR(lend(files.image_disk, false, false));
  if (inside(files.writable_disk)) {
    RETURN_IF_ERROR(GiveToJailUser(files.writable_disk, s));
  } else {
    RETURN_IF_ERROR(lend(files.writable_disk, true, true));
  }
  for (const VmVolumeDisk& d : shape.volume_disks) RETURN_IF_ERROR(lend(d.path, !d.read_only, true));
  if (shape.nic) RETURN_IF_ERROR(GiveTapToJailUser(shape.nic->tap, s));
  std::vector<std::string> vmm = vmm_argv;
  vmm[0] = std::filesystem::absolute(vmm[0]).lexically_normal().string();
  jail.argv = JailedVmmArgv(s, jail.layout, shape.memory_mib, in_jail.binds, vmm);
  return jail;
}

base::Status WriteJailPidFile(const JailLayout& layout, pid_t pid) {
  std::error_code ec;
  std::filesystem::create_directories(layout.dir, ec);
  if (ec) return base::Status::Error("making " + layout.dir + ": " + ec.message());
  return WriteFile(layout.pid_file, std::to_string(pid) + "\n");
}

JailCleanup::~JailCleanup() {
  if (hull_vmm_.empty()) return;
  std::error_code ec;
  if (!has_cgroup_) {
    std::filesystem::remove(layout_.pid_file, ec);
    std::filesystem::remove(layout_.dir, ec);
    return;
  }
  base::Status s = rootfs::RunProgram({hull_vmm_, "--jail", "--cleanup", "--id", layout_.id,
                                       "--chroot-base", layout_.chroot_base, "--cgroup-root",
                                       cgroup_root_});
  if (!s.ok()) LOG_WARNING << "vm: cleaning up the VMM's jail: " << s.message();
}

void CleanUpStaleJail(const std::string& work_dir) {
  std::error_code ec;
  for (const auto& exec : std::filesystem::directory_iterator(work_dir + "/jail", ec)) {
    std::error_code ec2;
    for (const auto& id : std::filesystem::directory_iterator(exec.path(), ec2)) {
      JailLayout layout{id.path().filename().string(), work_dir + "/jail", id.path().string(), ""};
      std::string cgroup_root = "/sys/fs/cgroup";
      if (const char* root = std::getenv("HULL_CGROUP_ROOT"); root && *root) cgroup_root = root;
      JailCleanup cleanup(HULL_VMM_DEFAULT_PATH, layout, cgroup_root, /*has_cgroup=*/true);
    }
  }
}

}  // namespace hull::runtime::vm
