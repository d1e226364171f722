#include "vmm/kvm/kvm_system.h"

#include <fcntl.h>
#include "vmm/kvm/kvm_uapi.h"
#include <sys/ioctl.h>

#include <memory>

#include "vmm/kvm/kvm_vm.h"

namespace hull::vmm::kvm {
namespace {

constexpr int kKvmApiVersion = 12;

struct RequiredCapability {
  unsigned long cap;
  const char* name;
};

// Everything hull-vmm relies on; checked once so a missing one fails up front with its
// name instead of as an obscure ioctl error later.
constexpr RequiredCapability kRequiredCapabilities[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    {KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
};

}  // namespace

base::Result<KvmSystem> KvmSystem::Open(const std::string& path) {
  int raw = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (raw < 0) {
    int err = errno;
    if (err == ENOENT) {
      return base::Status::Error(
          path + " does not exist: this host offers no KVM (enable virtualization in the "
                 "firmware or load kvm_intel/kvm_amd), or use the qemu backend");
    }
    if (err == EACCES || err == EPERM) {
      return base::Status::Error("no permission to open " + path +
                                 ": run as root or add the user to the kvm group");
    }
    return base::Status::Errno("cannot open " + path, err);
  }
  KvmSystem system{base::UniqueFd(raw)};
  int version = ::ioctl(raw, KVM_GET_API_VERSION, 0);
  if (version != kKvmApiVersion) {
    return base::Status::Error("unsupported KVM API version " + std::to_string(version) +
                               " (hull-vmm needs " + std::to_string(kKvmApiVersion) + ")");
  }
  for (const RequiredCapability& c : kRequiredCapabilities) {
    if (system.CheckExtension(c.cap) <= 0) {
      return base::Status::Error(std::string("KVM on this host lacks ") + c.name +
                                 ", which hull-vmm needs");
    }
  }
  int size = ::ioctl(raw, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (size < static_cast<int>(sizeof(kvm_run))) {
    return base::Status::Errno("KVM_GET_VCPU_MMAP_SIZE");
  }
  system.vcpu_mmap_size_ = static_cast<size_t>(size);
  return system;
}

int KvmSystem::CheckExtension(unsigned long capability) const {
  int r = ::ioctl(fd_.get(), KVM_CHECK_EXTENSION, capability);
  return r < 0 ? 0 : r;
}

base::Result<std::vector<CpuidEntry>> KvmSystem::GetSupportedCpuid() const {
  // The kernel says E2BIG while the buffer is too small; grow until it fits. Linux
  // caps the count at KVM_MAX_CPUID_ENTRIES (256 since 5.x), so that is tried first.
  for (uint32_t n = 256; n <= 4096; n *= 2) {
    size_t bytes = sizeof(kvm_cpuid2) + n * sizeof(kvm_cpuid_entry2);
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]());
    auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buffer.get());
    cpuid->nent = n;
    if (::ioctl(fd_.get(), KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
      if (errno == E2BIG) continue;
      return base::Status::Errno("KVM_GET_SUPPORTED_CPUID with room for " + std::to_string(n) +
                                 " entries");
    }
    std::vector<CpuidEntry> entries;
    entries.reserve(cpuid->nent);
    for (uint32_t i = 0; i < cpuid->nent; ++i) {
      const kvm_cpuid_entry2& e = cpuid->entries[i];
      entries.push_back({e.function, e.index, e.flags, e.eax, e.ebx, e.ecx, e.edx});
    }
    return entries;
  }
  return base::Status::Error("KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
}

base::Result<KvmVm> KvmSystem::CreateVm() const {
  int raw;
  do {
    raw = ::ioctl(fd_.get(), KVM_CREATE_VM, 0);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return base::Status::Errno("KVM_CREATE_VM");
  return KvmVm(base::UniqueFd(raw), vcpu_mmap_size_);
}

}  // namespace hull::vmm::kvm
