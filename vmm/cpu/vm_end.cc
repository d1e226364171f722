#include "vmm/cpu/vm_end.h"

#include <cstring>

namespace hull::vmm {

int ExitStatusFor(const VmEnd& end) {
  switch (end.kind) {
    case VmEndKind::kExitPort:
      return end.value > kExitStatusGuestMax ? kExitStatusGuestMax : static_cast<int>(end.value);
    case VmEndKind::kReset: return kExitStatusReset;
    case VmEndKind::kPowerOff: return kExitStatusPowerOff;
    case VmEndKind::kTripleFault: return kExitStatusTripleFault;
    case VmEndKind::kInternalError: return kExitStatusInternalError;
    case VmEndKind::kUnsupported: return kExitStatusUnsupported;
    case VmEndKind::kTimeout: return kExitStatusTimeout;
    case VmEndKind::kSignal: return 128 + static_cast<int>(end.value);
    case VmEndKind::kVmmError: return kExitStatusVmmError;
  }
  return kExitStatusVmmError;
}

std::string DescribeVmEnd(const VmEnd& end) {
  std::string text;
  switch (end.kind) {
    case VmEndKind::kExitPort:
      text = "guest exited with status " + std::to_string(end.value);
      if (end.value > kExitStatusGuestMax) text += " (reported as 127)";
      break;
    case VmEndKind::kReset: text = "guest requested a reset"; break;
    case VmEndKind::kPowerOff: text = "guest powered off"; break;
    case VmEndKind::kTripleFault: text = "guest triple-faulted (shutdown)"; break;
    case VmEndKind::kInternalError: text = "KVM could not run the guest"; break;
    case VmEndKind::kUnsupported: text = "guest did something hull-vmm does not support"; break;
    case VmEndKind::kTimeout: text = "timed out"; break;
    case VmEndKind::kSignal:
      text = std::string("stopped by signal SIG") + sigabbrev_np(static_cast<int>(end.value));
      break;
    case VmEndKind::kVmmError: text = "hull-vmm failed"; break;
  }
  if (!end.detail.empty()) text += ": " + end.detail;
  return text;
}

}  // namespace hull::vmm
