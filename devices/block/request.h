// virtio-blk request parsing (virtio 1.2, 5.2.6): turns one validated DescriptorChain
// into a typed Request — header, data segments as host iovecs into guest memory, and
// the status byte — checking every length, direction and sector range against the
// disk, without doing any I/O. BlockDevice's worker calls it, then runs the request
// against a Disk.
//
// A chain without a writable last byte has nowhere to put a status: that is a driver
// error (DEVICE_NEEDS_RESET). Anything else that is wrong — a short header, data in
// the wrong direction, a length that is not whole sectors, a range past the end, a
// write to a read-only disk, an unknown type — becomes a Request that only answers a
// status (IOERR or UNSUPP) with a reason for the log, as the spec lets the device do.
#pragma once

#include <sys/uio.h>

#include "devices/virtio/virtio_uapi.h"
#include <linux/virtio_blk.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "devices/virtio/descriptor_chain.h"

namespace hull::devices::block {

inline constexpr uint64_t kSectorSize = 512;
inline constexpr uint32_t kSectorShift = 9;
// The most data bytes one read or write may move; larger requests get IOERR. Linux
// never sends more than max_sectors_kb (1280 KiB by default).
inline constexpr uint64_t kMaxRequestBytes = 64ull << 20;
// Discard / write-zeroes limits offered in the config space.
inline constexpr uint32_t kMaxDiscardSegments = 32;
inline constexpr uint32_t kMaxDiscardSectors = (1u << 30) >> kSectorShift;  // 1 GiB

struct DiskLimits {
  uint64_t capacity_sectors = 0;
  bool read_only = false;
  bool discard = false;       // VIRTIO_BLK_F_DISCARD negotiated
  bool write_zeroes = false;  // VIRTIO_BLK_F_WRITE_ZEROES negotiated
};

struct Request {
  enum class Kind { kRead, kWrite, kFlush, kGetId, kDiscard, kWriteZeroes, kAnswerOnly };
  Kind kind = Kind::kAnswerOnly;
  uint32_t type = 0;  // VIRTIO_BLK_T_* as the driver sent it
  uint64_t sector = 0;
  // kRead / kGetId: guest-writable buffers; kWrite: guest-readable ones. Never holds
  // zero-length entries.
  std::vector<iovec> data;
  uint64_t data_len = 0;
  // kDiscard / kWriteZeroes: byte ranges, each inside the disk.
  struct Range {
    uint64_t offset, len;
  };
  std::vector<Range> ranges;
  // kAnswerOnly: the status to answer and why (for the log).
  uint8_t status = VIRTIO_BLK_S_OK;
  std::string problem;
  // The status byte in guest memory (the chain's last writable byte).
  uint8_t* status_byte = nullptr;
};

// Parses `chain`; an error means the chain has no status byte (a driver error).
base::Result<Request> ParseRequest(const GuestMemory& memory, const virtio::DescriptorChain& chain,
                                   const DiskLimits& limits);

}  // namespace hull::devices::block
