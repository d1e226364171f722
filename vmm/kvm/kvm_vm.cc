#include "vmm/kvm/kvm_vm.h"

#include "vmm/kvm/kvm_uapi.h"
#include <sys/ioctl.h>

#include <cstdio>
#include <string>

#include "vmm/kvm/kvm_vcpu.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::kvm {
namespace {

// Three pages for the VMX real-mode TSS and one for the EPT identity map, just below
// the IOAPIC, inside the MMIO gap where no RAM lives (as Firecracker and kvmtool do).
constexpr uint64_t kTssAddress = layout::kIoapicStart - 0x4000 + 0x1000;
constexpr uint64_t kIdentityMapAddress = layout::kIoapicStart - 0x4000;

std::string ToHex(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

base::Status KvmVm::SetUserMemoryRegion(uint32_t slot, uint64_t guest_address, uint64_t size,
                                        void* host_address) {
  kvm_userspace_memory_region region{};
  region.slot = slot;
  region.guest_phys_addr = guest_address;
  region.memory_size = size;
  region.userspace_addr = reinterpret_cast<uint64_t>(host_address);
  if (::ioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &region) < 0) {
    return base::Status::Errno("KVM_SET_USER_MEMORY_REGION (slot " + std::to_string(slot) + ")");
  }
  return base::Status::Ok();
}

base::Status KvmVm::CreateIrqchipAndPit() {
  uint64_t identity = kIdentityMapAddress;
  if (::ioctl(fd_.get(), KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0) {
    return base::Status::Errno("KVM_SET_IDENTITY_MAP_ADDR");
  }
  if (::ioctl(fd_.get(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(kTssAddress)) < 0) {
    return base::Status::Errno("KVM_SET_TSS_ADDR");
  }
  if (::ioctl(fd_.get(), KVM_CREATE_IRQCHIP, 0) < 0) {
    return base::Status::Errno("KVM_CREATE_IRQCHIP");
  }
  kvm_pit_config pit{};
  pit.flags = KVM_PIT_SPEAKER_DUMMY;  // port 0x61 answered in the kernel
  if (::ioctl(fd_.get(), KVM_CREATE_PIT2, &pit) < 0) {
    return base::Status::Errno("KVM_CREATE_PIT2");
  }
  return base::Status::Ok();
}

base::Status KvmVm::SetIrqLine(uint32_t irq, bool level) const {
  kvm_irq_level line{};
  line.irq = irq;
  line.level = level ? 1 : 0;
  if (::ioctl(fd_.get(), KVM_IRQ_LINE, &line) < 0) {
    return base::Status::Errno("KVM_IRQ_LINE " + std::to_string(irq));
  }
  return base::Status::Ok();
}

base::Status KvmVm::AddIoEventFd(int eventfd, uint64_t address, uint32_t length,
                                 uint64_t datamatch) {
  kvm_ioeventfd io{};
  io.datamatch = datamatch;
  io.addr = address;
  io.len = length;
  io.fd = eventfd;
  io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
  if (::ioctl(fd_.get(), KVM_IOEVENTFD, &io) < 0) {
    return base::Status::Errno("KVM_IOEVENTFD at 0x" + ToHex(address));
  }
  return base::Status::Ok();
}

base::Status KvmVm::AddIrqFd(int eventfd, uint32_t gsi) {
  kvm_irqfd irq{};
  irq.fd = static_cast<uint32_t>(eventfd);
  irq.gsi = gsi;
  if (::ioctl(fd_.get(), KVM_IRQFD, &irq) < 0) {
    return base::Status::Errno("KVM_IRQFD for GSI " + std::to_string(gsi));
  }
  return base::Status::Ok();
}

base::Result<KvmVcpu> KvmVm::CreateVcpu(uint32_t id) const {
  int raw = ::ioctl(fd_.get(), KVM_CREATE_VCPU, static_cast<unsigned long>(id));
  if (raw < 0) return base::Status::Errno("KVM_CREATE_VCPU " + std::to_string(id));
  base::UniqueFd fd(raw);
  ASSIGN_OR_RETURN(base::ScopedMmap run,
                   base::ScopedMmap::Map(vcpu_mmap_size_, PROT_READ | PROT_WRITE, MAP_SHARED,
                                         fd.get(), 0));
  return KvmVcpu(id, std::move(fd), std::move(run));
}

}  // namespace hull::vmm::kvm
