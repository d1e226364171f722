#include "guest/init/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
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

// The ext4 disks: /dev/vd* whose superblock has the ext4 magic.
std::vector<Disk> FindExt4Disks() {
  std::vector<Disk> disks;
  DIR* dir = opendir("/sys/block");
  if (!dir) return disks;
  while (dirent* e = readdir(dir)) {
    if (strncmp(e->d_name, "vd", 2) != 0) continue;
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

}  // namespace hull::guest::init
