// A libarchive reader over a file descriptor that hashes what it reads, and a second
// reader that sees the first one's decompressed bytes: together they let a layer be
// decompressed once while both its blob digest and its diff ID are computed. Private
// to rootfs-builder.
#pragma once

#include <archive.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "rootfs-builder/digest.h"

namespace hull::rootfs {

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveDeleter>;

// Outer: fd → filters (gzip/zstd/none) → raw bytes. Inner: those bytes → tar entries.
class HashedTarStream {
 public:
  HashedTarStream() = default;
  HashedTarStream(const HashedTarStream&) = delete;
  HashedTarStream& operator=(const HashedTarStream&) = delete;

  // Opens both readers; `tar` false opens the outer one only (for DecompressToTar).
  base::Status Open(int fd, bool tar);
  struct archive* outer() { return outer_.get(); }
  struct archive* tar() { return inner_.get(); }
  // Reads decompressed bytes directly (outer only); 0 at end.
  base::Result<size_t> ReadRaw(void* buf, size_t size);
  // Drains whatever remains (padding after the tar end) so the hashes cover it all.
  base::Status Drain();
  // The best error text available after a libarchive failure.
  std::string ErrorText(struct archive* a) const;

  Sha256& blob_hash() { return blob_hash_; }
  Sha256& tar_hash() { return tar_hash_; }

 private:
  static la_ssize_t ReadFd(struct archive*, void* self, const void** buf);
  static la_ssize_t ReadInner(struct archive*, void* self, const void** buf);

  int fd_ = -1;
  ArchivePtr outer_;
  ArchivePtr inner_;
  bool outer_eof_ = false;
  std::string io_error_;
  std::vector<char> fd_buf_ = std::vector<char>(1 << 20);
  std::vector<char> raw_buf_ = std::vector<char>(1 << 20);
  Sha256 blob_hash_;
  Sha256 tar_hash_;
};

}  // namespace hull::rootfs
