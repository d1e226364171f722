#include "devices/virtio/multi_queue_device.h"

#include <sys/epoll.h>

namespace hull::devices::virtio {

base::Status MultiQueueDevice::Activate(ActivationContext context) {
  std::lock_guard lock(mutex_);
  if (context.queues.size() != queue_names_.size()) {
    return base::Status::Error("the device has " + std::to_string(queue_names_.size()) +
                               " queues, the transport gave " +
                               std::to_string(context.queues.size()));
  }
  for (size_t i = 0; i < queue_names_.size(); ++i) {
    if (!context.queues[i]) {
      return base::Status::Error("the " + queue_names_[i] + " queue was not enabled");
    }
  }
  context_ = std::move(context);
  if (base::Status s = OnActivate(); !s.ok()) {
    OnReset();
    context_.reset();
    return s;
  }
  if (context_->loop != nullptr) {
    for (size_t i = 0; i < queue_names_.size(); ++i) {
      const base::EventFd* kick = context_->notify[i];
      base::Status added = context_->loop->Add(kick->fd(), EPOLLIN, [this, kick, i](uint32_t) {
        (void)kick->Consume();
        ProcessQueue(i);
      });
      if (!added.ok()) {
        RemoveKicks();
        OnReset();
        context_.reset();
        return added;
      }
    }
  }
  active_ = true;
  return base::Status::Ok();
}

void MultiQueueDevice::RemoveKicks() {
  if (context_->loop == nullptr) return;
  // Remove of an fd that was never added fails harmlessly.
  for (const base::EventFd* kick : context_->notify) (void)context_->loop->Remove(kick->fd());
}

void MultiQueueDevice::Reset() {
  std::lock_guard lock(mutex_);
  if (!context_) return;
  RemoveKicks();
  OnReset();
  context_.reset();
  active_ = false;
}

void MultiQueueDevice::ProcessQueue(size_t index) {
  std::lock_guard lock(mutex_);
  if (!active_ || index >= queue_names_.size()) return;
  if (base::Status s = OnQueueKick(index); !s.ok()) FailLocked(s);
}

void MultiQueueDevice::RunIfActive(const std::function<base::Status()>& work) {
  std::lock_guard lock(mutex_);
  if (!active_) return;
  if (base::Status s = work(); !s.ok()) FailLocked(s);
}

void MultiQueueDevice::FailLocked(const base::Status& error) {
  if (!active_) return;
  context_->signals->ReportDriverError(error);
  active_ = false;  // stop until the driver resets us
}

base::Status MultiQueueDevice::DrainQueue(size_t index, const ServeFn& serve,
                                          const AdmitFn& admit) {
  Queue& q = queue(index);
  for (;;) {
    RETURN_IF_ERROR(q.DisableNotification());
    for (;;) {
      ASSIGN_OR_RETURN(std::optional<DescriptorChain> chain, q.Pop());
      if (!chain) break;
      if (admit && !admit(*chain)) {
        q.UndoPop();
        return SignalIfNeeded(index);
      }
      ASSIGN_OR_RETURN(uint32_t used, serve(*chain));
      RETURN_IF_ERROR(AddUsed(index, *chain, used));
    }
    ASSIGN_OR_RETURN(bool more, q.EnableNotification());
    if (!more) break;
  }
  return SignalIfNeeded(index);
}

base::Status MultiQueueDevice::AddUsed(size_t index, const DescriptorChain& chain,
                                       uint32_t length) {
  RETURN_IF_ERROR(queue(index).AddUsed(chain.head(), length));
  ++chains_used_;
  bytes_used_ += length;
  return base::Status::Ok();
}

base::Status MultiQueueDevice::SignalIfNeeded(size_t index) {
  ASSIGN_OR_RETURN(bool interrupt, queue(index).NeedsInterrupt());
  if (interrupt) context_->signals->SignalUsedBuffers();
  return base::Status::Ok();
}

bool MultiQueueDevice::active() const {
  std::lock_guard lock(mutex_);
  return active_;
}

}  // namespace hull::devices::virtio
