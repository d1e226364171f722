#include "vmm/boot/mptable.h"

#include <cstddef>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "vmm/boot/error_text.h"
#include "vmm/boot/mp_spec.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

constexpr uint8_t kLapicVersion = 0x14;
constexpr uint8_t kIoApicVersion = 0x11;   // KVM's in-kernel IOAPIC
constexpr uint32_t kCpuSignature = 0x600;  // family 6; Linux only prints it
constexpr uint32_t kCpuFeatureFpu = 1 << 0;
constexpr uint32_t kCpuFeatureApic = 1 << 9;
constexpr uint8_t kIsaBusId = 0;
constexpr uint8_t kAllLapics = 0xff;
// The whole table stays in e820-reserved memory below the kernel at 1 MiB.
constexpr uint64_t kMpTableLimit = layout::kHighMemoryStart;

uint64_t ConfigTableSize(uint32_t vcpu_count) {
  return sizeof(mp::ConfigTableHeader) + vcpu_count * sizeof(mp::ProcessorEntry) +
         sizeof(mp::BusEntry) + sizeof(mp::IoApicEntry) +
         kMpIoApicPins * sizeof(mp::IoInterruptEntry) + 2 * sizeof(mp::LocalInterruptEntry);
}

// The checksum byte that makes `bytes` (with that byte 0) sum to 0 mod 256.
uint8_t Checksum(const uint8_t* bytes, size_t size) {
  return static_cast<uint8_t>(-std::accumulate(bytes, bytes + size, 0u));
}

template <typename T>
void Append(std::vector<uint8_t>& out, const T& value) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

void AppendEntries(std::vector<uint8_t>& table, uint8_t vcpu_count) {
  for (uint8_t id = 0; id < vcpu_count; ++id) {
    uint8_t flags = mp::kCpuEnabled | (id == 0 ? mp::kCpuBootstrap : 0);
    Append(table, mp::ProcessorEntry{mp::kEntryProcessor, id, kLapicVersion, flags,
                                     kCpuSignature, kCpuFeatureFpu | kCpuFeatureApic, {0, 0}});
  }
  Append(table, mp::BusEntry{mp::kEntryBus, kIsaBusId, {'I', 'S', 'A', ' ', ' ', ' '}});
  const uint8_t ioapic_id = vcpu_count;
  Append(table, mp::IoApicEntry{mp::kEntryIoApic, ioapic_id, kIoApicVersion, mp::kIoApicEnabled,
                                static_cast<uint32_t>(layout::kIoapicStart)});
  for (uint8_t pin = 0; pin < kMpIoApicPins; ++pin) {
    Append(table, mp::IoInterruptEntry{mp::kEntryIoInterrupt, mp::kInterruptInt,
                                       mp::kInterruptFlagsConforming, kIsaBusId, pin, ioapic_id,
                                       pin});
  }
  // The PIC's output reaches the BSP through LINT0; NMIs reach every CPU through LINT1.
  Append(table, mp::LocalInterruptEntry{mp::kEntryLocalInterrupt, mp::kInterruptExtInt,
                                        mp::kInterruptFlagsConforming, kIsaBusId, 0, 0, 0});
  Append(table, mp::LocalInterruptEntry{mp::kEntryLocalInterrupt, mp::kInterruptNmi,
                                        mp::kInterruptFlagsConforming, kIsaBusId, 0, kAllLapics,
                                        1});
}

}  // namespace

uint64_t MpTableSize(uint32_t vcpu_count) {
  return sizeof(mp::FloatingPointer) + ConfigTableSize(vcpu_count);
}

base::Status WriteMpTable(uint32_t vcpu_count, const devices::GuestMemory& mem) {
  if (vcpu_count == 0 || vcpu_count > kMpMaxVcpus) {
    return base::Status::Error("the MP table describes 1 to " + std::to_string(kMpMaxVcpus) +
                               " vCPUs, not " + std::to_string(vcpu_count));
  }
  const uint64_t table_addr = layout::kEbdaStart + sizeof(mp::FloatingPointer);
  if (layout::kEbdaStart + MpTableSize(vcpu_count) > kMpTableLimit) {
    return base::Status::Error("the MP table for " + std::to_string(vcpu_count) + " vCPUs (" +
                               std::to_string(MpTableSize(vcpu_count)) +
                               " bytes) does not fit below " + Hex(kMpTableLimit));
  }

  mp::ConfigTableHeader header{};
  std::memcpy(header.signature, mp::kConfigTableSignature, sizeof(header.signature));
  header.base_table_length = static_cast<uint16_t>(ConfigTableSize(vcpu_count));
  header.spec_rev = mp::kSpecRev14;
  std::memcpy(header.oem_id, "HULL    ", sizeof(header.oem_id));
  std::memcpy(header.product_id, "HULL-VMM    ", sizeof(header.product_id));
  header.entry_count = static_cast<uint16_t>(vcpu_count + 2 + kMpIoApicPins + 2);
  header.lapic_address = static_cast<uint32_t>(layout::kLapicStart);

  std::vector<uint8_t> table;
  table.reserve(header.base_table_length);
  Append(table, header);
  AppendEntries(table, static_cast<uint8_t>(vcpu_count));
  table[offsetof(mp::ConfigTableHeader, checksum)] = Checksum(table.data(), table.size());

  mp::FloatingPointer pointer{};
  std::memcpy(pointer.signature, mp::kFloatingPointerSignature, sizeof(pointer.signature));
  pointer.config_table_address = static_cast<uint32_t>(table_addr);
  pointer.length = 1;
  pointer.spec_rev = mp::kSpecRev14;
  pointer.checksum = Checksum(reinterpret_cast<const uint8_t*>(&pointer), sizeof(pointer));

  RETURN_IF_ERROR(mem.WriteObject(layout::kEbdaStart, pointer));
  return mem.Write(table_addr, table.data(), table.size());
}

}  // namespace hull::vmm::boot
