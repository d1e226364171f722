#include "vmm/boot/gdt.h"

namespace hull::vmm::boot {

SegmentState DecodeSegmentDescriptor(uint64_t d, uint16_t selector) {
  auto bit = [d](int n) { return ((d >> n) & 1) != 0; };
  SegmentState s;
  s.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
  uint32_t raw_limit = static_cast<uint32_t>((d & 0xffff) | (((d >> 48) & 0xf) << 16));
  s.g = bit(55);
  s.limit = s.g ? (raw_limit << 12) | 0xfff : raw_limit;
  s.selector = selector;
  s.type = static_cast<uint8_t>((d >> 40) & 0xf);
  s.s = bit(44);
  s.dpl = static_cast<uint8_t>((d >> 45) & 0x3);
  s.present = bit(47);
  s.avl = bit(52);
  s.l = bit(53);
  s.db = bit(54);
  return s;
}

base::Status WriteGdtAndIdt(const devices::GuestMemory& mem) {
  RETURN_IF_ERROR(mem.WriteObject(layout::kGdtStart, kBootGdt));
  return mem.WriteObject<uint64_t>(layout::kIdtStart, 0);
}

}  // namespace hull::vmm::boot
