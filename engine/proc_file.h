// Reading /proc files, whose size stat(2) reports as 0: read until end of file, bounded.
// Used by the engine to find a container's first process and to recognize its monitor.
#pragma once

#include <string>

#include "base/status.h"

namespace hull::engine {

base::Result<std::string> ReadProcFile(const std::string& path, size_t max_size = 1 << 16);

// The first child of `pid` (/proc/PID/task/PID/children), or 0.
int FirstChildOf(int pid);

// Whether process `pid` exists and its command line contains `needle` (so a reused pid
// is not mistaken for our monitor or supervisor).
bool ProcessMentions(int pid, const std::string& needle);

}  // namespace hull::engine
