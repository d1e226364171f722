#include "vmm/boot/mptable.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "vmm/boot/mp_spec.h"
#include "vmm/boot/test_kernel_images.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

uint8_t ByteSum(const std::vector<uint8_t>& bytes) {
  return static_cast<uint8_t>(std::accumulate(bytes.begin(), bytes.end(), 0u));
}

std::vector<uint8_t> ReadBytes(const devices::GuestMemory& mem, uint64_t addr, uint64_t len) {
  std::vector<uint8_t> out(len);
  EXPECT_TRUE(mem.Read(addr, out.data(), len).ok());
  return out;
}

template <typename T>
T At(const std::vector<uint8_t>& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

class MpTableTest : public ::testing::TestWithParam<uint32_t> {};

// Reads the table back as Linux's mpparse.c does: find the floating pointer, check
// both checksums, then walk the entries by type.
TEST_P(MpTableTest, DescribesEveryVcpuTheBusTheIoApicAndItsPins) {
  const uint32_t n = GetParam();
  testing::TestGuestMemory ram(2 << 20);
  ASSERT_TRUE(WriteMpTable(n, ram.mem()).ok());

  std::vector<uint8_t> fp_bytes = ReadBytes(ram.mem(), layout::kEbdaStart, 16);
  auto fp = At<mp::FloatingPointer>(fp_bytes, 0);
  EXPECT_EQ(std::memcmp(fp.signature, "_MP_", 4), 0);
  EXPECT_EQ(fp.length, 1);
  EXPECT_EQ(fp.spec_rev, 4);
  EXPECT_EQ(ByteSum(fp_bytes), 0);
  EXPECT_EQ(fp.feature[0], 0);  // a configuration table follows

  auto header = *ram.mem().ReadObject<mp::ConfigTableHeader>(fp.config_table_address);
  std::vector<uint8_t> table = ReadBytes(ram.mem(), fp.config_table_address, header.base_table_length);
  EXPECT_EQ(std::memcmp(header.signature, "PCMP", 4), 0);
  EXPECT_EQ(header.spec_rev, 4);
  EXPECT_EQ(ByteSum(table), 0);
  EXPECT_EQ(header.lapic_address, layout::kLapicStart);
  EXPECT_EQ(header.entry_count, n + 1 + 1 + 24 + 2);
  EXPECT_EQ(fp.config_table_address + header.base_table_length,
            layout::kEbdaStart + MpTableSize(n));

  std::vector<uint32_t> counts(5);
  uint8_t last_type = 0;
  size_t offset = sizeof(mp::ConfigTableHeader);
  for (uint16_t i = 0; i < header.entry_count; ++i) {
    ASSERT_LT(offset, table.size());
    uint8_t type = table[offset];
    ASSERT_LT(type, 5);
    EXPECT_GE(type, last_type) << "entries must be sorted by type";
    last_type = type;
    if (type == mp::kEntryProcessor) {
      auto cpu = At<mp::ProcessorEntry>(table, offset);
      EXPECT_EQ(cpu.lapic_id, counts[0]);
      EXPECT_EQ(cpu.cpu_flags, counts[0] == 0 ? 3 : 1) << "BSP first, all enabled";
      offset += sizeof(cpu);
    } else if (type == mp::kEntryBus) {
      EXPECT_EQ(std::memcmp(At<mp::BusEntry>(table, offset).bus_type, "ISA   ", 6), 0);
      offset += sizeof(mp::BusEntry);
    } else if (type == mp::kEntryIoApic) {
      auto ioapic = At<mp::IoApicEntry>(table, offset);
      EXPECT_EQ(ioapic.ioapic_id, n);
      EXPECT_EQ(ioapic.ioapic_version, 0x11);
      EXPECT_EQ(ioapic.flags, 1);
      EXPECT_EQ(ioapic.address, layout::kIoapicStart);
      offset += sizeof(ioapic);
    } else if (type == mp::kEntryIoInterrupt) {
      auto irq = At<mp::IoInterruptEntry>(table, offset);
      EXPECT_EQ(irq.source_bus_irq, counts[3]);
      EXPECT_EQ(irq.dest_ioapic_intin, counts[3]);
      EXPECT_EQ(irq.dest_ioapic_id, n);
      offset += sizeof(irq);
    } else {
      auto lint = At<mp::LocalInterruptEntry>(table, offset);
      EXPECT_EQ(lint.interrupt_type, counts[4] == 0 ? mp::kInterruptExtInt : mp::kInterruptNmi);
      EXPECT_EQ(lint.dest_lapic_lintin, counts[4]);
      offset += sizeof(lint);
    }
    ++counts[type];
  }
  EXPECT_EQ(offset, table.size());
  EXPECT_EQ(counts, (std::vector<uint32_t>{n, 1, 1, 24, 2}));
}

INSTANTIATE_TEST_SUITE_P(VcpuCounts, MpTableTest, ::testing::Values(1u, 2u, 64u, 254u));

TEST(MpTable, FitsInTheEbdaUpTo37Vcpus) {
  EXPECT_LE(layout::kEbdaStart + MpTableSize(37), 0xa0000u);
  EXPECT_GT(layout::kEbdaStart + MpTableSize(38), 0xa0000u);
  EXPECT_LE(layout::kEbdaStart + MpTableSize(kMpMaxVcpus), layout::kHighMemoryStart);
}

TEST(MpTable, RejectsTooManyOrNoVcpus) {
  testing::TestGuestMemory ram(2 << 20);
  base::Status s = WriteMpTable(255, ram.mem());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "the MP table describes 1 to 254 vCPUs, not 255");
  EXPECT_FALSE(WriteMpTable(0, ram.mem()).ok());
  EXPECT_EQ(*ram.mem().ReadObject<uint32_t>(layout::kEbdaStart), 0u);  // nothing written
}

}  // namespace
}  // namespace hull::vmm::boot
