#include "devices/rng/rng_device.h"

#include <algorithm>

#include "base/logging.h"

namespace hull::devices::rng {

RngDevice::RngDevice(std::unique_ptr<EntropySource> source,
                     std::shared_ptr<rate_limiter::RateLimiter> limiter)
    : SingleQueueDevice("virtio-rng request"),
      source_(std::move(source)),
      limiter_(limiter ? std::move(limiter) : rate_limiter::RateLimiter::Unlimited()) {}

bool RngDevice::Admit(const virtio::DescriptorChain& chain) {
  return limiter_->Consume(std::min<uint64_t>(chain.writable_bytes(), kMaxBytesPerRequest));
}

void RngDevice::RateLimiterTimerFired() {
  // Acknowledged whatever the device's state: a reset device must not leave a readable
  // timerfd on the level-triggered loop.
  limiter_->TimerFired();
  Process();
}

base::Status RngDevice::OnActivate() {
  if (limiter_->timer_fd() < 0 || context().loop == nullptr) return base::Status::Ok();
  // Level-triggered: a timer that expired while the device was reset fires now.
  RETURN_IF_ERROR(context().loop->Add(limiter_->timer_fd(), EPOLLIN,
                                      [this](uint32_t) { RateLimiterTimerFired(); }));
  timer_loop_ = context().loop;
  return base::Status::Ok();
}

void RngDevice::OnReset() {
  if (timer_loop_ != nullptr) (void)timer_loop_->Remove(limiter_->timer_fd());
  timer_loop_ = nullptr;
}

base::Result<uint32_t> RngDevice::Serve(const virtio::DescriptorChain& chain) {
  // A chain without writable buffers breaks a driver MUST (5.4.6.1), but there is no
  // harm in it: it gets 0 bytes back, as in Firecracker.
  virtio::ChainWriter writer(context().memory, chain);
  const uint64_t total = std::min<uint64_t>(writer.remaining(), kMaxBytesPerRequest);
  uint8_t chunk[4096];
  for (uint64_t left = total; left > 0;) {
    std::span<uint8_t> part(chunk, std::min<uint64_t>(left, sizeof(chunk)));
    if (base::Status s = source_->Fill(part); !s.ok()) {
      // The host's fault, not the driver's: return what was written so far.
      LOG_WARNING_LIMITED << "virtio-rng: " << s.message();
      break;
    }
    RETURN_IF_ERROR(writer.Write(part));
    left -= part.size();
  }
  return static_cast<uint32_t>(writer.consumed());
}

}  // namespace hull::devices::rng
