// GuestRam: allocates and owns a guest's RAM — anonymous or memfd-backed, optionally
// with 2 MiB huge pages — laid out around the 32-bit MMIO gap (layout.h): RAM up to
// kMmioGapStart, and the rest from 4 GiB up. Gives devices a GuestMemory view of it.
#pragma once

#include <cstdint>
#include <vector>

#include "base/scoped_mmap.h"
#include "base/unique_fd.h"
#include "devices/guest_memory.h"

namespace hull::vmm {

struct GuestRamOptions {
  uint64_t size_bytes = 0;
  bool memfd = false;       // back with a memfd (shareable, e.g. with a vhost process)
  bool huge_pages = false;  // 2 MiB hugetlbfs pages
};

// Guest-physical ranges of RAM for a guest of `size` bytes (pure; unit-tested).
std::vector<devices::GuestRegion> PlanGuestRam(uint64_t size);

class GuestRam {
 public:
  static base::Result<GuestRam> Allocate(const GuestRamOptions& options);

  const devices::GuestMemory& memory() const { return memory_; }
  uint64_t size() const { return memory_.total_size(); }
  // The memfd, when memfd-backed (else invalid).
  int memfd() const { return memfd_.get(); }

 private:
  GuestRam() = default;
  base::UniqueFd memfd_;
  std::vector<base::ScopedMmap> mappings_;
  devices::GuestMemory memory_;
};

}  // namespace hull::vmm
