// RngDevice: virtio-rng, the entropy device (virtio 1.2, section 5.4): one request
// queue and no configuration space. For each chain the driver makes available it fills
// the device-writable buffers with bytes from an EntropySource (getrandom(2) by
// default) and returns the chain with the number of bytes written. It follows the
// device pattern of devices/virtio/README.md (event loop worker, device lock, driver
// errors to DeviceSignals::ReportDriverError).
//
// Rate limiting, as Firecracker's entropy device: each request asks the RateLimiter for
// one op and the bytes it will get; over the limit it stays on the ring until the
// limiter's timer (on the event loop while active) fires. The limiter can be changed
// at run time (RateLimiter::Update).
//
// Threads: as SingleQueueDevice's; Serve runs on the event loop thread under mutex_.
#pragma once

#include "devices/virtio/virtio_uapi.h"

#include <cstdint>
#include <memory>

#include "devices/rate_limiter/rate_limiter.h"
#include "devices/rng/entropy_source.h"
#include "devices/virtio/single_queue_device.h"

namespace hull::devices::rng {

inline constexpr uint16_t kRngQueueSize = 256;
// The most bytes one request gets. The spec lets the device fill less than the whole
// buffer; the cap keeps one chain (up to 32768 buffers of 4 GiB) from holding the
// event loop for long.
inline constexpr uint32_t kMaxBytesPerRequest = 64 * 1024;

class RngDevice final : public virtio::SingleQueueDevice {
 public:
  // A null limiter is an unlimited one (RateLimiter::Unlimited), changeable later.
  explicit RngDevice(std::unique_ptr<EntropySource> source = std::make_unique<GetrandomSource>(),
                     std::shared_ptr<rate_limiter::RateLimiter> limiter = nullptr);

  uint32_t device_type() const override { return VIRTIO_ID_RNG; }
  uint64_t avail_features() const override { return 0; }
  std::vector<uint16_t> queue_max_sizes() const override { return {kRngQueueSize}; }
  uint32_t config_size() const override { return 0; }
  void ReadConfig(uint32_t, std::span<uint8_t>) override {}
  void WriteConfig(uint32_t, std::span<const uint8_t>) override {}

  uint64_t bytes_served() const { return bytes_used(); }
  rate_limiter::RateLimiter& rate_limiter() const { return *limiter_; }
  // The limiter's timer expired (the event loop calls it; tests with a fake timer too).
  void RateLimiterTimerFired();

 private:
  // Fills the chain's writable buffers; returns the bytes written.
  base::Result<uint32_t> Serve(const virtio::DescriptorChain& chain) override;
  bool Admit(const virtio::DescriptorChain& chain) override;
  base::Status OnActivate() override;
  void OnReset() override;

  const std::shared_ptr<rate_limiter::RateLimiter> limiter_;
  base::EventLoop* timer_loop_ = nullptr;  // under mutex_: the loop watching the timer

  std::unique_ptr<EntropySource> source_;  // used under mutex_
};

}  // namespace hull::devices::rng
