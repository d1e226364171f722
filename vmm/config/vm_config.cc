#include "vmm/config/vm_config.h"

#include <cmath>
#include <string>

namespace hull::vmm {
namespace {

using base::Status;

// 1 TiB: far above anything a micro-VM needs, low enough that a typo ("mem_size_mib":
// 5120000000) fails here with the field named instead of deep inside mmap.
constexpr uint64_t kMaxMemSizeMib = uint64_t{1} << 20;

Status CheckPath(const std::string& path, const char* field) {
  // JSON strings may carry "\u0000"; open(2) would silently stop at it.
  if (path.find('\0') != std::string::npos) {
    return Status::Error(std::string(field) + " contains a NUL byte");
  }
  return Status::Ok();
}

Status ValidateMachine(const VmConfig& config) {
  if (config.vcpu_count < 1 || config.vcpu_count > kMaxVcpus) {
    return Status::Error("machine-config.vcpu_count (--vcpus) must be between 1 and " +
                         std::to_string(kMaxVcpus) + ", got " +
                         std::to_string(config.vcpu_count));
  }
  // Same rule as Firecracker: with SMT every core has two threads.
  if (config.smt && config.vcpu_count > 1 && config.vcpu_count % 2 != 0) {
    return Status::Error("machine-config.vcpu_count must be 1 or even when smt is enabled, got " +
                         std::to_string(config.vcpu_count));
  }
  if (config.mem_size_mib < 1 || config.mem_size_mib > kMaxMemSizeMib) {
    return Status::Error("machine-config.mem_size_mib (--memory) must be between 1 and " +
                         std::to_string(kMaxMemSizeMib) + " MiB, got " +
                         std::to_string(config.mem_size_mib));
  }
  if (config.huge_pages == HugePages::k2M && config.mem_size_mib % 2 != 0) {
    return Status::Error(
        "machine-config.mem_size_mib must be a multiple of 2 with huge_pages \"2M\", got " +
        std::to_string(config.mem_size_mib));
  }
  return Status::Ok();
}

Status ValidateHull(const VmConfig& config) {
  if (config.serial_output == SerialOutput::kFile && config.serial_path.empty()) {
    return Status::Error(
        "hull.serial.path is required when hull.serial.output is \"file\" (--serial file:PATH)");
  }
  if (config.serial_output != SerialOutput::kFile && !config.serial_path.empty()) {
    return Status::Error("hull.serial.path is only valid when hull.serial.output is \"file\"");
  }
  RETURN_IF_ERROR(CheckPath(config.serial_path, "hull.serial.path"));
  for (size_t i = 0; i < config.cpuid_masks.size(); ++i) {
    const std::string& reg = config.cpuid_masks[i].reg;
    if (reg != "eax" && reg != "ebx" && reg != "ecx" && reg != "edx") {
      return Status::Error("hull.cpuid_masks[" + std::to_string(i) +
                           "].register must be eax, ebx, ecx or edx, got \"" + reg + "\"");
    }
  }
  // !(x >= 0) also catches NaN.
  if (!(config.timeout_seconds >= 0) || std::isinf(config.timeout_seconds)) {
    return Status::Error("hull.timeout_s (--timeout) must be a finite number >= 0, got " +
                         std::to_string(config.timeout_seconds));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateVmConfig(const VmConfig& config) {
  if (config.kernel_image_path.empty()) {
    return Status::Error("no kernel: give --kernel PATH or boot-source.kernel_image_path");
  }
  RETURN_IF_ERROR(CheckPath(config.kernel_image_path, "boot-source.kernel_image_path"));
  RETURN_IF_ERROR(CheckPath(config.initrd_path, "boot-source.initrd_path"));
  if (config.boot_args.find('\0') != std::string::npos) {
    return Status::Error("boot-source.boot_args contains a NUL byte");
  }
  RETURN_IF_ERROR(ValidateMachine(config));
  return ValidateHull(config);
}

}  // namespace hull::vmm
