// The CPU state the test guest was handed at its 64-bit entry point, saved by head.S
// before the guest touches anything, and read by the bootstate report (boot_state.c).
// Shared between assembly and C; the offsets below are checked against the C struct.
#ifndef HULL_TESTS_GUESTS_ENTRY_STATE_H_
#define HULL_TESTS_GUESTS_ENTRY_STATE_H_

#define ENTRY_STATE_RSI 0
#define ENTRY_STATE_RSP 8
#define ENTRY_STATE_RFLAGS 16
#define ENTRY_STATE_CR0 24
#define ENTRY_STATE_CR3 32
#define ENTRY_STATE_CR4 40
#define ENTRY_STATE_EFER 48
#define ENTRY_STATE_CS 56
#define ENTRY_STATE_DS 58
#define ENTRY_STATE_SS 60
#define ENTRY_STATE_VIA_STARTUP_32 64
#define ENTRY_STATE_SIZE 72

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct entry_state {
  uint64_t rsi;  // boot_params, as the boot protocol hands it over
  uint64_t rsp;
  uint64_t rflags;
  uint64_t cr0;
  uint64_t cr3;
  uint64_t cr4;
  uint64_t efer;
  uint16_t cs;
  uint16_t ds;
  uint16_t ss;
  uint16_t pad;
  // 1 when a 32-bit loader entered startup_32 (the bzImage path under QEMU) and
  // startup_32 built the long-mode state itself; 0 when the loader entered
  // startup_64 directly (hull-vmm, for both images).
  uint32_t via_startup_32;
  uint32_t pad2;
};

_Static_assert(offsetof(struct entry_state, rsi) == ENTRY_STATE_RSI, "rsi");
_Static_assert(offsetof(struct entry_state, rsp) == ENTRY_STATE_RSP, "rsp");
_Static_assert(offsetof(struct entry_state, rflags) == ENTRY_STATE_RFLAGS, "rflags");
_Static_assert(offsetof(struct entry_state, cr0) == ENTRY_STATE_CR0, "cr0");
_Static_assert(offsetof(struct entry_state, cr3) == ENTRY_STATE_CR3, "cr3");
_Static_assert(offsetof(struct entry_state, cr4) == ENTRY_STATE_CR4, "cr4");
_Static_assert(offsetof(struct entry_state, efer) == ENTRY_STATE_EFER, "efer");
_Static_assert(offsetof(struct entry_state, cs) == ENTRY_STATE_CS, "cs");
_Static_assert(offsetof(struct entry_state, ds) == ENTRY_STATE_DS, "ds");
_Static_assert(offsetof(struct entry_state, ss) == ENTRY_STATE_SS, "ss");
_Static_assert(offsetof(struct entry_state, via_startup_32) == ENTRY_STATE_VIA_STARTUP_32,
               "via_startup_32");
_Static_assert(sizeof(struct entry_state) == ENTRY_STATE_SIZE, "size");

// Defined in head.S (in .data, so zeroing .bss leaves it alone).
extern struct entry_state hull_entry_state;
#endif

#endif  // HULL_TESTS_GUESTS_ENTRY_STATE_H_
