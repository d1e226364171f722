// The seccomp allowlists of hull-vmm's threads, as data: for each kind of thread, the
// system calls it may make once its filter is installed, with argument checks where
// they matter (ioctl request numbers, mmap/mprotect without PROT_EXEC, AF_UNIX sockets
// only, clone only for threads). Anything else kills the whole process (SIGSYS).
// bpf.h compiles a Policy with libseccomp; thread_filters.h installs one per thread.
//
// A thread inherits its creator's filter and can only narrow it, so a policy must also
// allow what the threads its kind creates do before they install their own: vCPU
// threads start the virtio-blk workers (at DRIVER_OK, inside the MMIO exit), so the
// vCPU policy includes thread creation and the workers' start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hull::vmm::seccomp {

enum class ThreadKind {
  kVcpu,         // one per vCPU: KVM_RUN and the port/MMIO exits (legacy devices, virtio
                 // register accesses, device activation and reset)
  kDevice,       // the virtio event loop: net (tap), vsock (Unix sockets), rng
  kBlockWorker,  // one per virtio-blk drive: preadv/pwritev/fdatasync/fallocate
  kApi,          // the per-VM API (Boost.Asio on a Unix socket)
  kMain,         // main(), once the VM is built: waits for the end, stops the other
                 // threads and tears the VM down (closes, unmaps, removes its sockets)
};
inline constexpr ThreadKind kAllThreadKinds[] = {ThreadKind::kVcpu, ThreadKind::kDevice,
                                                 ThreadKind::kBlockWorker, ThreadKind::kApi,
                                                 ThreadKind::kMain};

// "vcpu", "device", "blk", "api", "main".
const char* ThreadKindName(ThreadKind kind);
std::optional<ThreadKind> ParseThreadKind(std::string_view name);

// One condition on argument `arg` (0-5): (value & mask) == expected.
struct ArgCheck {
  unsigned arg;
  uint64_t mask;
  uint64_t expected;
};

// The system call `name` is allowed when every check holds. A name may appear in
// several rules: any one of them allows the call.
struct SyscallRule {
  std::string name;
  std::vector<ArgCheck> all_of;
};

struct Policy {
  std::vector<SyscallRule> allow;
  // Answered with ENOSYS instead of allowed or fatal: clone3, whose flags sit behind a
  // pointer no filter can read, so glibc falls back to clone, whose flags it can.
  std::vector<std::string> enosys;
};

Policy PolicyFor(ThreadKind kind);

}  // namespace hull::vmm::seccomp
