#include "rootfs-builder/directory_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "base/unique_fd.h"

namespace hull::rootfs {

using base::Result;
using base::Status;

namespace {

struct Sink {
  int fd;
  Sha256 hash;
  std::string error;
};

la_ssize_t WriteCallback(struct archive*, void* opaque, const void* buf, size_t size) {
  auto* sink = static_cast<Sink*>(opaque);
  Status s = base::WriteFully(sink->fd, buf, size);
  if (!s.ok()) {
    sink->error = s.message();
    return -1;
  }
  sink->hash.Update(buf, size);
  return static_cast<la_ssize_t>(size);
}

struct Closer {
  void operator()(struct archive* a) const { archive_free(a); }
};

}  // namespace

Result<Digest> WriteDirectoryTar(const std::string& dir, int out_fd) {
  Sink sink{out_fd, {}, {}};
  std::unique_ptr<struct archive, Closer> disk(archive_read_disk_new());
  std::unique_ptr<struct archive, Closer> tar(archive_write_new());
  archive_read_disk_set_standard_lookup(disk.get());
  archive_read_disk_set_behavior(disk.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
  archive_write_set_format_pax_restricted(tar.get());
  archive_write_set_bytes_in_last_block(tar.get(), 1);
  auto fail = [&](struct archive* a, const std::string& what) {
    const char* e = archive_error_string(a);
    return Status::Error(what + ": " + (!sink.error.empty() ? sink.error : e ? e : "error"));
  };
  if (archive_write_open(tar.get(), &sink, nullptr, &WriteCallback, nullptr) != ARCHIVE_OK) {
    return fail(tar.get(), "writing layer");
  }
  if (archive_read_disk_open(disk.get(), dir.c_str()) != ARCHIVE_OK) {
    return fail(disk.get(), "reading " + dir);
  }
  struct archive_entry_linkresolver* links = archive_entry_linkresolver_new();
  archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
  std::unique_ptr<struct archive_entry_linkresolver, void (*)(struct archive_entry_linkresolver*)>
      links_owner(links, archive_entry_linkresolver_free);
  std::string prefix = dir;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  std::vector<char> buf(1 << 20);
  for (;;) {
    struct archive_entry* entry = archive_entry_new();
    std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> owner(
        entry, archive_entry_free);
    int r = archive_read_next_header2(disk.get(), entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(disk.get(), "reading " + dir);
    archive_read_disk_descend(disk.get());
    std::string source = archive_entry_sourcepath(entry);
    std::string rel = source.size() > prefix.size() ? source.substr(prefix.size() + 1) : "";
    if (rel.empty()) continue;  // the root itself
    archive_entry_set_pathname(entry, rel.c_str());
    struct archive_entry* sparse = nullptr;
    archive_entry_linkify(links, &entry, &sparse);
    if (archive_write_header(tar.get(), entry) < ARCHIVE_WARN) {
      return fail(tar.get(), "writing " + rel);
    }
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_size(entry) == 0) continue;
    ASSIGN_OR_RETURN(base::UniqueFd in, base::OpenFile(source, O_RDONLY | O_NOFOLLOW));
    for (;;) {
      ssize_t n = ::read(in.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Errno("reading " + source);
      if (n == 0) break;
      if (archive_write_data(tar.get(), buf.data(), static_cast<size_t>(n)) < 0) {
        return fail(tar.get(), "writing " + rel);
      }
    }
  }
  if (archive_write_close(tar.get()) != ARCHIVE_OK) return fail(tar.get(), "writing layer");
  return sink.hash.Finish();
}

}  // namespace hull::rootfs
