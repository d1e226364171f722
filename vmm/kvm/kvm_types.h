// KVM-independent descriptions of what hull-vmm exchanges with KVM: CPUID entries,
// MSR values and vCPU exits. vmm/kvm converts these to and from linux/kvm.h, so that
// no other code includes that header (DESIGN.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace hull::vmm::kvm {

struct CpuidEntry {
  uint32_t function = 0;
  uint32_t index = 0;
  uint32_t flags = 0;  // kCpuidFlagSignificantIndex when index selects a subleaf
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};
inline constexpr uint32_t kCpuidFlagSignificantIndex = 1;  // KVM_CPUID_FLAG_SIGNIFCANT_INDEX

struct MsrValue {
  uint32_t index = 0;
  uint64_t value = 0;
};

// Why KVM_RUN returned. Data spans point into the vCPU's shared kvm_run page and are
// valid until the next Run() on that vCPU.
struct VcpuExit {
  enum class Kind {
    kIoIn,           // port, size, count, data: fill data (size * count bytes)
    kIoOut,          // port, size, count, data: bytes the guest wrote
    kMmioRead,       // address, data (fill)
    kMmioWrite,      // address, data
    kHlt,
    kShutdown,       // triple fault or other shutdown condition
    kSystemReset,    // KVM_SYSTEM_EVENT_RESET
    kSystemShutdown, // KVM_SYSTEM_EVENT_SHUTDOWN
    kInternalError,  // code = suberror (1: emulation failure)
    kFailEntry,      // code = hardware entry failure reason
    kInterrupted,    // KVM_RUN returned EINTR (a kick, or immediate_exit)
    kUnknown,        // code = KVM exit reason
  };
  Kind kind = Kind::kUnknown;
  uint64_t address = 0;  // port or guest-physical address
  uint32_t size = 0;     // bytes per access
  uint32_t count = 1;    // repetitions (string I/O)
  uint64_t code = 0;
  std::span<uint8_t> data;
};

std::string DescribeExit(const VcpuExit& exit);

}  // namespace hull::vmm::kvm
