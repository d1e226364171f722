#include "devices/guest_memory.h"

#include <algorithm>

#include "base/hex.h"

namespace hull::devices {

using base::Hex;

GuestMemory::GuestMemory(std::vector<GuestRegion> regions) : regions_(std::move(regions)) {
  std::sort(regions_.begin(), regions_.end(),
            [](const GuestRegion& a, const GuestRegion& b) { return a.guest_base < b.guest_base; });
}

uint64_t GuestMemory::total_size() const {
  uint64_t total = 0;
  for (const GuestRegion& r : regions_) total += r.size;
  return total;
}

const GuestRegion* GuestMemory::Find(GuestAddress addr) const {
  for (const GuestRegion& r : regions_) {
    if (addr >= r.guest_base && addr - r.guest_base < r.size) return &r;
  }
  return nullptr;
}

bool GuestMemory::Contains(GuestAddress addr, uint64_t len) const {
  const GuestRegion* r = Find(addr);
  if (r == nullptr) return false;
  return len <= r->size - (addr - r->guest_base);  // overflow-free
}

base::Result<std::span<uint8_t>> GuestMemory::Slice(GuestAddress addr, uint64_t len) const {
  const GuestRegion* r = Find(addr);
  if (r == nullptr || len > r->size - (addr - r->guest_base)) {
    return base::Status::Error("guest memory access out of bounds: " + Hex(addr) + " length " +
                               std::to_string(len));
  }
  return std::span<uint8_t>(r->host + (addr - r->guest_base), static_cast<size_t>(len));
}

base::Status GuestMemory::Read(GuestAddress addr, void* out, uint64_t len) const {
  if (len == 0) return base::Status::Ok();
  ASSIGN_OR_RETURN(std::span<uint8_t> s, Slice(addr, len));
  std::memcpy(out, s.data(), s.size());
  return base::Status::Ok();
}

base::Status GuestMemory::Write(GuestAddress addr, const void* data, uint64_t len) const {
  if (len == 0) return base::Status::Ok();
  ASSIGN_OR_RETURN(std::span<uint8_t> s, Slice(addr, len));
  std::memcpy(s.data(), data, s.size());
  return base::Status::Ok();
}

}  // namespace hull::devices
