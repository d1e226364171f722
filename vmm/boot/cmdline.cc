#include "vmm/boot/cmdline.h"

#include <algorithm>
#include <string>

#include "vmm/boot/error_text.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {

uint32_t EffectiveCmdlineMaxLength(uint32_t kernel_max_length) {
  return static_cast<uint32_t>(std::min<uint64_t>(kernel_max_length, layout::kCmdlineMaxSize - 1));
}

base::Status ValidateCmdline(std::string_view cmdline, uint32_t kernel_max_length) {
  uint32_t max = EffectiveCmdlineMaxLength(kernel_max_length);
  if (cmdline.size() > max) {
    return base::Status::Error("kernel command line is " + std::to_string(cmdline.size()) +
                               " bytes; this kernel accepts at most " + std::to_string(max));
  }
  for (size_t i = 0; i < cmdline.size(); ++i) {
    auto byte = static_cast<uint8_t>(cmdline[i]);
    if (byte == 0) {
      return base::Status::Error("kernel command line contains a NUL byte at offset " +
                                 std::to_string(i));
    }
    if (byte < 0x20 || byte == 0x7f) {
      return base::Status::Error("kernel command line contains the non-printable byte " +
                                 Hex(byte) + " at offset " + std::to_string(i));
    }
  }
  return base::Status::Ok();
}

base::Status WriteCmdline(std::string_view cmdline, uint32_t kernel_max_length,
                          const devices::GuestMemory& mem) {
  RETURN_IF_ERROR(ValidateCmdline(cmdline, kernel_max_length));
  RETURN_IF_ERROR(mem.Write(layout::kCmdlineStart, cmdline.data(), cmdline.size()));
  return mem.WriteObject<uint8_t>(layout::kCmdlineStart + cmdline.size(), 0);
}

}  // namespace hull::vmm::boot
