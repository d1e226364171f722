// SingleQueueDevice: what every one-queue virtio device shares — activation on the VM's
// event loop (the queue's kick fd wakes Process), reset, the drain loop with
// notification suppression and EVENT_IDX interrupts, and stopping on a driver error
// (DEVICE_NEEDS_RESET) until the driver resets the device. A device supplies Serve(),
// which handles one chain and returns the bytes to report in the used ring.
//
// Threads: the transport calls Activate/Reset (and the device's config methods) from
// vCPU threads; Process runs on the event loop thread. mutex_ guards this class's
// state and the subclass's; Serve runs with it held.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "devices/virtio/virtio_device.h"

namespace hull::devices::virtio {

class SingleQueueDevice : public VirtioDevice {
 public:
  base::Status Activate(ActivationContext context) final;
  void Reset() final;

  // Drains the queue. The event loop calls it on a kick; tests without a loop call it.
  void Process();
  bool active() const;
  // Chains returned to the driver, and the bytes reported for them, since creation.
  uint64_t chains_used() const;
  uint64_t bytes_used() const;

 protected:
  // `queue_name` names the queue in errors: "the <queue_name> queue was not enabled".
  explicit SingleQueueDevice(std::string queue_name) : queue_name_(std::move(queue_name)) {}

  // Handles one chain; the result is the used length. An error is the driver's fault
  // and puts the device into DEVICE_NEEDS_RESET. Called with mutex_ held.
  virtual base::Result<uint32_t> Serve(const DescriptorChain& chain) = 0;
  // Valid while active, from Serve.
  const ActivationContext& context() const { return *context_; }

  mutable std::mutex mutex_;

 private:
  void ProcessLocked();

  const std::string queue_name_;
  bool active_ = false;
  std::optional<ActivationContext> context_;
  uint64_t chains_used_ = 0;
  uint64_t bytes_used_ = 0;
};

}  // namespace hull::devices::virtio
