// Declarations shared by the test guest's C files: port I/O, the COM1 console and its
// number formats, command-line tokens, and the mode entry points. Freestanding: no libc.
#ifndef HULL_TESTS_GUESTS_GUEST_H_
#define HULL_TESTS_GUESTS_GUEST_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry_state.h"

// Legacy devices of hull-vmm (and of QEMU with -device isa-debug-exit,iobase=0xf4).
#define COM1_BASE 0x3f8
#define EXIT_PORT 0xf4
#define I8042_COMMAND_PORT 0x64
#define I8042_PULSE_RESET 0xfe

// Status used when the guest takes an exception it did not ask for.
#define EXIT_STATUS_EXCEPTION 98
// Status for a missing or unknown hulltest.mode.
#define EXIT_STATUS_UNKNOWN_MODE 99

static inline void outb(uint16_t port, uint8_t value) {
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t value) {
  __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

// Turns a guest-physical address (identity-mapped below 4 GiB) into a pointer. The
// empty asm hides the constant from the compiler, which would otherwise warn about
// "array bounds" at low fixed addresses such as the BIOS data area.
static inline uintptr_t phys_ptr(uint64_t addr) {
  uintptr_t p = (uintptr_t)addr;
  __asm__("" : "+r"(p));
  return p;
}
// Reads guest-physical memory. Volatile, so the compiler neither assumes anything
// about what is there nor merges accesses; x86 allows the unaligned ones.
static inline uint8_t peek8(uint64_t addr) { return *(const volatile uint8_t*)phys_ptr(addr); }
static inline uint16_t peek16(uint64_t addr) {
  return *(const volatile uint16_t*)phys_ptr(addr);
}
static inline uint32_t peek32(uint64_t addr) {
  return *(const volatile uint32_t*)phys_ptr(addr);
}
static inline uint64_t peek64(uint64_t addr) {
  return *(const volatile uint64_t*)phys_ptr(addr);
}
// True when [addr, addr + size) lies inside the identity-mapped first 4 GiB.
static inline bool phys_mapped(uint64_t addr, uint64_t size) {
  const uint64_t kMappedEnd = 1ull << 32;
  return addr <= kMappedEnd && size <= kMappedEnd - addr;
}

// console.c: COM1 output. Bytes go out exactly as given (no \n -> \r\n).
void put_char(char c);
void put_str(const char* s);
void put_hex(uint64_t value);  // "0x" + lowercase hex digits, no leading zeros
void put_dec(uint64_t value);
// Each prints one "key=value\n" line.
void put_kv_hex(const char* key, uint64_t value);
void put_kv_dec(const char* key, uint64_t value);
void put_kv_str(const char* key, const char* value);
// Prints `len` bytes from guest-physical `addr`, each printable ASCII byte (0x20..0x7e)
// as itself and any other byte as '.'.
void put_phys_text(uint64_t addr, uint64_t len);

// cmdline.c: the kernel command line as `hulltest.*` tokens.
struct cmdline {
  uint64_t addr;  // guest-physical; 0 when there is none
  uint32_t len;   // bytes before the NUL (at most CMDLINE_MAX)
};
#define CMDLINE_MAX 2048
struct cmdline cmdline_from_boot_params(uint64_t boot_params);
// Finds the token "<key>=value"; returns true and the value's address and length.
bool cmdline_value(const struct cmdline* cmdline, const char* key, uint64_t* value,
                   uint32_t* value_len);
// True when the value of `key` is exactly `expected`.
bool cmdline_value_is(const struct cmdline* cmdline, const char* key, const char* expected);
// Parses the decimal value of `key`; false when absent, empty, not decimal or too big.
bool cmdline_decimal(const struct cmdline* cmdline, const char* key, uint64_t* out);

// boot_state.c / mp_table.c: the `bootstate` mode's report.
void report_boot_state(const struct entry_state* entry);
void report_mp_table(void);

// main.c
// Called by head.S's startup_64 with the state it saved; runs the chosen mode.
void guest_main(const struct entry_state* entry);
// Called by head.S's exception stubs; frame = vector, error code, rip, cs, rflags, ...
_Noreturn void guest_exception(const uint64_t* frame);
// Ends the VM through the exit port.
_Noreturn void exit_vm(uint32_t status);
// virtio.c: mode "virtio".
_Noreturn void mode_virtio(void);
// rng.c: mode "rng".
_Noreturn void mode_rng(const struct cmdline* cmdline);
// blk.c: mode "blk".
_Noreturn void mode_blk(const struct cmdline* cmdline);
// net.c: mode "net".
_Noreturn void mode_net(const struct cmdline* cmdline);
// vsock.c: mode "vsock".
_Noreturn void mode_vsock(const struct cmdline* cmdline);
// hostile.c: mode "hostile".
_Noreturn void mode_hostile(const struct cmdline* cmdline);

#endif  // HULL_TESTS_GUESTS_GUEST_H_
