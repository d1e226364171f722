#include "vmm/boot/gdt.h"

#include <gtest/gtest.h>

#include "vmm/boot/cpu_state.h"
#include "vmm/boot/test_kernel_images.h"

namespace hull::vmm::boot {
namespace {

void ExpectSameSegment(const SegmentState& a, const SegmentState& b) {
  EXPECT_EQ(a.base, b.base);
  EXPECT_EQ(a.limit, b.limit);
  EXPECT_EQ(a.selector, b.selector);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.present, b.present);
  EXPECT_EQ(a.dpl, b.dpl);
  EXPECT_EQ(a.db, b.db);
  EXPECT_EQ(a.s, b.s);
  EXPECT_EQ(a.l, b.l);
  EXPECT_EQ(a.g, b.g);
  EXPECT_EQ(a.avl, b.avl);
}

TEST(Gdt, BootCodeSegmentIsFlat64BitExecuteRead) {
  SegmentState cs = DecodeSegmentDescriptor(kBootGdt[2], kBootCodeSelector);
  EXPECT_EQ(cs.base, 0u);
  EXPECT_EQ(cs.limit, 0xffffffffu);
  EXPECT_EQ(cs.selector, 0x10);
  EXPECT_EQ(cs.type, 0xb);  // execute/read, accessed
  EXPECT_TRUE(cs.present);
  EXPECT_TRUE(cs.s);
  EXPECT_TRUE(cs.l);
  EXPECT_FALSE(cs.db);  // must be 0 when L is 1
  EXPECT_TRUE(cs.g);
  EXPECT_EQ(cs.dpl, 0);
}

TEST(Gdt, BootDataSegmentIsFlatReadWrite) {
  SegmentState ds = DecodeSegmentDescriptor(kBootGdt[3], kBootDataSelector);
  EXPECT_EQ(ds.base, 0u);
  EXPECT_EQ(ds.limit, 0xffffffffu);
  EXPECT_EQ(ds.type, 0x3);  // read/write, accessed
  EXPECT_TRUE(ds.present);
  EXPECT_TRUE(ds.s);
  EXPECT_FALSE(ds.l);
  EXPECT_TRUE(ds.db);
}

TEST(Gdt, DecodesEveryFieldFromItsBits) {
  // base 0x12345678, limit 0xabcde (byte granular), type 0x9, S=0, DPL 3, P, AVL.
  uint64_t d = 0xbcde | (0x345678ull << 16) | (0x9ull << 40) | (3ull << 45) | (1ull << 47) |
               (0xaull << 48) | (1ull << 52) | (0x12ull << 56);
  SegmentState s = DecodeSegmentDescriptor(d, 0x2b);
  EXPECT_EQ(s.base, 0x12345678u);
  EXPECT_EQ(s.limit, 0xabcdeu);
  EXPECT_EQ(s.selector, 0x2b);
  EXPECT_EQ(s.type, 0x9);
  EXPECT_FALSE(s.s);
  EXPECT_EQ(s.dpl, 3);
  EXPECT_TRUE(s.present);
  EXPECT_TRUE(s.avl);
  EXPECT_FALSE(s.l);
  EXPECT_FALSE(s.db);
  EXPECT_FALSE(s.g);
}

TEST(Gdt, ResetTrIsABusyTss) {
  SegmentState tr = DecodeSegmentDescriptor(kResetTrDescriptor, 0);
  EXPECT_EQ(tr.type, 0xb);
  EXPECT_FALSE(tr.s);
  EXPECT_TRUE(tr.present);
  EXPECT_EQ(tr.limit, 0xffffu);
  EXPECT_EQ(tr.base, 0u);
}

TEST(Gdt, WritesGdtAndEmptyIdt) {
  testing::TestGuestMemory ram(1 << 20);
  ASSERT_TRUE(ram.mem().WriteObject<uint64_t>(layout::kIdtStart, ~0ull).ok());
  ASSERT_TRUE(WriteGdtAndIdt(ram.mem()).ok());
  for (size_t i = 0; i < kBootGdt.size(); ++i) {
    EXPECT_EQ(*ram.mem().ReadObject<uint64_t>(layout::kGdtStart + 8 * i), kBootGdt[i]);
  }
  EXPECT_EQ(*ram.mem().ReadObject<uint64_t>(layout::kIdtStart), 0u);
}

TEST(BootCpuState, EntersLongModeAtTheKernelEntryWithBootParamsInRsi) {
  BootCpuState cpu = MakeBootCpuState(0x1000000);
  EXPECT_EQ(cpu.rip, 0x1000000u);
  EXPECT_EQ(cpu.rsi, layout::kZeroPageStart);
  EXPECT_EQ(cpu.rsp, layout::kBootStackTop);
  EXPECT_EQ(cpu.rflags, 0x2u);  // IF clear
  EXPECT_EQ(cpu.cr0 & (kCr0Pe | kCr0Pg), kCr0Pe | kCr0Pg);
  EXPECT_EQ(cpu.cr3, layout::kPml4Start);
  EXPECT_EQ(cpu.cr4 & kCr4Pae, kCr4Pae);
  EXPECT_EQ(cpu.efer, kEferLme | kEferLma);
  EXPECT_EQ(cpu.gdt.base, layout::kGdtStart);
  EXPECT_EQ(cpu.gdt.limit, 31);
  EXPECT_EQ(cpu.idt.base, layout::kIdtStart);
  EXPECT_EQ(cpu.cs.selector, 0x10);
  for (const SegmentState* s : {&cpu.ds, &cpu.es, &cpu.fs, &cpu.gs, &cpu.ss}) {
    EXPECT_EQ(s->selector, 0x18);
  }
}

TEST(BootCpuState, SegmentRegistersMatchTheGdtInGuestMemory) {
  testing::TestGuestMemory ram(1 << 20);
  ASSERT_TRUE(WriteGdtAndIdt(ram.mem()).ok());
  BootCpuState cpu = MakeBootCpuState(0x1000000);
  for (const SegmentState* s : {&cpu.cs, &cpu.ds, &cpu.es, &cpu.fs, &cpu.gs, &cpu.ss}) {
    ASSERT_LE(s->selector + 7u, cpu.gdt.limit);
    uint64_t descriptor = *ram.mem().ReadObject<uint64_t>(cpu.gdt.base + s->selector);
    ExpectSameSegment(*s, DecodeSegmentDescriptor(descriptor, s->selector));
  }
}

}  // namespace
}  // namespace hull::vmm::boot
