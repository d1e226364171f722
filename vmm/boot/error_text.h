// How vmm/boot writes addresses and sizes into its one-line error messages, so every
// boot error reads the same way ("0x100000", "64 MiB"). Internal to vmm/boot.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>

#include "base/hex.h"

namespace hull::vmm::boot {

using base::Hex;

// An exact size: "64 MiB", "512 KiB" or "1000 bytes".
inline std::string SizeText(uint64_t bytes) {
  if (bytes != 0 && bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes != 0 && bytes % (1 << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// Whole MiB, rounded up, so that "needs N MiB" is never an understatement.
inline std::string MiB(uint64_t bytes) {
  return std::to_string(bytes / (1 << 20) + (bytes % (1 << 20) != 0 ? 1 : 0)) + " MiB";
}

}  // namespace hull::vmm::boot
