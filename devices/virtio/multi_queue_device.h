// MultiQueueDevice: what every virtio device with one or more queues shares — activation
// on the VM's event loop (each queue's kick fd wakes OnQueueKick), reset, the drain loop
// with notification suppression and EVENT_IDX interrupts, and stopping on a driver error
// (DEVICE_NEEDS_RESET, spec 2.1.2) until the driver resets the device. Devices whose
// work is also driven by a backend fd (a tap, a host socket) add that fd to the loop in
// OnActivate and wrap its callback in RunIfActive.
//
// Threads: the transport calls Activate/Reset (and the device's config methods) from
// vCPU threads; kicks and backend callbacks run on the event loop thread. mutex_ guards
// this class's state and the subclass's; every virtual below runs with it held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "devices/virtio/virtio_device.h"

namespace hull::devices::virtio {

class MultiQueueDevice : public VirtioDevice {
 public:
  base::Status Activate(ActivationContext context) final;
  void Reset() final;

  // Handles a kick of queue `index`. The event loop calls it; tests without a loop call
  // it directly. A kick that races with Reset finds nothing to do.
  void ProcessQueue(size_t index);
  bool active() const;

 protected:
  // One name per queue, used in errors ("the <name> queue was not enabled"). Every
  // queue must be enabled by the driver.
  explicit MultiQueueDevice(std::vector<std::string> queue_names)
      : queue_names_(std::move(queue_names)) {}

  // The driver kicked queue `index`. An error is the driver's fault (or a backend
  // failure the device cannot recover from) and puts the device into DEVICE_NEEDS_RESET.
  virtual base::Status OnQueueKick(size_t index) = 0;
  // After the queues are checked and context() is valid, before kicks are delivered:
  // start backends, add their fds to context().loop. An error fails the activation.
  virtual base::Status OnActivate() { return base::Status::Ok(); }
  // Undoes OnActivate: remove backend fds from the loop, drop per-activation state.
  // Called on Reset, and when OnActivate failed.
  virtual void OnReset() {}

  using ServeFn = std::function<base::Result<uint32_t>(const DescriptorChain&)>;
  // false: do not take this chain now (a rate limiter is throttled).
  using AdmitFn = std::function<bool(const DescriptorChain&)>;
  // Serves every chain available on queue `index` (serve returns the used length),
  // re-checking after re-enabling notifications, then interrupts if the queue says so.
  // With `admit`, each chain is first offered to it; a refused chain goes back on the
  // ring and draining stops with notifications still off, until the device calls
  // DrainQueue again (its limiter's timer fired).
  base::Status DrainQueue(size_t index, const ServeFn& serve, const AdmitFn& admit = {});
  // Returns one chain to the used ring without interrupting; call SignalIfNeeded after
  // a batch.
  base::Status AddUsed(size_t index, const DescriptorChain& chain, uint32_t length);
  // Interrupts the driver if queue `index` asks for it (EVENT_IDX / NO_INTERRUPT).
  base::Status SignalIfNeeded(size_t index);

  // For callbacks the device registers on the event loop (backend fds): runs `work` with
  // mutex_ held if the device is active; an error goes to FailLocked.
  void RunIfActive(const std::function<base::Status()>& work);
  // Reports `error` through DeviceSignals and stops the device until Reset.
  void FailLocked(const base::Status& error);

  bool active_locked() const { return active_; }
  // Valid while active.
  const ActivationContext& context() const { return *context_; }
  Queue& queue(size_t index) { return *context_->queues[index]; }

  // Chains returned to the driver, and the bytes reported for them, since creation.
  uint64_t chains_used_locked() const { return chains_used_; }
  uint64_t bytes_used_locked() const { return bytes_used_; }

  mutable std::mutex mutex_;

 private:
  void RemoveKicks();

  const std::vector<std::string> queue_names_;
  bool active_ = false;
  std::optional<ActivationContext> context_;
  uint64_t chains_used_ = 0;
  uint64_t bytes_used_ = 0;
};

}  // namespace hull::devices::virtio
