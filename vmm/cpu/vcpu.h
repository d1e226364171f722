// VcpuThread: one thread running one vCPU — KVM_RUN in a loop, port and MMIO exits
// dispatched to the buses, ends of the VM (triple fault, reset, internal error,
// anything unsupported) reported to the VmEndSink. Another thread may Pause, Resume
// and Stop it: those set the requested state, set the vCPU's immediate_exit and send
// the thread kKickSignal, so a vCPU inside KVM_RUN leaves it at once.
//
// Ownership: the VcpuThread owns its KvmVcpu; the buses and the sink belong to the
// Machine and outlive every VcpuThread.
#pragma once

#include <pthread.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "devices/bus.h"
#include "vmm/cpu/vm_end.h"
#include "vmm/kvm/kvm_vcpu.h"

namespace hull::vmm::cpu {

// How many times KVM_RUN returned, by reason (kvm::VcpuExit::Kind), for metrics.
inline constexpr size_t kExitKinds = static_cast<size_t>(kvm::VcpuExit::Kind::kUnknown) + 1;
using ExitCounts = std::array<uint64_t, kExitKinds>;
// "io_in", "mmio_write", ...: the metrics name of each kind.
const char* ExitKindName(kvm::VcpuExit::Kind kind);

class VcpuThread {
 public:
  VcpuThread(kvm::KvmVcpu vcpu, const devices::Bus& pio, const devices::Bus& mmio,
             VmEndSink& sink);
  ~VcpuThread();  // stops and joins
  VcpuThread(const VcpuThread&) = delete;
  VcpuThread& operator=(const VcpuThread&) = delete;

  // Installs the (empty) kick-signal handler; call once per process before Start.
  static base::Status InstallKickHandler();

  // parked: the thread installs its filter and waits, outside the guest, for Resume.
  base::Status Start(bool parked = false);
  // Blocks until the vCPU is parked outside the guest.
  void Pause();
  void Resume();
  // Asks the thread to leave its loop; Join waits for it.
  void Stop();
  void Join();

  uint32_t id() const { return vcpu_.id(); }
  // Any thread; relaxed reads of counters only this vCPU's thread writes.
  ExitCounts exit_counts() const;

 private:
  enum class Request { kRun, kPause, kStop };

  void Loop();
  void Kick();
  // Returns false when the loop must end.
  bool HandleExit(const kvm::VcpuExit& exit);
  void HandlePortIo(const kvm::VcpuExit& exit);
  void HandleMmio(const kvm::VcpuExit& exit);
  // Parks while paused; false when stopping.
  bool WaitWhilePaused();

  kvm::KvmVcpu vcpu_;
  const devices::Bus& pio_;
  const devices::Bus& mmio_;
  VmEndSink& sink_;
  std::thread thread_;
  pthread_t native_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  Request request_ = Request::kRun;  // guarded by mu_
  bool parked_ = false;              // guarded by mu_
  bool warned_unmapped_ = false;     // vCPU thread only
  std::array<std::atomic<uint64_t>, kExitKinds> exits_{};  // written by the vCPU thread
};

}  // namespace hull::vmm::cpu
