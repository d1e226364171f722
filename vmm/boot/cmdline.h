// Checks the kernel command line and writes it, NUL-terminated, at
// layout::kCmdlineStart, where boot_params.hdr.cmd_line_ptr points (Linux x86 boot
// protocol, "cmd_line_ptr" / "cmdline_size"). Called by PrepareBoot (boot.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "devices/guest_memory.h"

namespace hull::vmm::boot {

// The longest command line hull passes to a kernel whose limit is `kernel_max_length`
// (not counting the NUL): the kernel's limit, capped by the space layout.h reserves.
uint32_t EffectiveCmdlineMaxLength(uint32_t kernel_max_length);

// Rejects a command line longer than the effective limit, or containing a NUL or
// another control byte (the kernel splits on spaces; the rest is the user's mistake).
[[nodiscard]] base::Status ValidateCmdline(std::string_view cmdline, uint32_t kernel_max_length);

// Validates, then writes `cmdline` and its terminating NUL at layout::kCmdlineStart.
[[nodiscard]] base::Status WriteCmdline(std::string_view cmdline, uint32_t kernel_max_length,
                                        const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
