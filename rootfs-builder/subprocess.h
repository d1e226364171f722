// Runs a helper program (mkfs.ext4) to completion and captures what it printed, so a
// failure can be reported in one line. posix_spawn; no shell.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace hull::rootfs {

// Runs argv[0] (looked up in PATH, then /sbin and /usr/sbin); an error unless it exits 0,
// carrying the program's last output line.
base::Status RunProgram(const std::vector<std::string>& argv);

}  // namespace hull::rootfs
