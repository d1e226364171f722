// Unsigned numbers written as text ("4096", "0x80000001"), shared by the config-file
// and flag parsers so both accept the same spellings. Internal to vmm/config.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hull::vmm::internal {

// Decimal, or hexadecimal after "0x"/"0X". No sign, no spaces, no trailing text; none
// on overflow of 64 bits.
inline std::optional<uint64_t> ParseUnsignedText(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty() || text[0] == '+' || text[0] == '-') return std::nullopt;
  uint64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (err != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace hull::vmm::internal
