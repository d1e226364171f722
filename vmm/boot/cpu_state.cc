#include "vmm/boot/cpu_state.h"

#include "vmm/boot/gdt.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {

BootCpuState MakeBootCpuState(uint64_t entry) {
  BootCpuState cpu;
  cpu.rip = entry;
  cpu.rsp = layout::kBootStackTop;
  cpu.rsi = layout::kZeroPageStart;
  cpu.rflags = kRflagsReserved1;
  // Linux's startup_64 reloads CR0 with its own value; NE and ET are what it sets too.
  cpu.cr0 = kCr0Pe | kCr0Et | kCr0Ne | kCr0Pg;
  cpu.cr3 = layout::kPml4Start;
  cpu.cr4 = kCr4Pae;
  cpu.efer = kEferLme | kEferLma;
  cpu.gdt = {layout::kGdtStart, kBootGdtLimit};
  cpu.idt = {layout::kIdtStart, kBootIdtLimit};

  cpu.cs = DecodeSegmentDescriptor(kBootGdt[kBootCodeSelector / 8], kBootCodeSelector);
  SegmentState data = DecodeSegmentDescriptor(kBootGdt[kBootDataSelector / 8], kBootDataSelector);
  cpu.ds = cpu.es = cpu.fs = cpu.gs = cpu.ss = data;
  cpu.tr = DecodeSegmentDescriptor(kResetTrDescriptor, 0);
  return cpu;
}

}  // namespace hull::vmm::boot
