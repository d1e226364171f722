// The initramfs for the "qemu microvm, kernel booted directly" peer: the benchmark
// image's whole tree plus an /init script that mounts /proc and /dev, runs one command
// and reboots (which ends QEMU, started with -no-reboot). So that peer runs the same
// kernel and the same binaries as hull's VM runtime, with no hull-init, no disks and no
// host channel. Called by the runtime's argv builder, once per instance.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace hull::bench {

// What /init prints after the command: this, then its exit status.
inline constexpr char kExitLine[] = "hull-bench-exit=";

// The /init script that runs `command`.
std::string InitScript(const std::vector<std::string>& command);

base::Status WriteTreeInitramfs(const std::string& path, const std::string& tree,
                                const std::vector<std::string>& command);

}  // namespace hull::bench
