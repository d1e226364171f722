// CowDisk: copy-on-write over a shared, read-only base image. The base is opened
// O_RDONLY and never written, so many VMs can share one image; this VM's writes land in
// its own sparse overlay file, whose format (README.md, "Overlay format") records
// which 64 KiB clusters the overlay holds in a bitmap. The overlay survives a VMM
// restart: reopening it with the same base gives the disk as the guest left it.
//
// Reads take each cluster from the overlay if its bit is set, else from the base
// (zeros past the base's end). A write to a cluster not yet in the overlay copies the
// rest of that cluster from the base (read-modify-write), writes it, then sets and
// persists its bit — data before bitmap, so a bit never names data that was not
// written. Write-zeroes and discard punch the overlay's clusters and set their bits, so
// base data is never exposed again.
//
// Threads: one at a time (the device worker), see disk.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "devices/block/disk.h"

namespace hull::devices::block {

inline constexpr uint32_t kCowClusterBits = 16;  // 64 KiB clusters
inline constexpr uint64_t kCowClusterSize = uint64_t{1} << kCowClusterBits;
inline constexpr uint64_t kCowHeaderSize = 4096;

// The overlay's first bytes, little-endian (README.md).
struct CowHeader {
  char magic[8];            // "HULLCOW1"
  uint32_t version;         // 1
  uint32_t cluster_bits;    // log2 of the cluster size (16)
  uint64_t size;            // virtual disk size in bytes = the base's size at creation
  uint64_t bitmap_offset;   // kCowHeaderSize
  uint64_t bitmap_bytes;    // ceil(clusters / 8)
  uint64_t data_offset;     // cluster-aligned; cluster i lives at data_offset + i << cluster_bits
};

class CowDisk final : public Disk {
 public:
  // Opens `base_path` read-only and `overlay_path` read-write, creating (or
  // initialising, if empty) the overlay. An existing overlay must have been made for a
  // base of the same size. The overlay is locked (flock) so two VMMs cannot share it.
  static base::Result<std::unique_ptr<CowDisk>> Open(const std::string& base_path,
                                                     const std::string& overlay_path);

  uint64_t size() const override { return header_.size; }
  bool supports_discard() const override { return true; }
  base::Status ReadV(uint64_t offset, std::span<const iovec> iov) override;
  base::Status WriteV(uint64_t offset, std::span<const iovec> iov) override;
  base::Status Flush() override;
  base::Status WriteZeroes(uint64_t offset, uint64_t len) override;

  // Clusters the overlay holds.
  uint64_t allocated_clusters() const;

 private:
  CowDisk(base::UniqueFd base, base::UniqueFd overlay, CowHeader header,
          std::vector<uint8_t> bitmap, bool punch_hole);

  bool allocated(uint64_t cluster) const { return bitmap_[cluster >> 3] & (1u << (cluster & 7)); }
  base::Status MarkAllocated(uint64_t cluster);
  uint64_t data_offset(uint64_t cluster) const {
    return header_.data_offset + (cluster << kCowClusterBits);
  }
  // Writes [offset, offset + len) of cluster `cluster` from `iov`, which holds len bytes.
  base::Status WriteCluster(uint64_t cluster, uint64_t offset, uint64_t len,
                            std::span<const iovec> iov);

  base::UniqueFd base_;
  base::UniqueFd overlay_;
  CowHeader header_;
  std::vector<uint8_t> bitmap_;
  bool punch_hole_;
  std::vector<uint8_t> scratch_;  // one cluster, for read-modify-write
  std::vector<iovec> slice_;      // reused iovec list
};

}  // namespace hull::devices::block
