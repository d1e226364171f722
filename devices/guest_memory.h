// GuestMemory: a non-owning view of guest-physical memory as a list of regions, each
// backed by host memory. Every access is bounds-checked: an address range that is not
// wholly inside one region is an error, never a host out-of-bounds access. Devices see
// guest RAM only through this class (DESIGN.md: devices never see KVM). The memory it
// points at is owned by vmm/memory (GuestRam) or by a test fixture, and outlives it.
//
// Thread-safety: the region list is fixed after construction; concurrent reads and
// writes of guest bytes are as safe as the guest's own accesses (no locking).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "base/status.h"

namespace hull::devices {

using GuestAddress = uint64_t;

struct GuestRegion {
  GuestAddress guest_base = 0;
  uint64_t size = 0;
  uint8_t* host = nullptr;

  GuestAddress end() const { return guest_base + size; }  // exclusive
};

class GuestMemory {
 public:
  GuestMemory() = default;
  // Regions must not overlap; they are kept sorted by guest address.
  explicit GuestMemory(std::vector<GuestRegion> regions);

  const std::vector<GuestRegion>& regions() const { return regions_; }
  // Total bytes of guest RAM.
  uint64_t total_size() const;
  // Whether [addr, addr + len) lies wholly inside one region (len 0: addr inside one).
  bool Contains(GuestAddress addr, uint64_t len) const;

  // A host span for [addr, addr + len), or an error if any byte is outside RAM or the
  // range crosses a region boundary.
  base::Result<std::span<uint8_t>> Slice(GuestAddress addr, uint64_t len) const;

  base::Status Read(GuestAddress addr, void* out, uint64_t len) const;
  base::Status Write(GuestAddress addr, const void* data, uint64_t len) const;

  template <typename T>
  base::Result<T> ReadObject(GuestAddress addr) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    RETURN_IF_ERROR(Read(addr, &value, sizeof(T)));
    return value;
  }
  template <typename T>
  base::Status WriteObject(GuestAddress addr, const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    return Write(addr, &value, sizeof(T));
  }

 private:
  const GuestRegion* Find(GuestAddress addr) const;
  std::vector<GuestRegion> regions_;
};

}  // namespace hull::devices
