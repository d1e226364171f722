#include "vmm/cpu/cpuid.h"

#include <gtest/gtest.h>

namespace hull::vmm::cpu {
namespace {

using kvm::CpuidEntry;

// A plausible KVM_GET_SUPPORTED_CPUID excerpt (Intel-like, with AMD extended leaves).
std::vector<CpuidEntry> Supported() {
  uint32_t sig = kvm::kCpuidFlagSignificantIndex;
  return {
      {0x0, 0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69},
      {0x1, 0, 0, 0x000906ea, 0xff0b0800, 0xf7fa3229 | (1u << 3) | (1u << 5), 0x178bfbff},
      {0x4, 0, sig, 0x1c004121, 0, 0, 0},
      {0x4, 3, sig, 0x1c03c163, 0, 0, 0},
      {0x4, 4, sig, 0, 0, 0, 0},
      {0x6, 0, 0, 0x77, 1, 9, 0},
      {0xa, 0, 0, 0x07300805, 0, 0, 0x603},
      {0xb, 0, sig, 1, 2, 0x100, 5},
      {0xb, 1, sig, 4, 12, 0x201, 5},
      {0x80000001, 0, 0, 0, 0, 0x121 | (1u << 2), 0x2c100800},
      {0x80000008, 0, 0, 0x3027, 0, 0x7007, 0},
  };
}

TEST(FilterCpuid, Leaf1CarriesApicIdCountAndHypervisorBit) {
  auto out = FilterCpuid(Supported(), {.vcpu_id = 3, .vcpu_count = 4}, {});
  const CpuidEntry* leaf1 = FindCpuid(out, 1);
  ASSERT_NE(leaf1, nullptr);
  EXPECT_EQ(leaf1->ebx >> 24, 3u);
  EXPECT_EQ((leaf1->ebx >> 16) & 0xff, 4u);
  EXPECT_EQ(leaf1->ebx & 0xffff, 0x0800u);  // CLFLUSH size kept
  EXPECT_NE(leaf1->ecx & (1u << 31), 0u);
  EXPECT_EQ(leaf1->ecx & (1u << 3), 0u);  // no MONITOR
  EXPECT_EQ(leaf1->ecx & (1u << 5), 0u);  // no VMX
  EXPECT_NE(leaf1->edx & (1u << 28), 0u);  // HTT with >1 logical CPU
}

TEST(FilterCpuid, SingleVcpuClearsHtt) {
  auto out = FilterCpuid(Supported(), {.vcpu_id = 0, .vcpu_count = 1}, {});
  EXPECT_EQ(FindCpuid(out, 1)->edx & (1u << 28), 0u);
}

TEST(FilterCpuid, ExtendedTopologyDescribesTheVm) {
  auto out = FilterCpuid(Supported(), {.vcpu_id = 5, .vcpu_count = 6, .smt = true}, {});
  const CpuidEntry* smt = FindCpuid(out, 0xb, 0);
  const CpuidEntry* core = FindCpuid(out, 0xb, 1);
  const CpuidEntry* end = FindCpuid(out, 0xb, 2);
  ASSERT_TRUE(smt && core && end);
  EXPECT_EQ(smt->ebx, 2u);
  EXPECT_EQ(smt->eax, 1u);
  EXPECT_EQ(core->ebx, 6u);
  EXPECT_EQ(core->eax, 3u);  // ceil(log2(6))
  EXPECT_EQ((core->ecx >> 8) & 0xff, 2u);
  EXPECT_EQ((end->ecx >> 8) & 0xff, 0u);
  EXPECT_EQ(smt->edx, 5u);
  EXPECT_EQ(core->edx, 5u);
}

TEST(FilterCpuid, CacheLeafCountsCoresOfTheVm) {
  auto out = FilterCpuid(Supported(), {.vcpu_id = 0, .vcpu_count = 2}, {});
  const CpuidEntry* l1 = FindCpuid(out, 4, 0);
  const CpuidEntry* l3 = FindCpuid(out, 4, 3);
  ASSERT_TRUE(l1 && l3);
  EXPECT_EQ(l1->eax >> 26, 1u);              // 2 cores - 1
  EXPECT_EQ((l1->eax >> 14) & 0xfff, 0u);    // L1 not shared
  EXPECT_EQ((l3->eax >> 14) & 0xfff, 1u);    // L3 shared by both
  EXPECT_EQ(l1->eax & 0x3fff, 0x0121u);      // cache type/level kept
}

TEST(FilterCpuid, NoPmuNoSvmAndAHypervisorLeaf) {
  auto out = FilterCpuid(Supported(), {}, {});
  const CpuidEntry* pmu = FindCpuid(out, 0xa);
  ASSERT_NE(pmu, nullptr);
  EXPECT_EQ(pmu->eax | pmu->edx, 0u);
  EXPECT_EQ(FindCpuid(out, 0x80000001)->ecx & (1u << 2), 0u);
  const CpuidEntry* hv = FindCpuid(out, 0x40000000);
  ASSERT_NE(hv, nullptr);
  char sig[13] = {};
  memcpy(sig, &hv->ebx, 4);
  memcpy(sig + 4, &hv->ecx, 4);
  memcpy(sig + 8, &hv->edx, 4);
  EXPECT_STREQ(sig, "KVMKVMKVM");
  EXPECT_EQ(FindCpuid(out, 0x80000008)->ecx & 0xff, 0u);
}

TEST(FilterCpuid, UserMasksClearOnlyTheNamedBits) {
  std::vector<CpuidMask> masks = {{.leaf = 1, .reg = "ecx", .clear_bits = 1u << 28},
                                  {.leaf = 4, .subleaf = 3, .reg = "eax", .clear_bits = 0x1}};
  auto out = FilterCpuid(Supported(), {}, masks);
  EXPECT_EQ(FindCpuid(out, 1)->ecx & (1u << 28), 0u);
  EXPECT_NE(FindCpuid(out, 1)->ecx & (1u << 29), 0u);
  EXPECT_EQ(FindCpuid(out, 4, 3)->eax & 1u, 0u);
  EXPECT_EQ(FindCpuid(out, 4, 0)->eax & 1u, 1u);
}

}  // namespace
}  // namespace hull::vmm::cpu
