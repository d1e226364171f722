#include "devices/virtio/single_queue_device.h"

#include <sys/epoll.h>

namespace hull::devices::virtio {

base::Status SingleQueueDevice::Activate(ActivationContext context) {
  std::lock_guard lock(mutex_);
  if (!context.queues[0]) return base::Status::Error("the " + queue_name_ + " queue was not enabled");
  if (context.loop != nullptr) {
    const base::EventFd* kick = context.notify[0];
    RETURN_IF_ERROR(context.loop->Add(kick->fd(), EPOLLIN, [this, kick](uint32_t) {
      (void)kick->Consume();
      Process();
    }));
  }
  context_ = std::move(context);
  active_ = true;
  return base::Status::Ok();
}

void SingleQueueDevice::Reset() {
  std::lock_guard lock(mutex_);
  if (context_ && context_->loop != nullptr) {
    (void)context_->loop->Remove(context_->notify[0]->fd());
  }
  context_.reset();
  active_ = false;
}

void SingleQueueDevice::Process() {
  std::lock_guard lock(mutex_);
  if (active_) ProcessLocked();  // a kick that raced with Reset finds nothing to do
}

void SingleQueueDevice::ProcessLocked() {
  Queue& queue = *context_->queues[0];
  DeviceSignals& signals = *context_->signals;
  auto fail = [&](const base::Status& error) {
    signals.ReportDriverError(error);
    active_ = false;  // stop until the driver resets us
  };
  for (;;) {
    if (base::Status s = queue.DisableNotification(); !s.ok()) return fail(s);
    for (;;) {
      base::Result<std::optional<DescriptorChain>> popped = queue.Pop();
      if (!popped.ok()) return fail(popped.status());
      if (!popped->has_value()) break;
      base::Result<uint32_t> used = Serve(**popped);
      if (!used.ok()) return fail(used.status());
      if (base::Status s = queue.AddUsed((*popped)->head(), *used); !s.ok()) return fail(s);
      ++chains_used_;
      bytes_used_ += *used;
    }
    base::Result<bool> more = queue.EnableNotification();
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
  }
  base::Result<bool> interrupt = queue.NeedsInterrupt();
  if (!interrupt.ok()) return fail(interrupt.status());
  if (*interrupt) signals.SignalUsedBuffers();
}

bool SingleQueueDevice::active() const {
  std::lock_guard lock(mutex_);
  return active_;
}

uint64_t SingleQueueDevice::chains_used() const {
  std::lock_guard lock(mutex_);
  return chains_used_;
}

uint64_t SingleQueueDevice::bytes_used() const {
  std::lock_guard lock(mutex_);
  return bytes_used_;
}

}  // namespace hull::devices::virtio
