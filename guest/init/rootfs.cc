#include "guest/init/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "guest/spec.h"

namespace hull::guest::init {
namespace {

base::Status Mount(const char* source, const char* target, const char* type,
                   unsigned long flags, const char* data) {
  mkdir(target, 0755);
  if (mount(source, target, type, flags, data) != 0)
    return base::Status::Errno(std::string("mount ") + type + " on " + target);
  return base::Status::Ok();
}

struct Disk {
  std::string device;
  std::string label;
};

// A virtio-blk disk's serial (the VMM's drive id), "" if it has none.
std::string Serial(const std::string& name) {
  // sysfs says 4096 bytes for every file: read what is there.
  std::ifstream file("/sys/block/" + name + "/serial");
  std::string s;
  std::getline(file, s, '\0');
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

base::Status MakeDirs(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return base::Status::Errno("mkdir " + dir);
    if (slash == std::string::npos) return base::Status::Ok();
  }
}

// The ext4 disks: /dev/vd* whose superblock has the ext4 magic.
std::vector<Disk> FindExt4Disks() {
  std::vector<Disk> disks;
  DIR* dir = opendir("/sys/block");
  if (!dir) return disks;
  while (dirent* e = readdir(dir)) {
    if (strncmp(e->d_name, "vd", 2) != 0) continue;
    if (Serial(e->d_name).rfind(kVolumePrefix, 0) == 0) continue;  // a volume, not ours
    std::string dev = std::string("/dev/") + e->d_name;
    auto fd = base::OpenFile(dev, O_RDONLY);
    if (!fd.ok()) continue;
    unsigned char sb[1024];
    if (!base::PreadFully(fd->get(), sb, sizeof(sb), 1024).ok()) continue;
    if (sb[56] != 0x53 || sb[57] != 0xef) continue;  // s_magic 0xEF53
    disks.push_back({dev, std::string(reinterpret_cast<char*>(sb + 120), strnlen(reinterpret_cast<char*>(sb + 120), 16))});
  }
  closedir(dir);
  return disks;
}

}  // namespace

base::Status MountEarly() {
  RETURN_IF_ERROR(Mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  RETURN_IF_ERROR(Mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  RETURN_IF_ERROR(Mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"));
  return base::Status::Ok();
}

base::Status SwitchToContainerRoot() {
  std::string image, writable;
  for (const auto& d : FindExt4Disks()) {
    if (d.label == kWritableLabel) {
      writable = d.device;
    } else if (image.empty()) {
      image = d.device;
    }
  }
  if (image.empty()) return base::Status::Error("no image disk (an ext4 /dev/vd*) found");
  if (writable.empty())
    return base::Status::Error(std::string("no writable layer (ext4 labelled ") +
                               kWritableLabel + ") found");
  RETURN_IF_ERROR(Mount(image.c_str(), "/mnt/image", "ext4", MS_RDONLY, "noload")
                      .WithContext("image disk " + image));
  RETURN_IF_ERROR(Mount(writable.c_str(), "/mnt/rw", "ext4", 0, nullptr)
                      .WithContext("writable layer " + writable));
  mkdir("/mnt/rw/upper", 0755);
  mkdir("/mnt/rw/work", 0755);
  RETURN_IF_ERROR(Mount("overlay", "/mnt/root", "overlay", 0,
                        "lowerdir=/mnt/image,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work"));
  // hull-init's own files are no longer needed: free their memory.
  unlink("/init");
  unlink(kSpecPath);
  if (chdir("/mnt/root") != 0) return base::Status::Errno("chdir /mnt/root");
  if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) return base::Status::Errno("move root");
  if (chroot(".") != 0) return base::Status::Errno("chroot");
  if (chdir("/") != 0) return base::Status::Errno("chdir /");
  RETURN_IF_ERROR(Mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  RETURN_IF_ERROR(Mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  RETURN_IF_ERROR(Mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"));
  RETURN_IF_ERROR(Mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                        "newinstance,ptmxmode=0666,mode=0620"));
  unlink("/dev/ptmx");
  if (symlink("pts/ptmx", "/dev/ptmx") != 0) return base::Status::Errno("symlink /dev/ptmx");
  RETURN_IF_ERROR(Mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"));
  return base::Status::Ok();
}

base::Status MountVolumes(const std::vector<Volume>& volumes) {
  for (const Volume& v : volumes) {
    unsigned long flags = v.read_only ? MS_RDONLY : 0;
    RETURN_IF_ERROR(MakeDirs(v.target).WithContext("volume " + v.target));
    if (v.type == "9p") {
      std::string options = "trans=virtio,version=9p2000.L,msize=262144,cache=none";
      if (mount(v.source.c_str(), v.target.c_str(), "9p", flags, options.c_str()) != 0)
        return base::Status::Errno("mount 9p share " + v.source + " on " + v.target);
      continue;
    }
    std::string device;
    if (DIR* dir = opendir("/sys/block")) {
      while (dirent* e = readdir(dir))
        if (strncmp(e->d_name, "vd", 2) == 0 && Serial(e->d_name) == v.source)
          device = std::string("/dev/") + e->d_name;
      closedir(dir);
    }
    if (device.empty()) return base::Status::Error("volume " + v.target + ": no disk " + v.source);
    if (mount(device.c_str(), v.target.c_str(), "ext4", flags, v.read_only ? "noload" : nullptr) != 0)
      return base::Status::Errno("mount " + device + " (ext4) on " + v.target);
  }
  return base::Status::Ok();
}

}  // namespace hull::guest::init
