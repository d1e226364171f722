#include "devices/block/cow_disk.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "devices/block/file_io.h"

namespace hull::devices::block {
namespace {

constexpr char kMagic[8] = {'H', 'U', 'L', 'L', 'C', 'O', 'W', '1'};
constexpr uint32_t kVersion = 1;
static_assert(sizeof(CowHeader) == 48);

CowHeader NewHeader(uint64_t size) {
  CowHeader h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.version = kVersion;
  h.cluster_bits = kCowClusterBits;
  h.size = size;
  h.bitmap_offset = kCowHeaderSize;
  uint64_t clusters = (size + kCowClusterSize - 1) >> kCowClusterBits;
  h.bitmap_bytes = (clusters + 7) / 8;
  h.data_offset = (kCowHeaderSize + h.bitmap_bytes + kCowClusterSize - 1) / kCowClusterSize *
                  kCowClusterSize;
  return h;
}

base::Status CheckHeader(const CowHeader& h, uint64_t base_size, const std::string& path) {
  CowHeader want = NewHeader(base_size);
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0) {
    return base::Status::Error("overlay " + path + " is not a hull CoW overlay (bad magic)");
  }
  if (h.version != kVersion || h.cluster_bits != kCowClusterBits) {
    return base::Status::Error("overlay " + path + ": unsupported version or cluster size");
  }
  if (h.size != base_size) {
    return base::Status::Error("overlay " + path + " was made for a base of " +
                               std::to_string(h.size) + " bytes, but the base has " +
                               std::to_string(base_size));
  }
  if (h.bitmap_offset != want.bitmap_offset || h.bitmap_bytes != want.bitmap_bytes ||
      h.data_offset != want.data_offset) {
    return base::Status::Error("overlay " + path + ": inconsistent header");
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::unique_ptr<CowDisk>> CowDisk::Open(const std::string& base_path,
                                                     const std::string& overlay_path) {
  int bfd = open(base_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (bfd < 0) return base::Status::Errno("opening base image " + base_path);
  base::UniqueFd base(bfd);
  off_t base_size = lseek(bfd, 0, SEEK_END);
  if (base_size < 0) return base::Status::Errno("sizing base image " + base_path);

  int ofd = open(overlay_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (ofd < 0) return base::Status::Errno("opening overlay " + overlay_path);
  base::UniqueFd overlay(ofd);
  if (flock(ofd, LOCK_EX | LOCK_NB) != 0) {
    return base::Status::Errno("locking overlay " + overlay_path + " (in use by another VM?)");
  }
  struct stat st {};
  if (fstat(ofd, &st) != 0) return base::Status::Errno("stat " + overlay_path);

  CowHeader header = NewHeader(static_cast<uint64_t>(base_size));
  std::vector<uint8_t> bitmap(header.bitmap_bytes, 0);
  if (st.st_size == 0) {  // new overlay: header and an empty bitmap, data stays sparse
    RETURN_IF_ERROR(PwriteFull(ofd, header.bitmap_offset, bitmap.data(), bitmap.size())
                        .WithContext("initialising overlay " + overlay_path));
    RETURN_IF_ERROR(PwriteFull(ofd, 0, &header, sizeof(header))
                        .WithContext("initialising overlay " + overlay_path));
    if (fsync(ofd) != 0) return base::Status::Errno("fsync " + overlay_path);
  } else {
    CowHeader found{};
    if (static_cast<uint64_t>(st.st_size) < sizeof(found)) {
      return base::Status::Error("overlay " + overlay_path + " is too short for its header");
    }
    RETURN_IF_ERROR(PreadFull(ofd, 0, &found, sizeof(found)));
    RETURN_IF_ERROR(CheckHeader(found, static_cast<uint64_t>(base_size), overlay_path));
    RETURN_IF_ERROR(PreadFull(ofd, header.bitmap_offset, bitmap.data(), bitmap.size())
                        .WithContext("reading overlay bitmap " + overlay_path));
  }
  bool punch = ProbePunchHole(ofd);
  return std::unique_ptr<CowDisk>(
      new CowDisk(std::move(base), std::move(overlay), header, std::move(bitmap), punch));
}

CowDisk::CowDisk(base::UniqueFd base, base::UniqueFd overlay, CowHeader header,
                 std::vector<uint8_t> bitmap, bool punch_hole)
    : base_(std::move(base)),
      overlay_(std::move(overlay)),
      header_(header),
      bitmap_(std::move(bitmap)),
      punch_hole_(punch_hole),
      scratch_(kCowClusterSize) {}

uint64_t CowDisk::allocated_clusters() const {
  uint64_t n = 0;
  for (uint8_t b : bitmap_) n += static_cast<uint64_t>(__builtin_popcount(b));
  return n;
}

base::Status CowDisk::MarkAllocated(uint64_t cluster) {
  bitmap_[cluster >> 3] |= static_cast<uint8_t>(1u << (cluster & 7));
  return PwriteFull(overlay_.get(), header_.bitmap_offset + (cluster >> 3),
                    &bitmap_[cluster >> 3], 1);
}

base::Status CowDisk::ReadV(uint64_t offset, std::span<const iovec> iov) {
  uint64_t len = IovLength(iov);
  uint64_t done = 0;
  while (done < len) {
    // The longest run of clusters from here that all come from the same file.
    uint64_t cluster = (offset + done) >> kCowClusterBits;
    bool in_overlay = allocated(cluster);
    uint64_t end = (cluster + 1) << kCowClusterBits;
    while (end < offset + len && allocated(end >> kCowClusterBits) == in_overlay) {
      end += kCowClusterSize;
    }
    uint64_t n = std::min(end, offset + len) - (offset + done);
    slice_.clear();
    IovSlice(iov, done, n, slice_);
    uint64_t at = offset + done;
    if (in_overlay) {
      RETURN_IF_ERROR(PreadvFull(overlay_.get(), header_.data_offset + at, slice_));
    } else {
      RETURN_IF_ERROR(PreadvFull(base_.get(), at, slice_));  // zeros past the base's end
    }
    done += n;
  }
  return base::Status::Ok();
}

base::Status CowDisk::WriteCluster(uint64_t cluster, uint64_t offset, uint64_t len,
                                   std::span<const iovec> iov) {
  const uint64_t start = cluster << kCowClusterBits;
  if (allocated(cluster)) return PwritevFull(overlay_.get(), data_offset(cluster) + offset, iov);
  if (offset == 0 && len == kCowClusterSize) {
    RETURN_IF_ERROR(PwritevFull(overlay_.get(), data_offset(cluster), iov));
  } else {
    // Copy-on-write of a partial cluster: the base's bytes around the guest's.
    RETURN_IF_ERROR(PreadFull(base_.get(), start, scratch_.data(), kCowClusterSize));
    uint8_t* p = scratch_.data() + offset;
    for (const iovec& v : iov) {
      std::memcpy(p, v.iov_base, v.iov_len);
      p += v.iov_len;
    }
    RETURN_IF_ERROR(PwriteFull(overlay_.get(), data_offset(cluster), scratch_.data(), kCowClusterSize));
  }
  return MarkAllocated(cluster);
}

base::Status CowDisk::WriteV(uint64_t offset, std::span<const iovec> iov) {
  uint64_t len = IovLength(iov);
  std::vector<iovec> part;
  for (uint64_t done = 0; done < len;) {
    uint64_t at = offset + done;
    uint64_t cluster = at >> kCowClusterBits;
    uint64_t in_cluster = at & (kCowClusterSize - 1);
    uint64_t n = std::min(len - done, kCowClusterSize - in_cluster);
    part.clear();
    IovSlice(iov, done, n, part);
    RETURN_IF_ERROR(WriteCluster(cluster, in_cluster, n, part));
    done += n;
  }
  return base::Status::Ok();
}

base::Status CowDisk::WriteZeroes(uint64_t offset, uint64_t len) {
  static const uint8_t kZeros[kCowClusterSize] = {};
  for (uint64_t done = 0; done < len;) {
    uint64_t at = offset + done;
    uint64_t cluster = at >> kCowClusterBits;
    uint64_t in_cluster = at & (kCowClusterSize - 1);
    uint64_t n = std::min(len - done, kCowClusterSize - in_cluster);
    if (n == kCowClusterSize) {  // a whole cluster: a hole in the overlay, marked as ours
      RETURN_IF_ERROR(ZeroRange(overlay_.get(), data_offset(cluster), kCowClusterSize, punch_hole_));
      if (!allocated(cluster)) RETURN_IF_ERROR(MarkAllocated(cluster));
    } else {
      iovec zeros{const_cast<uint8_t*>(kZeros), n};
      RETURN_IF_ERROR(WriteCluster(cluster, in_cluster, n, {&zeros, 1}));
    }
    done += n;
  }
  return base::Status::Ok();
}

base::Status CowDisk::Flush() {
  if (fdatasync(overlay_.get()) != 0) return base::Status::Errno("fdatasync overlay");
  return base::Status::Ok();
}

}  // namespace hull::devices::block
