#include "rootfs-builder/builtin_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "rootfs-builder/local_sources.h"
#include "rootfs-builder/reference.h"
#include "rootfs-builder/safe_path.h"

namespace hull::rootfs {

using base::Result;
using base::Status;

namespace {

constexpr const char* kApplets[] = {
    "sh", "ash", "cat", "chmod", "chown", "cp", "cut", "date", "dd", "df", "echo", "env",
    "false", "grep", "head", "hostname", "id", "kill", "ln", "ls", "mkdir", "mknod", "mount",
    "mv", "nc", "ping", "printf", "ps", "pwd", "readlink", "rm", "rmdir", "sed", "seq",
    "sleep", "stat", "tail", "test", "[", "touch", "tr", "true", "tty", "umount", "uname",
    "wc", "whoami", "yes", "awk", "find", "xargs", "sort", "uniq", "tee", "which", "wget",
    "reboot", "insmod", "ip", "nproc", "timeout", "top", "vi",
};

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
constexpr char kGroup[] =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "tty:x:5:\n"
    "nogroup:x:65534:\n";

Status WriteFile(const std::string& path, std::string_view data, mode_t mode) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, mode));
  RETURN_IF_ERROR(base::WriteFully(fd.get(), data.data(), data.size()));
  if (::fchmod(fd.get(), mode) != 0) return Status::Errno("chmod " + path);
  return Status::Ok();
}

Status BuildTree(const std::string& dir, const std::string& busybox) {
  ASSIGN_OR_RETURN(std::string binary, base::ReadFileToString(busybox, 64u << 20));
  if (binary.find("/lib64/ld-linux") != std::string::npos) {
    return Status::Error(busybox + " is dynamically linked; install busybox-static");
  }
  for (const char* d : {"bin", "etc", "root", "tmp", "proc", "sys", "dev", "home", "var", "usr",
                        "usr/bin", "usr/sbin", "sbin"}) {
    std::string path = dir + "/" + d;
    if (::mkdir(path.c_str(), 0755) != 0) return Status::Errno("mkdir " + path);
  }
  if (::chmod((dir + "/tmp").c_str(), 01777) != 0 || ::chmod((dir + "/root").c_str(), 0700) != 0) {
    return Status::Errno("chmod");
  }
  RETURN_IF_ERROR(WriteFile(dir + "/bin/busybox", binary, 0755));
  for (const char* applet : kApplets) {
    std::string link = dir + "/bin/" + applet;
    if (::symlink("busybox", link.c_str()) != 0) return Status::Errno("symlink " + link);
  }
  RETURN_IF_ERROR(WriteFile(dir + "/etc/passwd", kPasswd, 0644));
  RETURN_IF_ERROR(WriteFile(dir + "/etc/group", kGroup, 0644));
  return Status::Ok();
}

}  // namespace

Result<ImageRecord> EnsureBuiltinBusyboxImage(const ContentStore& store, const std::string& busybox) {
  ASSIGN_OR_RETURN(Reference ref, ParseReference(kBuiltinBusyboxImage));
  if (auto existing = store.FindImage(ref.str()); existing.ok()) {
    struct stat st {};
    if (::stat((store.RootfsDir(existing->chain_id) + "/tree").c_str(), &st) == 0) return existing;
  }
  ASSIGN_OR_RETURN(std::string tmp, store.MakeTempDir("busybox"));
  std::string tree = tmp + "/tree";
  Result<ImageRecord> record = Status::Error("unreachable");
  if (::mkdir(tree.c_str(), 0755) != 0) {
    record = Status::Errno("mkdir " + tree);
  } else if (Status s = BuildTree(tree, busybox); !s.ok()) {
    record = s.WithContext("building " + std::string(kBuiltinBusyboxImage));
  } else {
    record = ImportRootfs(store, tree, kBuiltinBusyboxImage);
  }
  (void)RemoveTree(tmp);
  return record;
}

}  // namespace hull::rootfs
