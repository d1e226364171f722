// Which VMM runs a container's micro-VM, and why (DESIGN.md, "Testing on machines like
// ours"): `hull` (hull-vmm on KVM) where hardware virtualization is usable — measured by
// timing a tiny guest loop under KVM, not guessed from /dev/kvm's presence — otherwise
// `qemu` (KVM if usable, else TCG). Called by the VM runtime once per VM, or by the
// benchmark to label its numbers.
#pragma once

#include <string>

#include "base/status.h"

namespace hull::runtime::vm {

enum class VmmKind { kAuto, kHull, kQemu };

struct HardwareVirt {
  bool kvm_opens = false;   // /dev/kvm exists and opens
  bool hardware_speed = false;  // the probe loop ran at hardware speed
  double probe_ms = 0;      // how long the probe loop took
  std::string detail;       // one line: what was measured, or why nothing could be
};

// Times 200,000 iterations of a two-instruction loop in a one-page real-mode guest.
// Hardware virtualization runs it in well under a millisecond; KVM's instruction
// emulator (PVM hosts, nested KVM under TCG) needs hundreds.
HardwareVirt ProbeHardwareVirt();

struct BackendChoice {
  VmmKind vmm = VmmKind::kQemu;
  bool kvm = false;     // qemu: -accel kvm (else tcg)
  std::string reason;   // one line for the user
  std::string Describe() const;  // "qemu (TCG)", "hull (KVM)"
};

// `requested` kAuto picks as described above; kHull fails unless /dev/kvm opens.
base::Result<BackendChoice> ChooseBackend(VmmKind requested, const HardwareVirt& hw);

base::Result<VmmKind> ParseVmmKind(const std::string& text);

}  // namespace hull::runtime::vm
