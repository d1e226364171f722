#include "runtime/vm/backend.h"

#include <chrono>
#include <cstring>

#include "base/scoped_mmap.h"
#include "vmm/kvm/kvm_system.h"
#include "vmm/kvm/kvm_vcpu.h"
#include "vmm/kvm/kvm_vm.h"

namespace hull::runtime::vm {
namespace {

constexpr uint32_t kProbeIterations = 200000;
// Hardware does the loop in ~0.1-0.3 ms; KVM's emulator at ~500 ns per instruction
// in ~200 ms. Anything under this is hardware speed.
constexpr double kHardwareSpeedMs = 20;
constexpr uint64_t kResetPage = 0xfffff000;  // the reset vector 0xfffffff0 is in it

base::Result<double> TimeProbeLoop(const vmm::kvm::KvmSystem& kvm) {
  ASSIGN_OR_RETURN(auto vm, kvm.CreateVm());
  ASSIGN_OR_RETURN(auto page, base::ScopedMmap::Anonymous(4096));
  uint8_t* p = page.data();
  memset(p, 0xf4, 4096);  // hlt everywhere else
  // At IP 0xffa0 (real mode, CS base 0xffff0000): mov ecx, N; 1: dec ecx; jnz 1b; hlt
  const uint8_t loop[] = {0x66, 0xb9, kProbeIterations & 0xff, (kProbeIterations >> 8) & 0xff,
                          (kProbeIterations >> 16) & 0xff, kProbeIterations >> 24,
                          0x66, 0x49, 0x75, 0xfc, 0xf4};
  memcpy(p + 0xfa0, loop, sizeof(loop));
  p[0xff0] = 0xeb;  // the reset vector: jmp short to 0xffa0
  p[0xff1] = static_cast<uint8_t>(0xfa0 - 0xff2);
  RETURN_IF_ERROR(vm.SetUserMemoryRegion(0, kResetPage, 4096, p));
  ASSIGN_OR_RETURN(auto vcpu, vm.CreateVcpu(0));
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto exit, vcpu.Run());
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (exit.kind != vmm::kvm::VcpuExit::Kind::kHlt)
    return base::Status::Error("the probe guest did not reach its hlt (KVM exit kind " +
                               std::to_string(static_cast<int>(exit.kind)) + ")");
  return ms;
}

}  // namespace

HardwareVirt ProbeHardwareVirt() {
  HardwareVirt hw;
  auto kvm = vmm::kvm::KvmSystem::Open();
  if (!kvm.ok()) {
    hw.detail = kvm.status().message();
    return hw;
  }
  hw.kvm_opens = true;
  auto ms = TimeProbeLoop(*kvm);
  if (!ms.ok()) {
    hw.detail = "KVM opens but cannot run a probe guest: " + ms.status().message();
    return hw;
  }
  hw.probe_ms = *ms;
  hw.hardware_speed = *ms < kHardwareSpeedMs;
  char line[200];
  snprintf(line, sizeof(line), "a %u-iteration guest loop took %.2f ms under KVM (%s)",
           kProbeIterations, *ms,
           hw.hardware_speed ? "hardware speed" : "emulated: PVM or nested, not hardware speed");
  hw.detail = line;
  return hw;
}

std::string BackendChoice::Describe() const {
  if (vmm == VmmKind::kHull) return "hull (KVM)";
  return kvm ? "qemu (KVM)" : "qemu (TCG)";
}

base::Result<BackendChoice> ChooseBackend(VmmKind requested, const HardwareVirt& hw) {
  BackendChoice c;
  if (requested == VmmKind::kHull) {
    if (!hw.kvm_opens)
      return base::Status::Error("--vmm hull needs a usable /dev/kvm: " + hw.detail);
    c.vmm = VmmKind::kHull;
    c.kvm = true;
    c.reason = "--vmm hull; " + hw.detail;
    return c;
  }
  if (requested == VmmKind::kAuto && hw.hardware_speed) {
    c.vmm = VmmKind::kHull;
    c.kvm = true;
    c.reason = hw.detail;
    return c;
  }
  c.vmm = VmmKind::kQemu;
  c.kvm = hw.hardware_speed;
  c.reason = (requested == VmmKind::kQemu ? "--vmm qemu; " : "no hardware virtualization: ") +
             hw.detail;
  return c;
}

base::Result<VmmKind> ParseVmmKind(const std::string& text) {
  if (text.empty() || text == "auto") return VmmKind::kAuto;
  if (text == "hull") return VmmKind::kHull;
  if (text == "qemu") return VmmKind::kQemu;
  return base::Status::Error("--vmm must be hull or qemu, not \"" + text + "\"");
}

}  // namespace hull::runtime::vm
