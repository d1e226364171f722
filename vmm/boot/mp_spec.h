// The wire format of the Intel MultiProcessor Specification 1.4 (chapter 4, "MP
// Configuration Table"): the floating pointer structure, the configuration table
// header and its base entries. There is no uapi header for these; mptable.cc writes
// them and the tests read them back.
#pragma once

#include <cstdint>

namespace hull::vmm::boot::mp {

inline constexpr char kFloatingPointerSignature[4] = {'_', 'M', 'P', '_'};
inline constexpr char kConfigTableSignature[4] = {'P', 'C', 'M', 'P'};
inline constexpr uint8_t kSpecRev14 = 4;

// Base table entry types (§4.3), in the order the table lists them.
inline constexpr uint8_t kEntryProcessor = 0;
inline constexpr uint8_t kEntryBus = 1;
inline constexpr uint8_t kEntryIoApic = 2;
inline constexpr uint8_t kEntryIoInterrupt = 3;
inline constexpr uint8_t kEntryLocalInterrupt = 4;

inline constexpr uint8_t kCpuEnabled = 1 << 0;
inline constexpr uint8_t kCpuBootstrap = 1 << 1;
inline constexpr uint8_t kIoApicEnabled = 1 << 0;

// Interrupt types (§4.3.4, Table 4-10).
inline constexpr uint8_t kInterruptInt = 0;
inline constexpr uint8_t kInterruptNmi = 1;
inline constexpr uint8_t kInterruptExtInt = 3;
// Polarity and trigger mode "conforms to the bus" (§4.3.4).
inline constexpr uint16_t kInterruptFlagsConforming = 0;

struct [[gnu::packed]] FloatingPointer {  // §4.1
  char signature[4];
  uint32_t config_table_address;
  uint8_t length;  // in 16-byte paragraphs: 1
  uint8_t spec_rev;
  uint8_t checksum;  // all 16 bytes sum to 0
  uint8_t feature[5];  // feature[0] == 0: a configuration table is present
};

struct [[gnu::packed]] ConfigTableHeader {  // §4.2
  char signature[4];
  uint16_t base_table_length;  // header plus base entries
  uint8_t spec_rev;
  uint8_t checksum;  // the base table sums to 0
  char oem_id[8];
  char product_id[12];
  uint32_t oem_table_address;
  uint16_t oem_table_size;
  uint16_t entry_count;
  uint32_t lapic_address;
  uint16_t extended_table_length;
  uint8_t extended_table_checksum;
  uint8_t reserved;
};

struct [[gnu::packed]] ProcessorEntry {  // §4.3.1
  uint8_t type;
  uint8_t lapic_id;
  uint8_t lapic_version;
  uint8_t cpu_flags;
  uint32_t cpu_signature;
  uint32_t feature_flags;
  uint32_t reserved[2];
};

struct [[gnu::packed]] BusEntry {  // §4.3.2
  uint8_t type;
  uint8_t bus_id;
  char bus_type[6];
};

struct [[gnu::packed]] IoApicEntry {  // §4.3.3
  uint8_t type;
  uint8_t ioapic_id;
  uint8_t ioapic_version;
  uint8_t flags;
  uint32_t address;
};

struct [[gnu::packed]] IoInterruptEntry {  // §4.3.4
  uint8_t type;
  uint8_t interrupt_type;
  uint16_t flags;
  uint8_t source_bus_id;
  uint8_t source_bus_irq;
  uint8_t dest_ioapic_id;
  uint8_t dest_ioapic_intin;
};

struct [[gnu::packed]] LocalInterruptEntry {  // §4.3.5
  uint8_t type;
  uint8_t interrupt_type;
  uint16_t flags;
  uint8_t source_bus_id;
  uint8_t source_bus_irq;
  uint8_t dest_lapic_id;  // 0xff: every local APIC
  uint8_t dest_lapic_lintin;
};

static_assert(sizeof(FloatingPointer) == 16);
static_assert(sizeof(ConfigTableHeader) == 44);
static_assert(sizeof(ProcessorEntry) == 20);
static_assert(sizeof(BusEntry) == 8);
static_assert(sizeof(IoApicEntry) == 8);
static_assert(sizeof(IoInterruptEntry) == 8);
static_assert(sizeof(LocalInterruptEntry) == 8);

}  // namespace hull::vmm::boot::mp
