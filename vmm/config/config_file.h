// hull-vmm's JSON config file (--config): Firecracker's config-file format for the
// sections the two share, plus a "hull" section. Called by ParseVmmFlags (flags.h) and
// by anything that hands hull-vmm a config file. The format is described in
// docs/hull-vmm-config.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/logging.h"
#include "base/status.h"
#include "vmm/config/vm_config.h"

namespace hull::vmm {

// What a config file says besides the VM itself.
struct ConfigFileExtras {
  std::optional<base::LogLevel> log_level;  // from logger.level
  // Settings that were accepted but have no effect in hull-vmm ("logger.log_path is
  // ignored: ..."). The caller decides how to show them.
  std::vector<std::string> notes;
};

// Parses a config file's text. Unknown fields, wrong types, out-of-range numbers and
// sections hull-vmm does not implement are errors that name the field. Fields the
// file leaves out keep VmConfig's defaults. The result is not yet validated as a whole
// (the kernel may still come from a flag): call ValidateVmConfig before using it.
// `extras`, when given, receives the logger level and notes.
[[nodiscard]] base::Result<VmConfig> ParseConfigFile(const std::string& json_text,
                                                     ConfigFileExtras* extras = nullptr);

// Reads `path` and parses it; errors start with the path.
[[nodiscard]] base::Result<VmConfig> LoadConfigFile(const std::string& path,
                                                    ConfigFileExtras* extras = nullptr);

// Writes `config` as a config file that ParseConfigFile reads back to the same
// VmConfig: for callers (the VM runtime, tests) that start hull-vmm with --config.
// Fails only for strings JSON cannot hold (not UTF-8).
[[nodiscard]] base::Result<std::string> FormatConfigFile(const VmConfig& config);

}  // namespace hull::vmm
