// How a VM ended, and the mapping from that to hull-vmm's exit status (documented in
// docs/hull-vmm.md). Any vCPU thread, device callback, timer or signal handler path
// reports the end through VmEndSink; the first report wins.
#pragma once

#include <cstdint>
#include <string>

namespace hull::vmm {

enum class VmEndKind {
  kExitPort,       // the guest wrote a status to the exit port
  kReset,          // the guest asked for a reset (i8042 0xfe, KVM system event)
  kPowerOff,       // the guest powered off without a status
  kTripleFault,    // KVM_EXIT_SHUTDOWN
  kInternalError,  // KVM could not run the guest (e.g. instruction emulation failed)
  kUnsupported,    // the guest did something hull-vmm does not support
  kTimeout,        // --timeout expired
  kSignal,         // hull-vmm received SIGINT/SIGTERM/SIGHUP
  kVmmError,       // hull-vmm itself failed while the VM ran
};

struct VmEnd {
  VmEndKind kind = VmEndKind::kVmmError;
  uint32_t value = 0;   // exit-port status or signal number
  std::string detail;   // human-readable specifics
};

// Exit statuses for the ends that are not a guest-reported status.
inline constexpr int kExitStatusGuestMax = 127;     // exit-port values above are clamped
inline constexpr int kExitStatusReset = 200;
inline constexpr int kExitStatusPowerOff = 201;
inline constexpr int kExitStatusTripleFault = 202;
inline constexpr int kExitStatusInternalError = 203;
inline constexpr int kExitStatusUnsupported = 204;
inline constexpr int kExitStatusTimeout = 205;
inline constexpr int kExitStatusVmmError = 250;     // also: bad configuration or input

int ExitStatusFor(const VmEnd& end);
// One line: "guest exited with status 3", "guest triple-faulted", ...
std::string DescribeVmEnd(const VmEnd& end);

class VmEndSink {
 public:
  virtual ~VmEndSink() = default;
  // Records the end (if none was recorded yet) and asks every vCPU to stop.
  virtual void EndVm(VmEnd end) = 0;
  virtual bool Ending() const = 0;
};

}  // namespace hull::vmm
