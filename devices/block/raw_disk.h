// RawDisk: a disk backed by one raw image file (or block device) on the host, opened
// O_RDONLY for read-only drives. Reads and writes are preadv/pwritev straight between
// the file and guest memory; discard and write-zeroes punch holes / zero ranges where
// the file system supports fallocate, and write zeros otherwise.
//
// Threads: one at a time (the device worker), see disk.h.
#pragma once

#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "devices/block/disk.h"

namespace hull::devices::block {

class RawDisk final : public Disk {
 public:
  // Fails with a message naming `path` when it cannot be opened or sized.
  static base::Result<std::unique_ptr<RawDisk>> Open(const std::string& path, bool read_only);

  uint64_t size() const override { return size_; }
  bool supports_discard() const override { return punch_hole_; }
  base::Status ReadV(uint64_t offset, std::span<const iovec> iov) override;
  base::Status WriteV(uint64_t offset, std::span<const iovec> iov) override;
  base::Status Flush() override;
  base::Status WriteZeroes(uint64_t offset, uint64_t len) override;

 private:
  RawDisk(base::UniqueFd fd, uint64_t size, bool punch_hole)
      : fd_(std::move(fd)), size_(size), punch_hole_(punch_hole) {}

  base::UniqueFd fd_;
  uint64_t size_;
  bool punch_hole_;
};

}  // namespace hull::devices::block
