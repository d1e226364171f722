#include "vmm/kvm/kvm_vcpu.h"

#include "vmm/kvm/kvm_uapi.h"
#include <sys/ioctl.h>

#include <cstring>
#include <memory>
#include <sstream>

namespace hull::vmm::kvm {
namespace {

kvm_run* RunPage(const base::ScopedMmap& m) { return reinterpret_cast<kvm_run*>(m.data()); }

kvm_segment ToKvm(const boot::SegmentState& s) {
  kvm_segment k{};
  k.base = s.base;
  k.limit = s.limit;
  k.selector = s.selector;
  k.type = s.type;
  k.present = s.present;
  k.dpl = s.dpl;
  k.db = s.db;
  k.s = s.s;
  k.l = s.l;
  k.g = s.g;
  k.avl = s.avl;
  k.unusable = s.present ? 0 : 1;
  return k;
}

// LAPIC register offsets and delivery modes (Intel SDM vol. 3, 10.5.1).
constexpr size_t kApicLvtLint0 = 0x350;
constexpr size_t kApicLvtLint1 = 0x360;
constexpr uint32_t kApicModeExtInt = 0x7;
constexpr uint32_t kApicModeNmi = 0x4;

uint32_t GetApicReg(const kvm_lapic_state& s, size_t offset) {
  uint32_t v;
  std::memcpy(&v, s.regs + offset, sizeof(v));
  return v;
}
void SetApicReg(kvm_lapic_state& s, size_t offset, uint32_t v) {
  std::memcpy(s.regs + offset, &v, sizeof(v));
}
uint32_t WithDeliveryMode(uint32_t reg, uint32_t mode) { return (reg & ~0x700u) | (mode << 8); }

}  // namespace

base::Status KvmVcpu::SetCpuid(std::span<const CpuidEntry> entries) {
  size_t bytes = sizeof(kvm_cpuid2) + entries.size() * sizeof(kvm_cpuid_entry2);
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]());
  auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buffer.get());
  cpuid->nent = static_cast<uint32_t>(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const CpuidEntry& e = entries[i];
    kvm_cpuid_entry2& k = cpuid->entries[i];
    k.function = e.function;
    k.index = e.index;
    k.flags = e.flags;
    k.eax = e.eax;
    k.ebx = e.ebx;
    k.ecx = e.ecx;
    k.edx = e.edx;
  }
  if (::ioctl(fd_.get(), KVM_SET_CPUID2, cpuid) < 0) return base::Status::Errno("KVM_SET_CPUID2");
  return base::Status::Ok();
}

base::Status KvmVcpu::SetMsrs(std::span<const MsrValue> msrs) {
  size_t bytes = sizeof(kvm_msrs) + msrs.size() * sizeof(kvm_msr_entry);
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]());
  auto* list = reinterpret_cast<kvm_msrs*>(buffer.get());
  list->nmsrs = static_cast<uint32_t>(msrs.size());
  for (size_t i = 0; i < msrs.size(); ++i) {
    list->entries[i].index = msrs[i].index;
    list->entries[i].data = msrs[i].value;
  }
  int set = ::ioctl(fd_.get(), KVM_SET_MSRS, list);
  if (set < 0) return base::Status::Errno("KVM_SET_MSRS");
  if (static_cast<size_t>(set) != msrs.size()) {
    std::ostringstream s;
    s << "KVM_SET_MSRS: KVM refused MSR 0x" << std::hex << msrs[static_cast<size_t>(set)].index;
    return base::Status::Error(s.str());
  }
  return base::Status::Ok();
}

base::Result<uint64_t> KvmVcpu::GetMsr(uint32_t index) {
  struct {
    kvm_msrs header;
    kvm_msr_entry entry;  // header.entries[0]
  } list{};
  list.header.nmsrs = 1;
  list.entry.index = index;
  if (::ioctl(fd_.get(), KVM_GET_MSRS, &list) != 1) return base::Status::Errno("KVM_GET_MSRS");
  return static_cast<uint64_t>(list.entry.data);
}

base::Status KvmVcpu::SetBootState(const boot::BootCpuState& state) {
  kvm_sregs sregs{};
  if (::ioctl(fd_.get(), KVM_GET_SREGS, &sregs) < 0) return base::Status::Errno("KVM_GET_SREGS");
  sregs.cs = ToKvm(state.cs);
  sregs.ds = ToKvm(state.ds);
  sregs.es = ToKvm(state.es);
  sregs.fs = ToKvm(state.fs);
  sregs.gs = ToKvm(state.gs);
  sregs.ss = ToKvm(state.ss);
  sregs.tr = ToKvm(state.tr);
  sregs.ldt = kvm_segment{};
  sregs.ldt.unusable = 1;
  sregs.gdt.base = state.gdt.base;
  sregs.gdt.limit = state.gdt.limit;
  sregs.idt.base = state.idt.base;
  sregs.idt.limit = state.idt.limit;
  sregs.cr0 = state.cr0;
  sregs.cr3 = state.cr3;
  sregs.cr4 = state.cr4;
  sregs.efer = state.efer;
  if (::ioctl(fd_.get(), KVM_SET_SREGS, &sregs) < 0) return base::Status::Errno("KVM_SET_SREGS");

  kvm_regs regs{};
  regs.rip = state.rip;
  regs.rsp = state.rsp;
  regs.rbp = state.rsp;
  regs.rsi = state.rsi;
  regs.rflags = state.rflags;
  if (::ioctl(fd_.get(), KVM_SET_REGS, &regs) < 0) return base::Status::Errno("KVM_SET_REGS");
  return base::Status::Ok();
}

base::Status KvmVcpu::SetupFpu() {
  kvm_fpu fpu{};
  fpu.fcw = 0x37f;     // x87 reset value: all exceptions masked, 64-bit precision
  fpu.mxcsr = 0x1f80;  // SSE reset value: all exceptions masked
  if (::ioctl(fd_.get(), KVM_SET_FPU, &fpu) < 0) return base::Status::Errno("KVM_SET_FPU");
  return base::Status::Ok();
}

base::Status KvmVcpu::SetupLapic() {
  kvm_lapic_state lapic{};
  if (::ioctl(fd_.get(), KVM_GET_LAPIC, &lapic) < 0) return base::Status::Errno("KVM_GET_LAPIC");
  SetApicReg(lapic, kApicLvtLint0, WithDeliveryMode(GetApicReg(lapic, kApicLvtLint0), kApicModeExtInt));
  SetApicReg(lapic, kApicLvtLint1, WithDeliveryMode(GetApicReg(lapic, kApicLvtLint1), kApicModeNmi));
  if (::ioctl(fd_.get(), KVM_SET_LAPIC, &lapic) < 0) return base::Status::Errno("KVM_SET_LAPIC");
  return base::Status::Ok();
}

void KvmVcpu::SetImmediateExit(bool on) {
  // A plain byte the kernel reads on entry; the kicking thread's signal makes sure a
  // vCPU already inside KVM_RUN leaves it too.
  __atomic_store_n(&RunPage(run_)->immediate_exit, on ? 1 : 0, __ATOMIC_SEQ_CST);
}

base::Result<VcpuExit> KvmVcpu::Run() {
  VcpuExit exit;
  if (::ioctl(fd_.get(), KVM_RUN, 0) < 0) {
    if (errno == EINTR || errno == EAGAIN) {
      exit.kind = VcpuExit::Kind::kInterrupted;
      return exit;
    }
    return base::Status::Errno("KVM_RUN on vCPU " + std::to_string(id_));
  }
  kvm_run* run = RunPage(run_);
  switch (run->exit_reason) {
    case KVM_EXIT_IO: {
      exit.kind = run->io.direction == KVM_EXIT_IO_OUT ? VcpuExit::Kind::kIoOut
                                                       : VcpuExit::Kind::kIoIn;
      exit.address = run->io.port;
      exit.size = run->io.size;
      exit.count = run->io.count;
      uint64_t bytes = uint64_t{run->io.size} * run->io.count;
      if (run->io.data_offset > run_.size() || bytes > run_.size() - run->io.data_offset) {
        return base::Status::Error("KVM_EXIT_IO data outside the kvm_run page");
      }
      exit.data = std::span<uint8_t>(run_.data() + run->io.data_offset, bytes);
      break;
    }
    case KVM_EXIT_MMIO:
      exit.kind = run->mmio.is_write ? VcpuExit::Kind::kMmioWrite : VcpuExit::Kind::kMmioRead;
      exit.address = run->mmio.phys_addr;
      exit.size = run->mmio.len > sizeof(run->mmio.data) ? sizeof(run->mmio.data) : run->mmio.len;
      exit.data = std::span<uint8_t>(run->mmio.data, exit.size);
      break;
    case KVM_EXIT_HLT:
      exit.kind = VcpuExit::Kind::kHlt;
      break;
    case KVM_EXIT_SHUTDOWN:
      exit.kind = VcpuExit::Kind::kShutdown;
      break;
    case KVM_EXIT_SYSTEM_EVENT:
      exit.code = run->system_event.type;
      exit.kind = run->system_event.type == KVM_SYSTEM_EVENT_RESET
                      ? VcpuExit::Kind::kSystemReset
                      : VcpuExit::Kind::kSystemShutdown;
      break;
    case KVM_EXIT_INTERNAL_ERROR:
      exit.kind = VcpuExit::Kind::kInternalError;
      exit.code = run->internal.suberror;
      break;
    case KVM_EXIT_FAIL_ENTRY:
      exit.kind = VcpuExit::Kind::kFailEntry;
      exit.code = run->fail_entry.hardware_entry_failure_reason;
      break;
    case KVM_EXIT_INTR:
      exit.kind = VcpuExit::Kind::kInterrupted;
      break;
    default:
      exit.kind = VcpuExit::Kind::kUnknown;
      exit.code = run->exit_reason;
      break;
  }
  return exit;
}

std::string DescribeExit(const VcpuExit& exit) {
  std::ostringstream s;
  s << std::hex;
  switch (exit.kind) {
    case VcpuExit::Kind::kIoIn: s << "port read 0x" << exit.address; break;
    case VcpuExit::Kind::kIoOut: s << "port write 0x" << exit.address; break;
    case VcpuExit::Kind::kMmioRead: s << "MMIO read 0x" << exit.address; break;
    case VcpuExit::Kind::kMmioWrite: s << "MMIO write 0x" << exit.address; break;
    case VcpuExit::Kind::kHlt: s << "hlt"; break;
    case VcpuExit::Kind::kShutdown: s << "shutdown (triple fault)"; break;
    case VcpuExit::Kind::kSystemReset: s << "system reset"; break;
    case VcpuExit::Kind::kSystemShutdown: s << "system shutdown"; break;
    case VcpuExit::Kind::kInternalError:
      s << std::dec << "KVM internal error, suberror " << exit.code
        << (exit.code == KVM_INTERNAL_ERROR_EMULATION ? " (instruction emulation failed)" : "");
      break;
    case VcpuExit::Kind::kFailEntry: s << "VM entry failed, reason 0x" << exit.code; break;
    case VcpuExit::Kind::kInterrupted: s << "interrupted"; break;
    case VcpuExit::Kind::kUnknown: s << std::dec << "unhandled KVM exit reason " << exit.code; break;
  }
  return s.str();
}

}  // namespace hull::vmm::kvm
