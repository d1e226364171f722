// The `bootstate` mode: reports the CPU state the guest was entered with, the
// boot_params (zero page) it was handed, the initrd, the e820 map, the MP table and
// CPUID, one "key=value" line each (README.md, "bootstate"). The structure layout is
// the Linux boot protocol's <asm/bootparam.h>.
#include <asm/bootparam.h>

#include "guest.h"

#define X86_RFLAGS_IF (1u << 9)
#define FNV1A_32_OFFSET_BASIS 0x811c9dc5u
#define FNV1A_32_PRIME 0x01000193u
#define INITRD_HEAD_BYTES 16

#define BP(field) offsetof(struct boot_params, field)

static void report_entry(const struct entry_state* entry) {
  put_kv_str("entry", entry->via_startup_32 ? "startup_32" : "startup_64");
  put_kv_hex("rsi", entry->rsi);
  put_kv_hex("rsp", entry->rsp);
  put_kv_hex("cs", entry->cs);
  put_kv_hex("ds", entry->ds);
  put_kv_hex("ss", entry->ss);
  put_kv_hex("cr0", entry->cr0);
  put_kv_hex("cr3", entry->cr3);
  put_kv_hex("cr4", entry->cr4);
  put_kv_hex("efer", entry->efer);
  put_kv_hex("rflags", entry->rflags);
  put_kv_dec("rflags_if", (entry->rflags & X86_RFLAGS_IF) ? 1 : 0);
}

static uint32_t fnv1a_32(uint64_t addr, uint64_t size) {
  uint32_t hash = FNV1A_32_OFFSET_BASIS;
  for (uint64_t i = 0; i < size; i++) {
    hash ^= peek8(addr + i);
    hash *= FNV1A_32_PRIME;
  }
  return hash;
}

static void report_initrd(uint64_t bp) {
  uint64_t image = peek32(bp + BP(hdr.ramdisk_image)) |
                   (uint64_t)peek32(bp + BP(ext_ramdisk_image)) << 32;
  uint64_t size = peek32(bp + BP(hdr.ramdisk_size)) |
                  (uint64_t)peek32(bp + BP(ext_ramdisk_size)) << 32;
  put_kv_hex("ramdisk_image", peek32(bp + BP(hdr.ramdisk_image)));
  put_kv_hex("ramdisk_size", peek32(bp + BP(hdr.ramdisk_size)));
  put_kv_hex("ext_ramdisk_image", peek32(bp + BP(ext_ramdisk_image)));
  put_kv_hex("ext_ramdisk_size", peek32(bp + BP(ext_ramdisk_size)));
  if (!phys_mapped(image, size)) {
    put_kv_str("initrd_fnv1a", "unmapped");
    put_kv_str("initrd_head", "");
    return;
  }
  put_kv_hex("initrd_fnv1a", fnv1a_32(image, size));
  put_str("initrd_head=");
  put_phys_text(image, size < INITRD_HEAD_BYTES ? size : INITRD_HEAD_BYTES);
  put_char('\n');
}

static void report_e820(uint64_t bp) {
  uint32_t entries = peek8(bp + BP(e820_entries));
  put_kv_dec("e820_entries", entries);
  if (entries > E820_MAX_ENTRIES_ZEROPAGE) entries = E820_MAX_ENTRIES_ZEROPAGE;
  for (uint32_t i = 0; i < entries; i++) {
    uint64_t entry = bp + BP(e820_table) + i * sizeof(struct boot_e820_entry);
    put_str("e820.");
    put_dec(i);
    put_char('=');
    put_hex(peek64(entry + offsetof(struct boot_e820_entry, addr)));
    put_char(',');
    put_hex(peek64(entry + offsetof(struct boot_e820_entry, size)));
    put_char(',');
    put_dec(peek32(entry + offsetof(struct boot_e820_entry, type)));
    put_char('\n');
  }
}

static void report_boot_params(uint64_t bp) {
  if (bp == 0 || !phys_mapped(bp, sizeof(struct boot_params))) {
    put_kv_dec("boot_params_valid", 0);
    return;
  }
  put_kv_dec("boot_params_valid", 1);
  put_kv_hex("boot_flag", peek16(bp + BP(hdr.boot_flag)));
  put_kv_hex("header", peek32(bp + BP(hdr.header)));
  put_kv_hex("version", peek16(bp + BP(hdr.version)));
  put_kv_hex("type_of_loader", peek8(bp + BP(hdr.type_of_loader)));
  put_kv_hex("loadflags", peek8(bp + BP(hdr.loadflags)));
  put_kv_hex("code32_start", peek32(bp + BP(hdr.code32_start)));
  put_kv_hex("cmd_line_ptr", peek32(bp + BP(hdr.cmd_line_ptr)));
  put_kv_hex("ext_cmd_line_ptr", peek32(bp + BP(ext_cmd_line_ptr)));
  put_kv_hex("cmdline_size", peek32(bp + BP(hdr.cmdline_size)));
  struct cmdline cmdline = cmdline_from_boot_params(bp);
  put_str("cmdline=");
  put_phys_text(cmdline.addr, cmdline.len);
  put_char('\n');
  report_initrd(bp);
  report_e820(bp);
}

static void cpuid(uint32_t leaf, uint32_t* a, uint32_t* b, uint32_t* c, uint32_t* d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

// Prints the 12 signature bytes in register order r0, r1, r2, up to the first NUL.
static void put_signature(const char* key, uint32_t r0, uint32_t r1, uint32_t r2) {
  uint32_t regs[3] = {r0, r1, r2};
  put_str(key);
  put_char('=');
  for (int i = 0; i < 12; i++) {
    uint8_t c = (uint8_t)(regs[i / 4] >> (8 * (i % 4)));
    if (c == 0) break;
    put_char(c >= 0x20 && c <= 0x7e ? (char)c : '.');
  }
  put_char('\n');
}

static void report_cpuid(void) {
  uint32_t a, b, c, d;
  cpuid(0, &a, &b, &c, &d);
  put_signature("cpuid.vendor", b, d, c);
  put_kv_hex("cpuid.max_leaf", a);
  cpuid(1, &a, &b, &c, &d);
  put_kv_dec("cpuid.apic_id", b >> 24);
  put_kv_dec("cpuid.logical_count", (b >> 16) & 0xff);
  put_kv_dec("cpuid.hypervisor_bit", c >> 31);
  cpuid(0x40000000, &a, &b, &c, &d);
  put_signature("cpuid.hypervisor", b, c, d);
  put_kv_hex("cpuid.hypervisor_max_leaf", a);
}

void report_boot_state(const struct entry_state* entry) {
  report_entry(entry);
  report_boot_params(entry->rsi);
  report_mp_table();
  report_cpuid();
  put_str("done\n");
}
