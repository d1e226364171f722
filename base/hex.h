// Hex: how hull writes addresses, ports and register values into log lines and error
// messages ("0xd0000000"), the same way everywhere.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>

namespace hull::base {

inline std::string Hex(uint64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

}  // namespace hull::base
