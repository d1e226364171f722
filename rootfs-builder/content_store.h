// The content store under hull's root (default /var/lib/hull): blobs addressed by
// sha256 and verified against their digest, the image records that name them, and the
// built root filesystems keyed by chain ID. Every write is atomic (temporary file,
// fsync, rename), so concurrent pulls are safe and an interrupted one leaves only
// temporaries of a dead process, which the next Open() removes. Layout:
//   blobs/sha256/<hex>   tmp/   images.json   rootfs/<chain hex>/{tree,rootfs.ext4}
//   store.lock: shared while adding an image, exclusive while collecting garbage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "rootfs-builder/digest.h"

namespace hull::rootfs {

// One named image: what `hull images` lists.
struct ImageRecord {
  std::string name;      // "docker.io/library/busybox:latest" or "<none>@sha256:..."
  Digest manifest;       // the platform manifest
  Digest config;
  Digest chain_id;
  Digest index;          // the index it was selected from, if any
  int64_t size = 0;      // sum of layer blob sizes
  std::string created;   // from the config
};

// A flock(2) on store.lock, released on destruction.
class StoreLock {
 public:
  StoreLock() = default;
  explicit StoreLock(base::UniqueFd fd) : fd_(std::move(fd)) {}
 private:
  base::UniqueFd fd_;
};

// A blob being written: a temporary file in tmp/ that Commit() verifies and renames
// into place; removed on destruction if not committed.
class BlobWriter {
 public:
  BlobWriter(std::string tmp_path, base::UniqueFd fd, std::string final_dir);
  BlobWriter(BlobWriter&&) = default;
  ~BlobWriter();
  int fd() const { return fd_.get(); }
  base::Status Write(const void* data, size_t size);
  // Verifies size (if >= 0) and digest (if non-empty), fsyncs and renames.
  base::Result<Digest> Commit(const Digest& expect, int64_t expect_size = -1);
  // For data written straight to fd() whose digest the caller computed while producing
  // it (import): stores it under that digest.
  base::Result<Digest> CommitWritten(const Digest& digest, int64_t size);

 private:
  std::string tmp_path_;
  base::UniqueFd fd_;
  std::string blob_dir_;
  base::Status Store(const Digest& digest);
  Sha256 hash_;
  bool committed_ = false;
};

class ContentStore {
 public:
  // Creates the layout under `root` if missing.
  static base::Result<ContentStore> Open(std::string root);
  const std::string& root() const { return root_; }

  base::Result<StoreLock> LockShared() const;
  base::Result<StoreLock> LockExclusive() const;

  std::string BlobPath(const Digest& d) const;
  bool HasBlob(const Digest& d) const;
  base::Result<BlobWriter> NewBlob() const;
  base::Result<Digest> PutBlob(std::string_view data, const Digest& expect = {}) const;
  // Moves an existing file (same file system) into the store after verifying it.
  base::Result<Digest> AdoptFile(const std::string& path, const Digest& expect,
                                 int64_t expect_size) const;
  // Reads a blob of at most max_size bytes and verifies its digest.
  base::Result<std::string> ReadBlob(const Digest& d, size_t max_size = 16u << 20) const;

  // A fresh private directory under tmp/ for building things before renaming them.
  base::Result<std::string> MakeTempDir(std::string_view prefix) const;
  std::string RootfsDir(const Digest& chain_id) const;

  base::Result<std::vector<ImageRecord>> ListImages() const;
  base::Result<ImageRecord> FindImage(std::string_view name) const;
  base::Status PutImage(const ImageRecord& record) const;
  // Removes the record; returns false if there was none.
  base::Result<bool> RemoveImage(std::string_view name) const;

  // Deletes blobs, built root filesystems and temporaries no image references.
  // Needs the exclusive lock held by the caller.
  base::Status CollectGarbage() const;

  // Removes temporaries whose process has died (an interrupted pull); Open() calls it.
  void RemoveStaleTemporaries() const;

 private:
  explicit ContentStore(std::string root) : root_(std::move(root)) {}
  base::Result<StoreLock> Lock(int op) const;
  base::Status WriteImages(const std::vector<ImageRecord>& images) const;
  std::string root_;
};

// Writes `data` to `path` atomically: temporary file beside it, fsync, rename.
base::Status WriteFileAtomically(const std::string& path, std::string_view data);

}  // namespace hull::rootfs
