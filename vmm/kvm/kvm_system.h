// KvmSystem: the open /dev/kvm and the questions asked of it before any VM exists —
// API version, capabilities hull-vmm needs, supported CPUID. Opening fails with an
// error that says what to do (no /dev/kvm, no permission, missing capability).
#pragma once

#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "vmm/kvm/kvm_types.h"

namespace hull::vmm::kvm {

class KvmVm;

class KvmSystem {
 public:
  static constexpr const char* kDefaultPath = "/dev/kvm";

  // Opens the device and checks the API version and every capability hull-vmm uses.
  static base::Result<KvmSystem> Open(const std::string& path = kDefaultPath);

  int fd() const { return fd_.get(); }
  // KVM_CHECK_EXTENSION; 0 when unsupported.
  int CheckExtension(unsigned long capability) const;
  base::Result<std::vector<CpuidEntry>> GetSupportedCpuid() const;
  base::Result<KvmVm> CreateVm() const;
  size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }

 private:
  explicit KvmSystem(base::UniqueFd fd) : fd_(std::move(fd)) {}
  base::UniqueFd fd_;
  size_t vcpu_mmap_size_ = 0;
};

}  // namespace hull::vmm::kvm
