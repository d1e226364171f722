#include "vmm/cpu/msrs.h"

namespace hull::vmm::cpu {

std::vector<kvm::MsrValue> BootMsrs() {
  constexpr uint64_t kMiscEnableFastString = 1;
  constexpr uint64_t kMtrrEnable = 1u << 11;
  constexpr uint64_t kMtrrTypeWriteBack = 6;
  return {
      {kMsrIa32SysenterCs, 0},
      {kMsrIa32SysenterEsp, 0},
      {kMsrIa32SysenterEip, 0},
      {kMsrStar, 0},
      {kMsrCstar, 0},
      {kMsrKernelGsBase, 0},
      {kMsrSyscallMask, 0},
      {kMsrLstar, 0},
      {kMsrIa32Tsc, 0},
      {kMsrIa32MiscEnable, kMiscEnableFastString},
      {kMsrMtrrDefType, kMtrrEnable | kMtrrTypeWriteBack},
  };
}

}  // namespace hull::vmm::cpu
