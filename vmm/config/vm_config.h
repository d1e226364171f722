// VmConfig: everything hull-vmm needs to build and boot one VM, whether it came from
// command-line flags or from a JSON config file (Firecracker's config-file format for
// the parts the two share). Parsing lives in config_file.h and flags.h; this struct is
// plain data, validated by ValidateVmConfig.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::vmm {

enum class MemoryBacking { kAnonymous, kMemfd };
enum class HugePages { kNone, k2M };
enum class SerialOutput { kStdout, kFile, kPty, kNone };

struct CpuidMask {
  uint32_t leaf = 0;
  std::optional<uint32_t> subleaf;  // none: every subleaf of the leaf
  // Register to clear bits in: "eax", "ebx", "ecx" or "edx".
  std::string reg;
  uint32_t clear_bits = 0;
};

struct VmConfig {
  // boot-source
  std::string kernel_image_path;
  std::string initrd_path;  // empty: none
  std::string boot_args;    // kernel command line; empty: default_boot_args()

  // machine-config
  uint32_t vcpu_count = 1;
  uint64_t mem_size_mib = 128;
  bool smt = false;
  HugePages huge_pages = HugePages::kNone;
  MemoryBacking memory_backing = MemoryBacking::kAnonymous;

  // entropy: a virtio-rng device fed from getrandom(2) (--entropy)
  bool entropy = false;

  // hull extensions ("hull" section in the config file)
  SerialOutput serial_output = SerialOutput::kStdout;
  std::string serial_path;            // file path for kFile
  std::vector<CpuidMask> cpuid_masks;
  double timeout_seconds = 0;         // 0: no timeout

  static std::string default_boot_args() {
    return "console=ttyS0 reboot=k panic=1 nomodule i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";
  }
};

inline constexpr uint32_t kMaxVcpus = 254;

// Checks ranges and required fields; the error names the field ("machine-config.vcpu_count
// must be between 1 and 254, got 0").
[[nodiscard]] base::Status ValidateVmConfig(const VmConfig& config);

}  // namespace hull::vmm
