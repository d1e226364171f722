// Finds and reports the Intel MultiProcessor Specification 1.4 tables: the floating
// pointer structure ("_MP_", spec 4.1) and the configuration table ("PCMP", spec 4.2)
// with its processor entries (spec 4.3.1). Searched where spec 4.1 says: the first KiB
// of the EBDA, the last KiB of base memory, and the BIOS ROM at 0xf0000-0xfffff.
#include "guest.h"

#define MPF_SIGNATURE 0x5f504d5fu  // "_MP_"
#define MPC_SIGNATURE 0x504d4350u  // "PCMP"
#define MPF_SIZE 16
#define MPC_HEADER_SIZE 44
#define MP_ENTRY_PROCESSOR 0
#define MP_PROCESSOR_ENTRY_SIZE 20
#define MP_OTHER_ENTRY_SIZE 8
#define MP_ENTRY_TYPE_MAX 4

#define BDA_EBDA_SEGMENT 0x40e
#define BDA_BASE_MEMORY_KIB 0x413
#define DEFAULT_BASE_MEMORY_END 0xa0000

static bool checksum_ok(uint64_t addr, uint32_t len) {
  uint8_t sum = 0;
  for (uint32_t i = 0; i < len; i++) sum += peek8(addr + i);
  return sum == 0;
}

static uint64_t scan(uint64_t start, uint64_t len) {
  for (uint64_t p = start; p + MPF_SIZE <= start + len; p += 16) {
    if (peek32(p) == MPF_SIGNATURE) return p;
  }
  return 0;
}

static uint64_t find_floating_pointer(void) {
  uint64_t ebda = (uint64_t)peek16(BDA_EBDA_SEGMENT) << 4;
  uint64_t base_end = (uint64_t)peek16(BDA_BASE_MEMORY_KIB) * 1024;
  if (base_end == 0 || base_end > DEFAULT_BASE_MEMORY_END) base_end = DEFAULT_BASE_MEMORY_END;
  uint64_t found = 0;
  if (ebda != 0 && ebda < DEFAULT_BASE_MEMORY_END) found = scan(ebda, 1024);
  if (!found) found = scan(base_end - 1024, 1024);
  if (!found) found = scan(0xf0000, 0x10000);
  return found;
}

static void report_processor(uint32_t index, uint64_t entry) {
  put_str("mp.cpu.");
  put_dec(index);
  put_char('=');
  put_dec(peek8(entry + 1));  // local APIC ID
  put_char(',');
  put_hex(peek8(entry + 3));  // CPU flags: bit 0 enabled, bit 1 bootstrap processor
  put_char('\n');
}

static void report_config_table(uint64_t mpc) {
  put_kv_hex("mp.config", mpc);
  if (mpc == 0 || !phys_mapped(mpc, MPC_HEADER_SIZE) || peek32(mpc) != MPC_SIGNATURE) {
    put_kv_dec("mp.config_found", 0);
    return;
  }
  put_kv_dec("mp.config_found", 1);
  uint32_t length = peek16(mpc + 4);
  bool sane = length >= MPC_HEADER_SIZE && phys_mapped(mpc, length);
  put_kv_dec("mp.config_checksum_ok", sane && checksum_ok(mpc, length));
  put_kv_hex("mp.lapic", peek32(mpc + 36));
  // The entry count in the header is not trusted (some firmware leaves it 0); like
  // Linux's smp_read_mpc, walk the entries up to the table's length.
  put_kv_dec("mp.entries", peek16(mpc + 34));
  uint32_t cpus = 0;
  uint64_t entry = mpc + MPC_HEADER_SIZE;
  uint64_t end = sane ? mpc + length : entry;
  while (entry < end) {
    uint8_t type = peek8(entry);
    if (type > MP_ENTRY_TYPE_MAX) break;  // unknown: its size is unknown too
    uint32_t size = type == MP_ENTRY_PROCESSOR ? MP_PROCESSOR_ENTRY_SIZE : MP_OTHER_ENTRY_SIZE;
    if (entry + size > end) break;
    if (type == MP_ENTRY_PROCESSOR) report_processor(cpus++, entry);
    entry += size;
  }
  put_kv_dec("mp.cpus", cpus);
}

void report_mp_table(void) {
  uint64_t mpf = find_floating_pointer();
  put_kv_dec("mp.found", mpf != 0);
  if (mpf == 0) return;
  put_kv_hex("mp.floating", mpf);
  uint32_t length = peek8(mpf + 8) * 16u;  // in 16-byte units
  put_kv_dec("mp.checksum_ok", length != 0 && checksum_ok(mpf, length));
  report_config_table(peek32(mpf + 4));
}
