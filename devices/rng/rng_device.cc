#include "devices/rng/rng_device.h"

#include <algorithm>

#include "base/logging.h"

namespace hull::devices::rng {

RngDevice::RngDevice(std::unique_ptr<EntropySource> source) : source_(std::move(source)) {}

base::Status RngDevice::Activate(virtio::ActivationContext context) {
  std::lock_guard lock(mutex_);
  if (!context.queues[0]) return base::Status::Error("the virtio-rng request queue was not enabled");
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

void RngDevice::Reset() {
  std::lock_guard lock(mutex_);
  if (context_ && context_->loop != nullptr) {
    (void)context_->loop->Remove(context_->notify[0]->fd());
  }
  context_.reset();
  active_ = false;
}

void RngDevice::Process() {
  std::lock_guard lock(mutex_);
  if (active_) ProcessLocked();  // a kick that raced with Reset finds nothing to do
}

base::Result<uint32_t> RngDevice::Serve(const virtio::DescriptorChain& chain) {
  // A chain without writable buffers breaks a driver MUST (5.4.6.1), but there is no
  // harm in it: it gets 0 bytes back, as in Firecracker.
  virtio::ChainWriter writer(context_->memory, chain);
  const uint64_t total = std::min<uint64_t>(writer.remaining(), kMaxBytesPerRequest);
  uint8_t chunk[4096];
  for (uint64_t left = total; left > 0;) {
    std::span<uint8_t> part(chunk, std::min<uint64_t>(left, sizeof(chunk)));
    if (base::Status s = source_->Fill(part); !s.ok()) {
      // The host's fault, not the driver's: return what was written so far.
      LOG_WARNING << "virtio-rng: " << s.message();
      break;
    }
    RETURN_IF_ERROR(writer.Write(part));
    left -= part.size();
  }
  return static_cast<uint32_t>(writer.consumed());
}

void RngDevice::ProcessLocked() {
  virtio::Queue& queue = *context_->queues[0];
  virtio::DeviceSignals& signals = *context_->signals;
  auto fail = [&](const base::Status& error) {
    signals.ReportDriverError(error);
    active_ = false;  // stop until the driver resets us
  };
  for (;;) {
    if (base::Status s = queue.DisableNotification(); !s.ok()) return fail(s);
    for (;;) {
      base::Result<std::optional<virtio::DescriptorChain>> popped = queue.Pop();
      if (!popped.ok()) return fail(popped.status());
      if (!popped->has_value()) break;
      base::Result<uint32_t> written = Serve(**popped);
      if (!written.ok()) return fail(written.status());
      if (base::Status s = queue.AddUsed((*popped)->head(), *written); !s.ok()) return fail(s);
      bytes_served_ += *written;
    }
    base::Result<bool> more = queue.EnableNotification();
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
  }
  base::Result<bool> interrupt = queue.NeedsInterrupt();
  if (!interrupt.ok()) return fail(interrupt.status());
  if (*interrupt) signals.SignalUsedBuffers();
}

bool RngDevice::active() const {
  std::lock_guard lock(mutex_);
  return active_;
}

uint64_t RngDevice::bytes_served() const {
  std::lock_guard lock(mutex_);
  return bytes_served_;
}

}  // namespace hull::devices::rng
