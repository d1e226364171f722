// SingleQueueDevice: a MultiQueueDevice with one queue whose every chain is answered on
// its own (rng, the test echo device). A device supplies Serve(), which handles one
// chain and returns the bytes to report in the used ring.
//
// Threads: as MultiQueueDevice's; Serve runs on the event loop thread with mutex_ held.
#pragma once

#include <cstdint>
#include <string>

#include "devices/virtio/multi_queue_device.h"

namespace hull::devices::virtio {

class SingleQueueDevice : public MultiQueueDevice {
 public:
  // Drains the queue. The event loop calls it on a kick; tests without a loop call it.
  void Process() { ProcessQueue(0); }
  // Chains returned to the driver, and the bytes reported for them, since creation.
  uint64_t chains_used() const;
  uint64_t bytes_used() const;

 protected:
  // `queue_name` names the queue in errors: "the <queue_name> queue was not enabled".
  explicit SingleQueueDevice(std::string queue_name)
      : MultiQueueDevice({std::move(queue_name)}) {}

  // Handles one chain; the result is the used length. An error is the driver's fault
  // and puts the device into DEVICE_NEEDS_RESET. Called with mutex_ held.
  virtual base::Result<uint32_t> Serve(const DescriptorChain& chain) = 0;
  // Offered each chain before Serve: false leaves it (and those after it) on the ring
  // until the next Process (a rate limiter is throttled). Called with mutex_ held.
  virtual bool Admit(const DescriptorChain&) { return true; }

 private:
  base::Status OnQueueKick(size_t index) final;
};

}  // namespace hull::devices::virtio
