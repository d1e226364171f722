#include "devices/virtio/single_queue_device.h"

namespace hull::devices::virtio {

base::Status SingleQueueDevice::OnQueueKick(size_t index) {
  return DrainQueue(
      index, [this](const DescriptorChain& chain) { return Serve(chain); },
      [this](const DescriptorChain& chain) { return Admit(chain); });
}

uint64_t SingleQueueDevice::chains_used() const {
  std::lock_guard lock(mutex_);
  return chains_used_locked();
}

uint64_t SingleQueueDevice::bytes_used() const {
  std::lock_guard lock(mutex_);
  return bytes_used_locked();
}

}  // namespace hull::devices::virtio
