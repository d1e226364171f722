// hull-vmm's command line: turns argv into a validated VmConfig, reading --config first
// and letting the other flags override it. Called once by hull-vmm's main(); the flags
// are listed in docs/hull-vmm-config.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/logging.h"
#include "base/status.h"
#include "vmm/config/vm_config.h"

namespace hull::vmm {

struct VmmCommandLine {
  // Validated, unless help or version is set; with api_sock it may lack a kernel (the
  // API supplies one before InstanceStart).
  VmConfig config;
  std::string api_sock;  // --api-sock: serve the per-VM API on this Unix socket
  bool seccomp = true;   // false with --no-seccomp (vmm/seccomp/thread_filters.h)
  bool help = false;     // --help: print help_text and exit; nothing else was parsed
  bool version = false;  // --version: print the version and exit
  // --log-level, else the config file's logger.level; none: leave the level as it is
  // (HULL_LOG or the default).
  std::optional<base::LogLevel> log_level;
  std::string help_text;  // usage, the options, an example
  // Config-file settings that were accepted but have no effect; main() logs them.
  std::vector<std::string> notes;
};

// Parses argv (argv[0] is the program name). Every error is one line that says what to
// do ("unknown option --foo; see hull-vmm --help"); no exception escapes.
[[nodiscard]] base::Result<VmmCommandLine> ParseVmmFlags(int argc, const char* const* argv);

}  // namespace hull::vmm
