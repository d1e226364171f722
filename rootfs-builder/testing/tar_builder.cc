#include "rootfs-builder/testing/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <stdexcept>

namespace hull::rootfs::testing {

TarEntry File(std::string path, std::string data, int mode) {
  TarEntry e;
  e.path = std::move(path);
  e.data = std::move(data);
  e.mode = mode;
  return e;
}

TarEntry Dir(std::string path, int mode) {
  TarEntry e;
  e.type = TarEntry::kDir;
  e.path = std::move(path);
  e.mode = mode;
  return e;
}

TarEntry Symlink(std::string path, std::string target) {
  TarEntry e;
  e.type = TarEntry::kSymlink;
  e.path = std::move(path);
  e.target = std::move(target);
  e.mode = 0777;
  return e;
}

TarEntry Hardlink(std::string path, std::string target) {
  TarEntry e;
  e.type = TarEntry::kHardlink;
  e.path = std::move(path);
  e.target = std::move(target);
  return e;
}

namespace {

la_ssize_t Append(struct archive*, void* out, const void* buf, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

void Check(int r, struct archive* a) {
  if (r < ARCHIVE_WARN) {
    const char* e = archive_error_string(a);
    throw std::runtime_error(e ? e : "libarchive write error");
  }
}

}  // namespace

std::string BuildTar(const std::vector<TarEntry>& entries, Compression compression) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (compression == Compression::kGzip) archive_write_add_filter_gzip(a);
  if (compression == Compression::kZstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  Check(archive_write_open(a, &out, nullptr, &Append, nullptr), a);
  for (const TarEntry& t : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    int mode = t.mode;
    switch (t.type) {
      case TarEntry::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
        if (mode < 0) mode = 0644;
        break;
      case TarEntry::kDir:
        archive_entry_set_filetype(e, AE_IFDIR);
        if (mode < 0) mode = 0755;
        break;
      case TarEntry::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t.target.c_str());
        break;
      case TarEntry::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t.target.c_str());
        archive_entry_set_size(e, 0);
        if (mode < 0) mode = 0644;
        break;
      case TarEntry::kCharDev:
      case TarEntry::kBlockDev:
        archive_entry_set_filetype(e, t.type == TarEntry::kCharDev ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdevmajor(e, t.major);
        archive_entry_set_rdevminor(e, t.minor);
        if (mode < 0) mode = 0600;
        break;
      case TarEntry::kFifo:
        archive_entry_set_filetype(e, AE_IFIFO);
        if (mode < 0) mode = 0644;
        break;
    }
    if (mode >= 0) archive_entry_set_perm(e, static_cast<mode_t>(mode));
    for (const auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    Check(archive_write_header(a, e), a);
    if (t.type == TarEntry::kFile && !t.data.empty()) {
      archive_write_data(a, t.data.data(), t.data.size());
    }
    archive_entry_free(e);
  }
  Check(archive_write_close(a), a);
  archive_write_free(a);
  return out;
}

}  // namespace hull::rootfs::testing
