#include "runtime/namespace/container_mounts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace hull::runtime::ns {

using base::Status;

namespace {

Status Mount(const char* source, const std::string& target, const char* type,
             unsigned long flags, const std::string& data = "") {
  if (::mount(source, target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0) {
    return Status::Errno(std::string("mounting ") + (type ? type : source) + " on " + target);
  }
  return Status::Ok();
}

Status MkdirAll(const std::string& path, mode_t mode = 0755) {
  std::string cur;
  for (size_t pos = 1; pos != std::string::npos;) {
    size_t next = path.find('/', pos);
    cur = path.substr(0, next);
    pos = next == std::string::npos ? next : next + 1;
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return Status::Errno("mkdir " + cur);
  }
  return Status::Ok();
}

Status SetUpDev() {
  RETURN_IF_ERROR(MkdirAll("/dev"));
  RETURN_IF_ERROR(Mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"));
  struct Node {
    const char* name;
    unsigned major, minor;
  };
  for (const Node& n : {Node{"null", 1, 3}, Node{"zero", 1, 5}, Node{"full", 1, 7},
                        Node{"random", 1, 8}, Node{"urandom", 1, 9}, Node{"tty", 5, 0}}) {
    std::string path = std::string("/dev/") + n.name;
    if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(n.major, n.minor)) != 0) {
      return Status::Errno("mknod " + path);
    }
    if (::chmod(path.c_str(), 0666) != 0) return Status::Errno("chmod " + path);  // umask
  }
  for (auto [link, target] : {std::pair{"/dev/fd", "/proc/self/fd"}, {"/dev/stdin", "/proc/self/fd/0"},
                              {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"},
                              {"/dev/ptmx", "pts/ptmx"}, {"/dev/core", "/proc/kcore"}}) {
    if (::symlink(target, link) != 0) return Status::Errno(std::string("symlink ") + link);
  }
  RETURN_IF_ERROR(MkdirAll("/dev/pts"));
  RETURN_IF_ERROR(Mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                        "newinstance,ptmxmode=0666,mode=0620,gid=5"));
  RETURN_IF_ERROR(MkdirAll("/dev/shm"));
  RETURN_IF_ERROR(Mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "mode=1777,size=65536k"));
  RETURN_IF_ERROR(MkdirAll("/dev/mqueue"));
  return Mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

Status MaskPath(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Status::Ok();  // nothing to hide
  if (S_ISDIR(st.st_mode)) return Mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0");
  RETURN_IF_ERROR(Mount("/dev/null", path, nullptr, MS_BIND));
  return Mount("/dev/null", path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY);
}

Status MakeReadonly(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Status::Ok();
  RETURN_IF_ERROR(Mount(path.c_str(), path, nullptr, MS_BIND | MS_REC));
  return Mount(path.c_str(), path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY);
}

// A volume's host tree, cloned and detached before pivot_root (while the host's paths
// are still reachable), waiting to be attached inside the new root.
struct DetachedVolume {
  base::UniqueFd tree;
  bool directory = true;
  std::string container;
};

base::Result<std::vector<DetachedVolume>> CloneVolumes(const std::vector<VolumeSpec>& volumes) {
  std::vector<DetachedVolume> out;
  for (const VolumeSpec& v : volumes) {
    DetachedVolume d;
    d.container = v.container;
    d.tree = base::UniqueFd(::open_tree(AT_FDCWD, v.host.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!d.tree) return Status::Errno("cloning volume source " + v.host);
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (v.read_only ? MOUNT_ATTR_RDONLY : 0);
    attr.propagation = MS_PRIVATE;
    if (::mount_setattr(d.tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
      return Status::Errno("setting the options of volume " + v.host);
    }
    struct stat st {};
    if (::fstat(d.tree.get(), &st) != 0) return Status::Errno("stat " + v.host);
    d.directory = S_ISDIR(st.st_mode);
    out.push_back(std::move(d));
  }
  return out;
}

// openat2 below `root` with every symlink and ".." kept inside it.
base::Result<base::UniqueFd> OpenInRoot(int root, const std::string& path, uint64_t flags, uint64_t mode = 0) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string relative = path.substr(path.find_first_not_of('/'));
  int fd = static_cast<int>(::syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how));
  if (fd < 0) return Status::Errno("opening " + path + " in the container");
  return base::UniqueFd(fd);
}

// After pivot_root: the container path (created if missing) gets the volume's tree.
Status AttachVolume(const DetachedVolume& v) {
  if (v.container.empty() || v.container[0] != '/' || v.container.find_first_not_of('/') == std::string::npos) {
    return Status::Error("invalid volume destination \"" + v.container + "\": must be an absolute path other than /");
  }
  ASSIGN_OR_RETURN(base::UniqueFd root, base::OpenFile("/", O_PATH | O_DIRECTORY));
  base::UniqueFd target;
  if (v.directory) {
    RETURN_IF_ERROR(MkdirAll(v.container));  // resolves inside the new root: it is "/"
    ASSIGN_OR_RETURN(target, OpenInRoot(root.get(), v.container, O_PATH | O_DIRECTORY));
  } else {
    std::string parent = v.container.substr(0, v.container.find_last_of('/'));
    if (!parent.empty()) RETURN_IF_ERROR(MkdirAll(parent));
    ASSIGN_OR_RETURN(target, OpenInRoot(root.get(), v.container, O_RDONLY | O_CREAT | O_NOCTTY, 0644));
  }
  if (::move_mount(v.tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return Status::Errno("mounting a volume on " + v.container);
  }
  return Status::Ok();
}

}  // namespace

Status PrepareVolumeSources(const std::vector<VolumeSpec>& volumes) {
  for (const VolumeSpec& v : volumes) {
    if (v.host.empty() || v.host[0] != '/') return Status::Error("volume source must be an absolute path: " + v.host);
    struct stat st {};
    if (::stat(v.host.c_str(), &st) == 0) continue;
    if (errno != ENOENT) return Status::Errno("stat " + v.host);
    RETURN_IF_ERROR(MkdirAll(v.host));
  }
  return Status::Ok();
}

const std::vector<std::string>& MaskedPaths() {
  static const std::vector<std::string> paths = {
      "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
      "/sys/firmware", "/sys/devices/virtual/powercap"};
  return paths;
}

const std::vector<std::string>& ReadonlyPaths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq",
                                                 "/proc/sys", "/proc/sysrq-trigger"};
  return paths;
}

Status SetUpRootfs(const RootfsPlan& plan) {
  for (const auto* p : {&plan.lower, &plan.upper, &plan.work}) {
    if (p->find_first_of(",:\\") != std::string::npos) {
      return Status::Error("overlay directory has a ',', ':' or '\\' in its path: " + *p);
    }
  }
  ASSIGN_OR_RETURN(std::vector<DetachedVolume> volumes, CloneVolumes(plan.volumes));
  std::string options = "lowerdir=" + plan.lower + ",upperdir=" + plan.upper + ",workdir=" + plan.work;
  RETURN_IF_ERROR(Mount("overlay", plan.target, "overlay", plan.nodev_rootfs ? MS_NODEV : 0, options));
  if (::chdir(plan.target.c_str()) != 0) return Status::Errno("chdir " + plan.target);
  // pivot_root(".", "."): the old root ends up stacked on "."; detaching it leaves only
  // the container's tree (runc's way, which needs no directory for the old root).
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return Status::Errno("pivot_root");
  if (::umount2(".", MNT_DETACH) != 0) return Status::Errno("detaching the old root");
  if (::chdir("/") != 0) return Status::Errno("chdir /");

  RETURN_IF_ERROR(MkdirAll("/proc"));
  RETURN_IF_ERROR(Mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV));
  RETURN_IF_ERROR(SetUpDev());
  RETURN_IF_ERROR(MkdirAll("/sys"));
  RETURN_IF_ERROR(Mount("sysfs", "/sys", "sysfs",
                        MS_NOSUID | MS_NOEXEC | MS_NODEV | (plan.privileged ? 0 : MS_RDONLY)));
  if (plan.cgroup2) {
    RETURN_IF_ERROR(Mount("cgroup", "/sys/fs/cgroup", "cgroup2",
                          MS_NOSUID | MS_NOEXEC | MS_NODEV | (plan.privileged ? 0 : MS_RDONLY)));
  }
  for (const auto& v : volumes) RETURN_IF_ERROR(AttachVolume(v));
  if (plan.privileged) return Status::Ok();
  for (const auto& p : MaskedPaths()) RETURN_IF_ERROR(MaskPath(p));
  for (const auto& p : ReadonlyPaths()) RETURN_IF_ERROR(MakeReadonly(p));
  return Status::Ok();
}

Status BindConsole(const std::string& pts) {
  auto fd = base::OpenFile("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW, 0600);
  if (!fd.ok()) return fd.status();
  return Mount(pts.c_str(), "/dev/console", nullptr, MS_BIND);
}

}  // namespace hull::runtime::ns
