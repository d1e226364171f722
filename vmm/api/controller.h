// Controller: the state machine behind hull-vmm's per-VM API. It owns the VM's
// configuration until boot and the VM's lifecycle state (Not started → Running ⇄
// Paused → ended), and applies each Action (action.h) to them, refusing actions that
// are not allowed in the current state with a fault_message that says why.
//
// Threads: Apply runs on the API thread (server.h). Building and running the VM stays
// on the main thread, as in Firecracker's VMM thread: InstanceStart hands the
// configuration over through start_fd() and waits until the main thread reports
// StartFailed or Started. Pause/Resume/SendCtrlAltDel call the RunningVm directly from
// the API thread, under the controller's lock; the main thread calls Ended() before it
// destroys the VM, so the API thread never touches a VM that is gone.
// Owned by main(); outlives the API server.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/event_fd.h"
#include "base/status.h"
#include "vmm/api/action.h"
#include "vmm/config/vm_config.h"
#include "vmm/metrics/metrics_file.h"
#include "vmm/metrics/resident_memory.h"

namespace hull::vmm::api {

// What the controller needs of a started VM; main.cc adapts the Machine to it. Called
// on the API thread with the controller's lock held.
class RunningVm {
 public:
  virtual ~RunningVm() = default;
  virtual void Pause() = 0;  // returns once every vCPU is parked outside the guest
  virtual void Resume() = 0;
  [[nodiscard]] virtual base::Status SendCtrlAltDel() = 0;
  // PATCH of a drive's or an interface's rate limiters (the id exists in the config).
  [[nodiscard]] virtual base::Status UpdateRateLimiters(const api::UpdateRateLimiters&) {
    return base::Status::Error("this VM cannot change rate limiters");
  }
  // GET /metrics: a JSON object of device and vCPU counters, merged into the answer.
  virtual std::string MetricsJson() { return "{}"; }
};

// The constant part of GET /.
struct InstanceIdentity {
  std::string id = "anonymous-instance";  // Firecracker's default --id
  std::string app_name = "hull-vmm";
  std::string vmm_version;
};

class Controller {
 public:
  // `config` is the configuration so far (from --config and flags); it need not name a
  // kernel yet.
  static base::Result<std::unique_ptr<Controller>> Create(VmConfig config,
                                                          InstanceIdentity identity);

  // API thread. Applies `action` and says how it went; may block while the main thread
  // builds the VM (InstanceStart) or while the vCPUs park (Paused).
  Reply Apply(const Action& action);

  // Main thread. Readable when InstanceStart asks for the VM to be built and started.
  int start_fd() const { return start_event_.fd(); }
  // The configuration to boot, once InstanceStart asked for it; clears start_fd().
  std::optional<VmConfig> TakeStartRequest();
  // The main thread builds the VM from its flags and config file at once, without
  // InstanceStart: from now on the pre-boot actions are refused ("the microVM is
  // starting"), and Started or Ended follows.
  void BootingFromConfig();
  // Building the VM failed: InstanceStart is refused with `why`, and the VM stays
  // configurable.
  void StartFailed(const base::Status& why);
  // The vCPUs run (after InstanceStart, or because hull-vmm booted at once from its
  // flags). `vm` stays valid until Ended().
  void Started(RunningVm* vm);
  // The VM has ended or hull-vmm is exiting: from now on every action but the GETs is
  // refused, and a waiting InstanceStart is answered.
  void Ended();

  // Main thread, before the API serves: the --metrics-path file FlushMetrics writes to
  // (owned by main(), outlives the controller's use of it). Without one FlushMetrics is
  // refused.
  void SetMetricsFile(MetricsFile* file);
  // GET /metrics's object now (JSON text); any thread.
  std::string MetricsText() const;

  // For tests and logs.
  std::string StateName() const;

 private:
  enum class State { kNotStarted, kStarting, kRunning, kPaused, kEnded };

  Controller(VmConfig config, InstanceIdentity identity, base::EventFd start_event);

  // Each runs with mu_ held.
  Reply InstanceInfo() const;
  Reply VmConfigJson() const;
  Reply MachineConfigJson() const;
  Reply Start(std::unique_lock<std::mutex>& lock);
  Reply ConfigureDevice(const api::ConfigureDevice& device);
  Reply ChangeRateLimiters(const api::UpdateRateLimiters& update);
  Reply Metrics() const;
  Reply Flush() const;
  Reply UpdateMachine(const UpdateMachineConfig& update);
  Reply ChangeRunState(bool pause);
  Reply CtrlAltDel();
  // Refusals that say which state allows the action.
  std::optional<Reply> RequireNotStarted(const char* action) const;
  std::optional<Reply> RequireStarted(const char* action) const;
  const char* StateNameLocked() const;

  const InstanceIdentity identity_;
  std::optional<ResidentMemory> resident_memory_;  // none where /proc is missing
  base::EventFd start_event_;

  mutable std::mutex mu_;
  std::condition_variable start_done_;  // signalled when kStarting ends
  State state_ = State::kNotStarted;    // guarded by mu_
  VmConfig config_;                     // guarded by mu_; changes only before boot
  bool start_requested_ = false;        // guarded by mu_: not yet taken by the main thread
  std::string start_error_;             // guarded by mu_: why the last start failed
  RunningVm* vm_ = nullptr;             // guarded by mu_; set while Running or Paused
  bool booted_ = false;                 // guarded by mu_: Started() was called
  MetricsFile* metrics_file_ = nullptr; // set before the API serves; thread-safe itself
};

}  // namespace hull::vmm::api
