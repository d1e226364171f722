#include "rootfs-builder/layer_applier.h"

#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>
#include <vector>

#include "base/logging.h"
#include "base/unique_fd.h"
#include "rootfs-builder/archive_stream.h"
#include "rootfs-builder/safe_path.h"

namespace hull::rootfs {

using base::Result;
using base::Status;
using base::UniqueFd;

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

// Applies the entries of one layer; owns the per-layer bookkeeping.
class LayerWriter {
 public:
  LayerWriter(int root_fd, struct archive* tar) : root_fd_(root_fd), tar_(tar) {}
  Status Entry(struct archive_entry* e);
  Status Finish();

 private:
  Status Opaque(int dir_fd, const std::string& dir_path);
  Status Create(int parent, const std::string& name, const std::string& path,
                struct archive_entry* e);
  Status WriteFile(int parent, const std::string& name, struct archive_entry* e);
  Status SetMetadata(int fd, int parent, const std::string& name, struct archive_entry* e);
  Status SetXattrs(int fd, struct archive_entry* e, const std::string& path);

  int root_fd_;
  struct archive* tar_;
  std::set<std::string> written_;  // paths this layer created (opaque dirs keep them)
  struct DirTimes {
    std::vector<std::string> comps;
    struct timespec times[2];
  };
  std::vector<DirTimes> dir_times_;  // set last: creating children changes them
};

struct timespec EntryTime(struct archive_entry* e, bool atime) {
  if (atime && archive_entry_atime_is_set(e)) {
    return {archive_entry_atime(e), archive_entry_atime_nsec(e)};
  }
  return {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
}

Status LayerWriter::Entry(struct archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  std::string name_for_errors = raw ? raw : "";
  ASSIGN_OR_RETURN(std::vector<std::string> comps, SplitEntryPath(name_for_errors));
  if (comps.empty()) return Status::Ok();  // the root itself: keep the root's own metadata
  std::string path = JoinPath(comps);
  const std::string& base = comps.back();
  bool whiteout = base.rfind(kWhiteoutPrefix, 0) == 0;
  auto opened = OpenParentDir(root_fd_, comps, name_for_errors, !whiteout);
  if (!opened.ok() && whiteout && opened.status().error_number() == ENOENT) {
    return Status::Ok();  // hides something under a directory no lower layer has
  }
  ASSIGN_OR_RETURN(UniqueFd parent, std::move(opened));
  if (base == kOpaqueWhiteout) {
    std::string dir = JoinPath({comps.begin(), comps.end() - 1});
    return Opaque(parent.get(), dir);
  }
  if (whiteout) {
    std::string victim = base.substr(kWhiteoutPrefix.size());
    if (victim.empty() || victim == "." || victim == ".." ||
        victim.rfind(kWhiteoutPrefix, 0) == 0) {
      LOG_WARNING << "layer entry \"" << name_for_errors << "\": unsupported whiteout, ignored";
      return Status::Ok();
    }
    std::string victim_path = path.substr(0, path.size() - base.size()) + victim;
    if (written_.count(victim_path)) return Status::Ok();  // only lower layers are hidden
    return RemoveTreeAt(parent.get(), victim).WithContext("entry \"" + name_for_errors + "\"");
  }
  written_.insert(path);
  return Create(parent.get(), base, path, e).WithContext("entry \"" + name_for_errors + "\"");
}

Status LayerWriter::Opaque(int dir_fd, const std::string& dir_path) {
  UniqueFd dup(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
  DIR* dir = ::fdopendir(dup.release());
  if (dir == nullptr) return Status::Errno("opaque directory " + dir_path);
  std::vector<std::string> victims;
  while (struct dirent* de = ::readdir(dir)) {
    std::string n = de->d_name;
    if (n == "." || n == "..") continue;
    if (!written_.count(dir_path.empty() ? n : dir_path + "/" + n)) victims.push_back(n);
  }
  ::closedir(dir);
  for (const auto& v : victims) RETURN_IF_ERROR(RemoveTreeAt(dir_fd, v));
  return Status::Ok();
}

Status LayerWriter::Create(int parent, const std::string& name, const std::string& path,
                           struct archive_entry* e) {
  mode_t type = archive_entry_filetype(e);
  const char* hardlink = archive_entry_hardlink(e);
  struct stat existing {};
  bool exists = ::fstatat(parent, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && !(hardlink == nullptr && type == AE_IFDIR && S_ISDIR(existing.st_mode))) {
    RETURN_IF_ERROR(RemoveTreeAt(parent, name));
  }
  if (hardlink != nullptr) {
    ASSIGN_OR_RETURN(std::vector<std::string> target, SplitEntryPath(hardlink));
    if (target.empty()) return Status::Error("hard link to the root directory");
    std::string what = std::string("hard link target ") + hardlink;
    ASSIGN_OR_RETURN(UniqueFd tparent, OpenParentDir(root_fd_, target, what, false));
    if (::linkat(tparent.get(), target.back().c_str(), parent, name.c_str(), 0) != 0) {
      return Status::Errno(std::string("linking to ") + hardlink);
    }
    return Status::Ok();
  }
  switch (type) {
    case AE_IFREG:
      return WriteFile(parent, name, e);
    case AE_IFDIR: {
      if (!exists || !S_ISDIR(existing.st_mode)) {
        if (::mkdirat(parent, name.c_str(), 0700) != 0) return Status::Errno("mkdir");
      }
      int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return Status::Errno("opening directory");
      UniqueFd dir(fd);
      RETURN_IF_ERROR(SetMetadata(dir.get(), parent, name, e));
      DirTimes t;
      ASSIGN_OR_RETURN(t.comps, SplitEntryPath(path));
      t.times[0] = EntryTime(e, true);
      t.times[1] = EntryTime(e, false);
      dir_times_.push_back(std::move(t));
      return Status::Ok();
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (::symlinkat(target ? target : "", parent, name.c_str()) != 0) {
        return Status::Errno("symlink");
      }
      return SetMetadata(-1, parent, name, e);
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
      if (::mknodat(parent, name.c_str(), type | 0600, type == AE_IFIFO ? 0 : dev) != 0) {
        return Status::Errno("mknod");
      }
      return SetMetadata(-1, parent, name, e);
    }
    default:
      LOG_WARNING << "layer entry " << path << ": unsupported file type, skipped";
      return Status::Ok();
  }
}

Status LayerWriter::WriteFile(int parent, const std::string& name, struct archive_entry* e) {
  int fd = ::openat(parent, name.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Errno("creating file");
  UniqueFd file(fd);
  const void* buf;
  size_t size;
  la_int64_t offset;
  for (;;) {
    int r = archive_read_data_block(tar_, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) {
      const char* err = archive_error_string(tar_);
      return Status::Error(std::string("reading data: ") + (err ? err : "archive error"));
    }
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {
      ssize_t n = ::pwrite(file.get(), p, size, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Errno("writing file");
      p += n;
      offset += n;
      size -= static_cast<size_t>(n);
    }
  }
  if (::ftruncate(file.get(), archive_entry_size(e)) != 0) return Status::Errno("truncate");
  return SetMetadata(file.get(), parent, name, e);
}

Status LayerWriter::SetXattrs(int fd, struct archive_entry* e, const std::string& path) {
  const char* xname;
  const void* value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
    if (::fsetxattr(fd, xname, value, size, 0) != 0) {
      if (errno == ENOTSUP || errno == EPERM) {
        LOG_WARNING << path << ": xattr " << xname << " not supported here, skipped";
        continue;
      }
      return Status::Errno(std::string("setting xattr ") + xname);
    }
  }
  return Status::Ok();
}

// fd is the open file or directory, or -1 for symlinks and special files.
Status LayerWriter::SetMetadata(int fd, int parent, const std::string& name,
                                struct archive_entry* e) {
  uid_t uid = static_cast<uid_t>(archive_entry_uid(e));
  gid_t gid = static_cast<gid_t>(archive_entry_gid(e));
  mode_t mode = archive_entry_perm(e) & 07777;
  mode_t type = archive_entry_filetype(e);
  if (fd >= 0) {
    if (::fchown(fd, uid, gid) != 0) return Status::Errno("chown");
    // After chown, which clears set-id bits.
    if (::fchmod(fd, mode) != 0) return Status::Errno("chmod");
    RETURN_IF_ERROR(SetXattrs(fd, e, name));
  } else {
    if (::fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return Status::Errno("chown");
    }
    // Not a symlink (just created by mknod), so following is harmless.
    if (type != AE_IFLNK && ::fchmodat(parent, name.c_str(), mode, 0) != 0) {
      return Status::Errno("chmod");
    }
  }
  if (type == AE_IFDIR) return Status::Ok();  // times set in Finish()
  struct timespec times[2] = {EntryTime(e, true), EntryTime(e, false)};
  if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return Status::Errno("setting times");
  }
  return Status::Ok();
}

Status LayerWriter::Finish() {
  for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
    auto parent = OpenParentDir(root_fd_, it->comps, JoinPath(it->comps), false);
    if (!parent.ok()) continue;  // removed later in the same layer
    ::utimensat(parent->get(), it->comps.back().c_str(), it->times, AT_SYMLINK_NOFOLLOW);
  }
  return Status::Ok();
}

}  // namespace

Result<LayerStats> ApplyLayer(int blob_fd, const LayerExpectation& expect,
                              const std::string& root_dir) {
  ASSIGN_OR_RETURN(UniqueFd root, base::OpenFile(root_dir, O_RDONLY | O_DIRECTORY));
  HashedTarStream stream;
  RETURN_IF_ERROR(stream.Open(blob_fd, true));
  LayerWriter writer(root.get(), stream.tar());
  LayerStats stats;
  for (;;) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(stream.tar(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r == ARCHIVE_WARN) {
      LOG_DEBUG << "layer: " << stream.ErrorText(stream.tar());
    } else if (r != ARCHIVE_OK) {
      return Status::Error("reading layer: " + stream.ErrorText(stream.tar()));
    }
    RETURN_IF_ERROR(writer.Entry(e));
    ++stats.entries;
  }
  RETURN_IF_ERROR(writer.Finish());
  RETURN_IF_ERROR(stream.Drain());
  stats.blob_size = stream.blob_hash().bytes();
  stats.blob = stream.blob_hash().Finish();
  stats.diff_id = stream.tar_hash().Finish();
  if (expect.blob_size >= 0 && static_cast<uint64_t>(expect.blob_size) != stats.blob_size) {
    return Status::Error("layer " + expect.blob.str() + ": size mismatch: expected " +
                         std::to_string(expect.blob_size) + " bytes, got " +
                         std::to_string(stats.blob_size));
  }
  if (!expect.blob.empty()) RETURN_IF_ERROR(CheckDigest("layer", expect.blob, stats.blob));
  if (!expect.diff_id.empty()) {
    RETURN_IF_ERROR(CheckDigest("layer " + stats.blob.str() + " uncompressed (diff ID)",
                                expect.diff_id, stats.diff_id));
  }
  return stats;
}

Result<Digest> DecompressToTar(int in_fd, int out_fd) {
  HashedTarStream stream;
  RETURN_IF_ERROR(stream.Open(in_fd, false));
  std::vector<char> buf(1 << 20);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, stream.ReadRaw(buf.data(), buf.size()));
    if (n == 0) break;
    RETURN_IF_ERROR(base::WriteFully(out_fd, buf.data(), n));
  }
  return stream.tar_hash().Finish();
}

}  // namespace hull::rootfs
