// COM1 output for the test guest, polled (interrupts stay off), plus the number and
// key=value formats that the tests parse (see README.md, "Output format").
#include "guest.h"

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

// A UART that never reports THR empty must not hang the guest: give up waiting after
// this many polls and write anyway.
#define THRE_POLL_LIMIT 100000

void put_char(char c) {
  for (int i = 0; i < THRE_POLL_LIMIT; i++) {
    if (inb(COM1_BASE + UART_LSR) & UART_LSR_THRE) break;
  }
  outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void put_str(const char* s) {
  while (*s) put_char(*s++);
}

void put_hex(uint64_t value) {
  static const char kDigits[] = "0123456789abcdef";
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kDigits[value & 0xf];
    value >>= 4;
  } while (value != 0);
  put_str("0x");
  while (n > 0) put_char(buf[--n]);
}

void put_dec(uint64_t value) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) put_char(buf[--n]);
}

void put_kv_hex(const char* key, uint64_t value) {
  put_str(key);
  put_char('=');
  put_hex(value);
  put_char('\n');
}

void put_kv_dec(const char* key, uint64_t value) {
  put_str(key);
  put_char('=');
  put_dec(value);
  put_char('\n');
}

void put_kv_str(const char* key, const char* value) {
  put_str(key);
  put_char('=');
  put_str(value);
  put_char('\n');
}

void put_phys_text(uint64_t addr, uint64_t len) {
  for (uint64_t i = 0; i < len; i++) {
    uint8_t c = peek8(addr + i);
    put_char(c >= 0x20 && c <= 0x7e ? (char)c : '.');
  }
}
