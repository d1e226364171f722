#include "devices/block/file_io.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace hull::devices::block {
namespace {

// preadv/pwritev until all of `iov` is transferred, at most IOV_MAX iovecs a call.
template <bool kWrite>
base::Status TransferV(int fd, uint64_t offset, std::span<const iovec> iov) {
  size_t i = 0;
  while (i < iov.size()) {
    int n = static_cast<int>(std::min<size_t>(iov.size() - i, IOV_MAX));
    ssize_t r = kWrite ? pwritev(fd, &iov[i], n, static_cast<off_t>(offset))
                       : preadv(fd, &iov[i], n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return base::Status::Errno(kWrite ? "pwritev" : "preadv");
    }
    if (r == 0) {
      if (kWrite) return base::Status::Error("pwritev: wrote nothing");
      for (; i < iov.size(); ++i) std::memset(iov[i].iov_base, 0, iov[i].iov_len);  // past EOF
      return base::Status::Ok();
    }
    offset += static_cast<uint64_t>(r);
    auto done = static_cast<uint64_t>(r);
    while (i < iov.size() && done >= iov[i].iov_len) done -= iov[i++].iov_len;
    if (done > 0) {  // a short transfer inside iov[i]: finish that buffer on its own
      auto* base = static_cast<uint8_t*>(iov[i].iov_base) + done;
      uint64_t rest = iov[i].iov_len - done;
      RETURN_IF_ERROR(kWrite ? PwriteFull(fd, offset, base, rest) : PreadFull(fd, offset, base, rest));
      offset += rest;
      ++i;
    }
  }
  return base::Status::Ok();
}

}  // namespace

base::Status PreadvFull(int fd, uint64_t offset, std::span<const iovec> iov) {
  return TransferV<false>(fd, offset, iov);
}

base::Status PwritevFull(int fd, uint64_t offset, std::span<const iovec> iov) {
  return TransferV<true>(fd, offset, iov);
}

base::Status PreadFull(int fd, uint64_t offset, void* data, uint64_t len) {
  auto* p = static_cast<uint8_t*>(data);
  while (len > 0) {
    ssize_t r = pread(fd, p, std::min<uint64_t>(len, 1u << 30), static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return base::Status::Errno("pread");
    if (r == 0) {
      std::memset(p, 0, len);
      return base::Status::Ok();
    }
    p += r;
    offset += static_cast<uint64_t>(r);
    len -= static_cast<uint64_t>(r);
  }
  return base::Status::Ok();
}

base::Status PwriteFull(int fd, uint64_t offset, const void* data, uint64_t len) {
  auto* p = static_cast<const uint8_t*>(data);
  while (len > 0) {
    ssize_t r = pwrite(fd, p, std::min<uint64_t>(len, 1u << 30), static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return base::Status::Errno("pwrite");
    if (r == 0) return base::Status::Error("pwrite: wrote nothing");
    p += r;
    offset += static_cast<uint64_t>(r);
    len -= static_cast<uint64_t>(r);
  }
  return base::Status::Ok();
}

uint64_t IovLength(std::span<const iovec> iov) {
  uint64_t total = 0;
  for (const iovec& v : iov) total += v.iov_len;
  return total;
}

void IovSlice(std::span<const iovec> iov, uint64_t skip, uint64_t len, std::vector<iovec>& out) {
  for (const iovec& v : iov) {
    if (len == 0) break;
    if (skip >= v.iov_len) {
      skip -= v.iov_len;
      continue;
    }
    uint64_t n = std::min<uint64_t>(v.iov_len - skip, len);
    out.push_back({static_cast<uint8_t*>(v.iov_base) + skip, n});
    skip = 0;
    len -= n;
  }
}

bool ProbePunchHole(int fd) {
  off_t end = lseek(fd, 0, SEEK_END);
  if (end < 0) return false;
  off_t past = (end + 4095) / 4096 * 4096 + 4096;
  return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, past, 4096) == 0;
}

base::Status ZeroRange(int fd, uint64_t offset, uint64_t len, bool punch_ok) {
  if (len == 0) return base::Status::Ok();
  auto off = static_cast<off_t>(offset);
  auto n = static_cast<off_t>(len);
  if (punch_ok && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, n) == 0) {
    return base::Status::Ok();
  }
  if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, n) == 0) {
    return base::Status::Ok();
  }
  static const uint8_t kZeros[64 * 1024] = {};
  while (len > 0) {
    uint64_t chunk = std::min<uint64_t>(len, sizeof(kZeros));
    RETURN_IF_ERROR(PwriteFull(fd, offset, kZeros, chunk));
    offset += chunk;
    len -= chunk;
  }
  return base::Status::Ok();
}

}  // namespace hull::devices::block
