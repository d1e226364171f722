// Disk: the I/O backend of a virtio-blk device — what BlockDevice's worker calls after
// request parsing has checked every range against size(). Two implementations:
// RawDisk (raw_disk.h, a plain file or block device) and CowDisk (cow_disk.h, a
// read-only base image plus a per-VM overlay). Offsets and lengths are in bytes.
//
// Threads: a Disk is used by one thread at a time (the device's worker).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>

#include "base/status.h"

namespace hull::devices::block {

class Disk {
 public:
  virtual ~Disk() = default;

  // Bytes the guest may address (BlockDevice rounds it down to whole sectors).
  virtual uint64_t size() const = 0;
  // Whether Discard/WriteZeroes are backed by something cheaper than writing zeros
  // (a hole punch). BlockDevice offers VIRTIO_BLK_F_DISCARD only then.
  virtual bool supports_discard() const = 0;

  // Fill / store exactly the iovecs' total length at `offset`; [offset, offset + len)
  // lies inside size(). Reads past the end of a file that shrank yield zeros.
  [[nodiscard]] virtual base::Status ReadV(uint64_t offset, std::span<const iovec> iov) = 0;
  [[nodiscard]] virtual base::Status WriteV(uint64_t offset, std::span<const iovec> iov) = 0;
  // Makes completed writes durable (fdatasync).
  [[nodiscard]] virtual base::Status Flush() = 0;
  // Afterwards [offset, offset + len) reads as zeros: both discard and write-zeroes are
  // implemented this way, so a discard never exposes stale data.
  [[nodiscard]] virtual base::Status WriteZeroes(uint64_t offset, uint64_t len) = 0;
};

}  // namespace hull::devices::block
