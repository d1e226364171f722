#include "devices/bus.h"

#include <cstdio>
#include <iterator>
#include <string>

namespace hull::devices {
namespace {

std::string Hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace

BusDevice::~BusDevice() = default;

base::Status Bus::Insert(std::shared_ptr<BusDevice> device, uint64_t base, uint64_t len) {
  if (!device) return base::Status::Error("bus: no device given for " + Hex(base));
  if (len == 0) return base::Status::Error("bus: zero-length range at " + Hex(base));
  if (len - 1 > UINT64_MAX - base) {
    return base::Status::Error("bus: range at " + Hex(base) + " of length " + Hex(len) +
                               " wraps past the end of the address space");
  }
  const uint64_t last = base + (len - 1);
  // Only two neighbours can overlap: the first range starting after `base` and the
  // last one starting at or before it.
  auto next = ranges_.upper_bound(base);
  if (next != ranges_.end() && next->second.base <= last) {
    return base::Status::Error("bus: range [" + Hex(base) + ", " + Hex(last) +
                               "] overlaps [" + Hex(next->second.base) + ", " +
                               Hex(next->second.last) + "]");
  }
  if (next != ranges_.begin()) {
    const Range& prev = std::prev(next)->second;
    if (prev.last >= base) {
      return base::Status::Error("bus: range [" + Hex(base) + ", " + Hex(last) +
                                 "] overlaps [" + Hex(prev.base) + ", " +
                                 Hex(prev.last) + "]");
    }
  }
  ranges_.emplace(base, Range{base, last, std::move(device)});
  return base::Status::Ok();
}

const Bus::Range* Bus::Find(uint64_t addr, uint64_t size) const {
  if (size == 0) return nullptr;
  auto it = ranges_.upper_bound(addr);
  if (it == ranges_.begin()) return nullptr;
  const Range& range = std::prev(it)->second;
  if (addr > range.last) return nullptr;
  // Written to avoid overflow: the access's last byte must not pass the range's.
  if (size - 1 > range.last - addr) return nullptr;
  return &range;
}

bool Bus::Read(uint64_t addr, std::span<uint8_t> data) const {
  const Range* range = Find(addr, data.size());
  if (!range) return false;
  range->device->Read(addr - range->base, data);
  return true;
}

bool Bus::Write(uint64_t addr, std::span<const uint8_t> data) const {
  const Range* range = Find(addr, data.size());
  if (!range) return false;
  range->device->Write(addr - range->base, data);
  return true;
}

}  // namespace hull::devices
