// KvmVcpu: one KVM vCPU fd and its shared kvm_run page. Owned and used by exactly one
// vCPU thread, except RequestImmediateExit, which another thread may call to kick it
// (together with a signal to that thread; see vmm/cpu/vcpu.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "base/scoped_mmap.h"
#include "base/unique_fd.h"
#include "vmm/boot/cpu_state.h"
#include "vmm/kvm/kvm_types.h"

namespace hull::vmm::kvm {

class KvmVcpu {
 public:
  uint32_t id() const { return id_; }

  base::Status SetCpuid(std::span<const CpuidEntry> entries);
  base::Status SetMsrs(std::span<const MsrValue> msrs);
  base::Result<uint64_t> GetMsr(uint32_t index);
  // Registers for the 64-bit boot entry (BSP only; APs wait for INIT/SIPI).
  base::Status SetBootState(const boot::BootCpuState& state);
  // x87/SSE control words at their reset values.
  base::Status SetupFpu();
  // LINT0 as ExtINT and LINT1 as NMI, as a PC's BIOS leaves them.
  base::Status SetupLapic();

  // One KVM_RUN. EINTR (kick or immediate exit) is reported as kInterrupted, not as
  // an error.
  base::Result<VcpuExit> Run();
  // Makes the current or next Run() return kInterrupted without entering the guest.
  void SetImmediateExit(bool on);

 private:
  friend class KvmVm;
  KvmVcpu(uint32_t id, base::UniqueFd fd, base::ScopedMmap run)
      : id_(id), fd_(std::move(fd)), run_(std::move(run)) {}
  uint32_t id_;
  base::UniqueFd fd_;
  base::ScopedMmap run_;  // struct kvm_run, shared with the kernel
};

}  // namespace hull::vmm::kvm
