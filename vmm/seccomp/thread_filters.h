// hull-vmm's per-thread seccomp filters: one BPF program per thread kind, compiled
// from policy.h at build time (programs.h); main() calls Prepare before any thread
// starts, and each thread installs its own with EnterThread before it runs
// guest-facing code. Unprepared (tests that build a Machine
// in-process) or disabled (--no-seccomp), EnterThread installs nothing.
//
// The order, which matters because a thread inherits its creator's filter:
//   1. main(): Prepare (reads the test hook, checks the kernel has seccomp), before any
//      thread starts. The main thread builds the VM unfiltered (opens files, creates
//      the VM and vCPUs).
//   2. API thread (--api-sock), started by main before the VM exists: EnterThread(kApi)
//      before it serves the first request.
//   3. Device event loop (VirtioDevices::Start, from Machine::Run): EnterThread(kDevice)
//      before the loop runs; every device callback runs under it.
//   4. vCPU threads (VcpuThread::Start, from Machine::Run, after the devices are
//      set up): EnterThread(kVcpu) before the first KVM_RUN.
//   5. The main thread (Machine::Run), once every vCPU thread exists and is parked
//      before its first KVM_RUN: EnterThread(kMain), then the vCPUs are let into the
//      guest. From then on it only waits for signals, the end and stdin, stops the
//      other threads and tears the VM down.
//   6. virtio-blk workers, created by a vCPU thread when the guest activates the drive:
//      they start under the vCPU filter and add EnterThread(kBlockWorker) on top, before
//      they take the first request.
//
// Test-only hook: with HULL_VMM_TEST_FORBIDDEN_SYSCALL=<kind> in the environment
// (vcpu, device, blk, api, main), a thread of that kind calls openat(2) on "/" right after
// its filter is in place, which no policy allows: with seccomp, hull-vmm dies by SIGSYS
// (tests/kvm/seccomp_test.cc); with --no-seccomp it logs and goes on. It can only make
// hull-vmm stop, never allow anything.
#pragma once

#include "base/status.h"
#include "vmm/seccomp/policy.h"

namespace hull::vmm::seccomp {

// main(), once, before any other thread exists. enabled = false (--no-seccomp) prints
// a warning on stderr that the VMM runs unconfined. Fails when the kernel has no
// seccomp filters.
[[nodiscard]] base::Status Prepare(bool enabled);

// Installs the filter of `kind` on the calling thread (see the order above). A filter
// that cannot be installed ends hull-vmm (status 250): it never runs unconfined
// without --no-seccomp.
void EnterThread(ThreadKind kind);

}  // namespace hull::vmm::seccomp
