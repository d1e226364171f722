#include "rootfs-builder/ext4_image.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <utility>

#include "base/unique_fd.h"
#include "rootfs-builder/subprocess.h"

namespace hull::rootfs {

using base::Result;
using base::Status;

namespace {

constexpr uint64_t kBlock = 4096;
constexpr uint64_t kInodeSize = 256;
constexpr uint64_t kHeadroomBytes = 16u << 20;

// nftw(3) passes no user pointer, so the walk's totals live in thread-locals: each
// thread measures its own tree without sharing anything.
thread_local TreeUsage* g_usage;
thread_local std::set<std::pair<dev_t, ino_t>>* g_seen;

int Visit(const char*, const struct stat* st, int, struct FTW*) {
  if (st->st_nlink > 1 && !S_ISDIR(st->st_mode)) {
    if (!g_seen->insert({st->st_dev, st->st_ino}).second) return 0;
  }
  g_usage->inodes++;
  if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode) || S_ISLNK(st->st_mode)) {
    uint64_t size = static_cast<uint64_t>(st->st_size);
    g_usage->bytes += (size + kBlock - 1) / kBlock * kBlock;
    // Extent-tree blocks for large files.
    g_usage->bytes += size / (128u << 20) * kBlock;
  }
  return 0;
}

}  // namespace

Result<TreeUsage> MeasureTree(const std::string& dir) {
  TreeUsage usage;
  std::set<std::pair<dev_t, ino_t>> seen;
  g_usage = &usage;
  g_seen = &seen;
  if (::nftw(dir.c_str(), &Visit, 64, FTW_PHYS) != 0) return Status::Errno("walking " + dir);
  return usage;
}

Status BuildExt4Image(const std::string& tree_dir, const std::string& image_path) {
  ASSIGN_OR_RETURN(TreeUsage usage, MeasureTree(tree_dir));
  uint64_t inodes = usage.inodes + usage.inodes / 10 + 256;
  uint64_t bytes = usage.bytes + usage.bytes / 10 + inodes * kInodeSize + kHeadroomBytes;
  bytes = (bytes + kBlock - 1) / kBlock * kBlock;
  int fd = ::open(image_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Errno("creating " + image_path);
  int r = ::ftruncate(fd, static_cast<off_t>(bytes));
  int err = errno;
  ::fsync(fd);
  base::UniqueFd owner(fd);
  if (r != 0) return Status::Errno("sizing " + image_path, err);
  Status s = RunProgram({"mkfs.ext4", "-q", "-F", "-b", "4096", "-I", "256", "-N",
                         std::to_string(inodes), "-m", "0", "-O", "^has_journal", "-E",
                         "root_owner=0:0", "-L", "hull-rootfs", "-d", tree_dir, image_path});
  if (!s.ok()) return s.WithContext("building ext4 image");
  owner = base::UniqueFd(::open(image_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!owner || ::fsync(owner.get()) != 0) return Status::Errno("fsync " + image_path);
  if (::chmod(image_path.c_str(), 0444) != 0) return Status::Errno("chmod " + image_path);
  return Status::Ok();
}

}  // namespace hull::rootfs
