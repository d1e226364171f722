// ExitPort: the I/O port through which a guest reports its exit status and stops the
// VM. Test guests and hull-init execute `outl status, 0xf4` (movl $status, %eax;
// outl %eax, $0xf4); 0xf4 is the default iobase of QEMU's isa-debug-exit, so one guest
// runs under both hull-vmm and QEMU. Note QEMU then exits with (status << 1) | 1,
// while hull hands `status` itself to the callback. Called by vCPU threads.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "devices/bus.h"

namespace hull::devices::legacy {

inline constexpr uint64_t kExitPortBase = 0xf4;
inline constexpr uint64_t kExitPortLength = 4;

class ExitPort : public BusDevice {
 public:
  // `on_exit` receives the little-endian value of a 1-, 2- or 4-byte write at offset
  // 0. It runs on the writing vCPU thread and must be thread-safe (two vCPUs may exit
  // at once); it should ask the VMM to stop rather than stop it itself.
  explicit ExitPort(std::function<void(uint32_t status)> on_exit);

  // Reads float (0xff) as on a write-only ISA port; other writes are ignored.
  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

 private:
  const std::function<void(uint32_t)> on_exit_;  // immutable: no lock needed
};

}  // namespace hull::devices::legacy
