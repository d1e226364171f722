// The model-specific registers a Linux guest expects at its 64-bit entry, set on every
// vCPU before it first runs: SYSCALL/SYSENTER MSRs cleared, the TSC at zero, fast
// strings enabled, and write-back as the default memory type.
#pragma once

#include <vector>

#include "vmm/kvm/kvm_types.h"

namespace hull::vmm::cpu {

inline constexpr uint32_t kMsrIa32Tsc = 0x10;
inline constexpr uint32_t kMsrIa32SysenterCs = 0x174;
inline constexpr uint32_t kMsrIa32SysenterEsp = 0x175;
inline constexpr uint32_t kMsrIa32SysenterEip = 0x176;
inline constexpr uint32_t kMsrIa32MiscEnable = 0x1a0;
inline constexpr uint32_t kMsrMtrrDefType = 0x2ff;
inline constexpr uint32_t kMsrEfer = 0xc0000080;
inline constexpr uint32_t kMsrStar = 0xc0000081;
inline constexpr uint32_t kMsrLstar = 0xc0000082;
inline constexpr uint32_t kMsrCstar = 0xc0000083;
inline constexpr uint32_t kMsrSyscallMask = 0xc0000084;
inline constexpr uint32_t kMsrKernelGsBase = 0xc0000102;

std::vector<kvm::MsrValue> BootMsrs();

}  // namespace hull::vmm::cpu
