#include "devices/testing/echo_device.h"

#include <cstring>
#include <algorithm>

#include "base/logging.h"

namespace hull::devices::testing {

void EchoDevice::ReadConfig(uint32_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mutex_);
  std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&config_) + offset, data.size());
}

void EchoDevice::WriteConfig(uint32_t offset, std::span<const uint8_t> data) {
  std::lock_guard lock(mutex_);
  std::memcpy(reinterpret_cast<uint8_t*>(&config_) + offset, data.data(), data.size());
}

base::Status EchoDevice::Activate(virtio::ActivationContext context) {
  std::lock_guard lock(mutex_);
  if (!context.queues[0]) return base::Status::Error("the echo queue was not enabled");
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

void EchoDevice::Reset() {
  std::lock_guard lock(mutex_);
  if (context_ && context_->loop != nullptr) {
    (void)context_->loop->Remove(context_->notify[0]->fd());
  }
  context_.reset();
  active_ = false;
}

void EchoDevice::Process() {
  std::lock_guard lock(mutex_);
  if (active_) ProcessLocked();  // a kick that raced with Reset finds nothing to do
}

void EchoDevice::ProcessLocked() {
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
      const virtio::DescriptorChain& chain = **popped;
      virtio::ChainReader reader(context_->memory, chain);
      virtio::ChainWriter writer(context_->memory, chain);
      // Chunked: a chain may name far more bytes than guest RAM holds (the same buffer
      // many times over), so never allocate by a guest-controlled size.
      uint64_t n = std::min(reader.remaining(), writer.remaining());
      n = std::min<uint64_t>(n, UINT32_MAX);
      uint8_t chunk[4096];
      for (uint64_t left = n; left > 0;) {
        std::span<uint8_t> part(chunk, std::min<uint64_t>(left, sizeof(chunk)));
        if (base::Status s = reader.Read(part); !s.ok()) return fail(s);
        if (base::Status s = writer.Write(part); !s.ok()) return fail(s);
        left -= part.size();
      }
      if (base::Status s = queue.AddUsed(chain.head(), static_cast<uint32_t>(n)); !s.ok()) return fail(s);
      ++chains_;
    }
    base::Result<bool> more = queue.EnableNotification();
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
  }
  base::Result<bool> interrupt = queue.NeedsInterrupt();
  if (!interrupt.ok()) return fail(interrupt.status());
  if (*interrupt) signals.SignalUsedBuffers();
}

bool EchoDevice::active() const {
  std::lock_guard lock(mutex_);
  return active_;
}

uint64_t EchoDevice::chains_processed() const {
  std::lock_guard lock(mutex_);
  return chains_;
}

}  // namespace hull::devices::testing
