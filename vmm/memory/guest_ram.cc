#include "vmm/memory/guest_ram.h"

#include <linux/memfd.h>
#include <linux/mman.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/memory/layout.h"

namespace hull::vmm {
namespace {

constexpr uint64_t kHugePageSize = 2ull << 20;

}  // namespace

std::vector<devices::GuestRegion> PlanGuestRam(uint64_t size) {
  std::vector<devices::GuestRegion> regions;
  uint64_t below_gap = size < layout::kMmioGapStart ? size : layout::kMmioGapStart;
  regions.push_back({0, below_gap, nullptr});
  if (size > below_gap) regions.push_back({layout::kMmioGapEnd, size - below_gap, nullptr});
  return regions;
}

base::Result<GuestRam> GuestRam::Allocate(const GuestRamOptions& options) {
  if (options.size_bytes == 0 || options.size_bytes % 4096 != 0) {
    return base::Status::Error("guest memory size must be a non-zero multiple of 4 KiB");
  }
  if (options.huge_pages && options.size_bytes % kHugePageSize != 0) {
    return base::Status::Error("guest memory size must be a multiple of 2 MiB with huge pages");
  }
  GuestRam ram;
  if (options.memfd) {
    unsigned int flags = MFD_CLOEXEC | (options.huge_pages ? MFD_HUGETLB | MFD_HUGE_2MB : 0);
    int fd = ::memfd_create("hull-guest-ram", flags);
    if (fd < 0) return base::Status::Errno("memfd_create for guest memory");
    ram.memfd_.reset(fd);
    if (::ftruncate(fd, static_cast<off_t>(options.size_bytes)) != 0) {
      return base::Status::Errno("sizing guest memory memfd to " +
                                 std::to_string(options.size_bytes >> 20) + " MiB");
    }
  }
  std::vector<devices::GuestRegion> regions = PlanGuestRam(options.size_bytes);
  uint64_t file_offset = 0;
  for (devices::GuestRegion& region : regions) {
    base::Result<base::ScopedMmap> map = base::Status::Error("unset");
    if (options.memfd) {
      map = base::ScopedMmap::Map(region.size, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_NORESERVE, ram.memfd_.get(),
                                  static_cast<off_t>(file_offset));
    } else {
      int extra = MAP_NORESERVE | (options.huge_pages ? MAP_HUGETLB | MAP_HUGE_2MB : 0);
      map = base::ScopedMmap::Anonymous(region.size, extra);
    }
    if (!map.ok()) {
      return map.status().WithContext(options.huge_pages
                                          ? "allocating guest memory with 2 MiB huge pages "
                                            "(are enough reserved in /proc/sys/vm/nr_hugepages?)"
                                          : "allocating guest memory");
    }
    region.host = map->data();
    // Guest RAM is never useful in a core dump of the VMM, and a hostile guest could
    // otherwise make one huge; nor is it for a child process (hull-vmm forks none, and
    // its filters forbid it; a test that forks after building a Machine gets none).
    ::madvise(region.host, region.size, MADV_DONTDUMP);
    ::madvise(region.host, region.size, MADV_DONTFORK);
    file_offset += region.size;
    ram.mappings_.push_back(std::move(map).value());
  }
  ram.memory_ = devices::GuestMemory(std::move(regions));
  return ram;
}

}  // namespace hull::vmm
