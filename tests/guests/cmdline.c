// The kernel command line, found through boot_params.hdr.cmd_line_ptr (plus
// ext_cmd_line_ptr, boot protocol 2.12), split into space-separated tokens.
#include <asm/bootparam.h>

#include "guest.h"

struct cmdline cmdline_from_boot_params(uint64_t boot_params) {
  struct cmdline result = {0, 0};
  if (boot_params == 0 || !phys_mapped(boot_params, sizeof(struct boot_params))) {
    return result;
  }
  uint64_t addr = peek32(boot_params + offsetof(struct boot_params, hdr.cmd_line_ptr)) |
                  (uint64_t)peek32(boot_params + offsetof(struct boot_params, ext_cmd_line_ptr))
                      << 32;
  if (addr == 0 || !phys_mapped(addr, CMDLINE_MAX)) return result;
  uint32_t len = 0;
  while (len < CMDLINE_MAX && peek8(addr + len) != 0) len++;
  result.addr = addr;
  result.len = len;
  return result;
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n'; }

bool cmdline_value(const struct cmdline* cmdline, const char* key, uint64_t* value,
                   uint32_t* value_len) {
  uint32_t i = 0;
  while (i < cmdline->len) {
    while (i < cmdline->len && is_space(peek8(cmdline->addr + i))) i++;
    uint32_t start = i;
    while (i < cmdline->len && !is_space(peek8(cmdline->addr + i))) i++;
    // Token is [start, i): does it begin with "<key>="?
    uint32_t k = 0;
    while (key[k] != 0 && start + k < i && peek8(cmdline->addr + start + k) == (uint8_t)key[k]) {
      k++;
    }
    if (key[k] == 0 && start + k < i && peek8(cmdline->addr + start + k) == '=') {
      *value = cmdline->addr + start + k + 1;
      *value_len = i - (start + k + 1);
      return true;
    }
  }
  return false;
}

bool cmdline_value_is(const struct cmdline* cmdline, const char* key, const char* expected) {
  uint64_t value;
  uint32_t len;
  if (!cmdline_value(cmdline, key, &value, &len)) return false;
  uint32_t i = 0;
  while (i < len && expected[i] != 0 && peek8(value + i) == (uint8_t)expected[i]) i++;
  return i == len && expected[i] == 0;
}

bool cmdline_decimal(const struct cmdline* cmdline, const char* key, uint64_t* out) {
  uint64_t value;
  uint32_t len;
  if (!cmdline_value(cmdline, key, &value, &len) || len == 0) return false;
  uint64_t n = 0;
  for (uint32_t i = 0; i < len; i++) {
    uint8_t c = peek8(value + i);
    if (c < '0' || c > '9') return false;
    uint64_t digit = c - '0';
    if (n > (UINT64_MAX - digit) / 10) return false;
    n = n * 10 + digit;
  }
  *out = n;
  return true;
}
