#include "vmm/boot/page_tables.h"

#include <array>

namespace hull::vmm::boot {
namespace {

using PageTable = std::array<uint64_t, kPageTableEntries>;
constexpr uint64_t kTableFlags = kPtePresent | kPteWritable;
constexpr uint64_t kLargePage = 2ull << 20;

}  // namespace

base::Status WriteIdentityPageTables(const devices::GuestMemory& mem) {
  PageTable pml4{};
  pml4[0] = layout::kPdptStart | kTableFlags;
  RETURN_IF_ERROR(mem.WriteObject(layout::kPml4Start, pml4));

  PageTable pdpt{};
  for (uint64_t i = 0; i < kIdentityPdCount; ++i) {
    pdpt[i] = (layout::kPdStart + i * kPageTableSize) | kTableFlags;
  }
  RETURN_IF_ERROR(mem.WriteObject(layout::kPdptStart, pdpt));

  for (uint64_t i = 0; i < kIdentityPdCount; ++i) {
    PageTable pd{};
    for (uint64_t j = 0; j < kPageTableEntries; ++j) {
      pd[j] = ((i * kPageTableEntries + j) * kLargePage) | kTableFlags | kPtePageSize;
    }
    RETURN_IF_ERROR(mem.WriteObject(layout::kPdStart + i * kPageTableSize, pd));
  }
  return base::Status::Ok();
}

}  // namespace hull::vmm::boot
