// Bus: the address map from guest port-I/O or MMIO addresses to device models. The
// VMM builds one Bus for port I/O and one for MMIO, and its vCPU threads dispatch each
// KVM_EXIT_IO / KVM_EXIT_MMIO access through them; devices implement BusDevice.
//
// Thread-safety: a Bus is populated (Insert) before any vCPU starts and is read-only
// afterwards, so Read/Write take no lock and may run on several vCPU threads at once.
// Each BusDevice therefore locks its own state.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>

#include "base/status.h"

namespace hull::devices {

// One guest-visible register window. Read/Write may be called concurrently from
// several vCPU threads; `offset` is relative to the base the device was inserted at,
// and the access [offset, offset + data.size()) always lies inside its window.
class BusDevice {
 public:
  virtual ~BusDevice();
  virtual void Read(uint64_t offset, std::span<uint8_t> data) = 0;
  virtual void Write(uint64_t offset, std::span<const uint8_t> data) = 0;
};

class Bus {
 public:
  // Maps [base, base + len) to `device`. Fails on a null device, zero length, a range
  // that wraps past 2^64, or an overlap with a range already mapped.
  [[nodiscard]] base::Status Insert(std::shared_ptr<BusDevice> device, uint64_t base,
                                    uint64_t len);

  // Dispatch one guest access. Return false when no single device maps every byte of
  // [addr, addr + data.size()) — nothing mapped, or the access crosses a range's end;
  // the caller logs it and, for a read, fills `data` with 0xff (floating bus).
  bool Read(uint64_t addr, std::span<uint8_t> data) const;
  bool Write(uint64_t addr, std::span<const uint8_t> data) const;

 private:
  struct Range {
    uint64_t base;
    uint64_t last;  // inclusive, so a range may end at 2^64 - 1
    std::shared_ptr<BusDevice> device;
  };
  // The range holding all of [addr, addr + size), or null.
  const Range* Find(uint64_t addr, uint64_t size) const;

  std::map<uint64_t, Range> ranges_;  // keyed by base
};

}  // namespace hull::devices
