// Whole-range positional file I/O for the disk backends: preadv/pwritev that retry on
// EINTR and short transfers, split iovec lists longer than IOV_MAX, and (for reads)
// zero-fill whatever lies past the end of the file. Plus hole punching and zeroing
// with fallocate, probing what the file system supports.
//
// Threads: stateless; callers serialise access to one fd as they need.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"

namespace hull::devices::block {

[[nodiscard]] base::Status PreadvFull(int fd, uint64_t offset, std::span<const iovec> iov);
[[nodiscard]] base::Status PwritevFull(int fd, uint64_t offset, std::span<const iovec> iov);
[[nodiscard]] base::Status PreadFull(int fd, uint64_t offset, void* data, uint64_t len);
[[nodiscard]] base::Status PwriteFull(int fd, uint64_t offset, const void* data, uint64_t len);

// Total bytes of `iov`.
uint64_t IovLength(std::span<const iovec> iov);
// Appends to `out` the iovecs covering bytes [skip, skip + len) of `iov` (which must
// hold that many).
void IovSlice(std::span<const iovec> iov, uint64_t skip, uint64_t len, std::vector<iovec>& out);

// Whether fallocate(FALLOC_FL_PUNCH_HOLE) works on `fd` (tried past its end, where it
// changes nothing).
bool ProbePunchHole(int fd);
// Makes [offset, offset + len) read as zeros: a hole punch (when `punch_ok`), else
// FALLOC_FL_ZERO_RANGE, else writing zeros. The file's size does not change (unless
// zeros must be written past its end).
[[nodiscard]] base::Status ZeroRange(int fd, uint64_t offset, uint64_t len, bool punch_ok);

}  // namespace hull::devices::block
