// NetDevice: virtio-net (virtio 1.2, section 5.1) — receive queue 0, transmit queue 1,
// no control queue — over a NetBackend (a tap in hull-vmm). It owns the device state,
// the configuration space (MAC, link status) and the queue callbacks; frame checks are
// in frame.h, the tap in tap.h.
//
// Transmit: each chain's readable part (virtio_net_hdr_v1 + frame) goes to the backend
// as one write, straight from guest memory; frames too short, too long or asking for
// unnegotiated offloads are dropped with a (rate-limited) log line, and the chain is
// returned — virtio-net has no status byte, and dropping is what a NIC does.
// Receive: while the backend has a frame and the driver has buffers, the frame goes
// into one chain (or, with MRG_RXBUF, as many as it needs, num_buffers set). With no
// buffers the device stops watching the backend's fd until the driver kicks the
// receive queue, so a full ring never spins the event loop.
//
// Rate limiting: receive and transmit each ask their own RateLimiter per frame (one op
// and the Ethernet frame's bytes, without the virtio header). A throttled transmit
// leaves the chain on the ring with notifications off; a throttled receive keeps the
// frame it read and stops watching the backend. Each limiter's timerfd is on the event
// loop while the device is active, and resumes its direction when it fires.
//
// Threads: as MultiQueueDevice's; everything below runs under mutex_, on the event
// loop thread (kicks, backend readiness) or the vCPU thread (activation, config).
#pragma once

#include "devices/virtio/virtio_uapi.h"

#include "devices/net/virtio_net_uapi.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "devices/net/mac_address.h"
#include "devices/net/net_backend.h"
#include "devices/rate_limiter/rate_limiter.h"
#include "devices/virtio/multi_queue_device.h"

namespace hull::devices::net {

inline constexpr uint16_t kNetQueueSize = 256;
inline constexpr size_t kRxQueue = 0;
inline constexpr size_t kTxQueue = 1;

struct NetStats {
  uint64_t tx_frames = 0, tx_dropped = 0;
  uint64_t rx_frames = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, rx_bytes = 0;  // Ethernet frame bytes, without the virtio header
  uint64_t tx_throttled = 0, rx_throttled = 0;  // times a limiter stopped that direction
};

class NetDevice final : public virtio::MultiQueueDevice {
 public:
  struct Options {
    std::string id;  // the interface's iface_id, for logs and metrics
    // Null: an unlimited limiter (RateLimiter::Unlimited), changeable later.
    std::shared_ptr<rate_limiter::RateLimiter> rx_rate_limiter;
    std::shared_ptr<rate_limiter::RateLimiter> tx_rate_limiter;
  };
  NetDevice(std::unique_ptr<NetBackend> backend, const MacAddress& mac, Options options = {});

  uint32_t device_type() const override { return VIRTIO_ID_NET; }
  uint64_t avail_features() const override;
  std::vector<uint16_t> queue_max_sizes() const override { return {kNetQueueSize, kNetQueueSize}; }
  // mac, status and max_virtqueue_pairs (the fields before mtu).
  uint32_t config_size() const override;
  void ReadConfig(uint32_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint32_t offset, std::span<const uint8_t> data) override;

  // For backends without an fd (tests, fuzzers): a frame may be waiting.
  void BackendReadable();
  // Relaxed atomics: no lock, so metrics never wait for the event loop.
  NetStats stats() const;
  // The limiter of queue `index` fired (its timerfd on the loop; tests call it): resumes
  // that direction.
  void RateLimiterTimerFired(size_t index);
  const std::string& id() const { return options_.id; }
  rate_limiter::RateLimiter& rx_rate_limiter() const { return *options_.rx_rate_limiter; }
  rate_limiter::RateLimiter& tx_rate_limiter() const { return *options_.tx_rate_limiter; }
  // Whether the device currently watches the backend's fd (false while rx is starved).
  bool watching_backend() const;

 private:
  base::Status OnActivate() override;
  void OnReset() override;
  base::Status OnQueueKick(size_t index) override;

  base::Result<uint32_t> Transmit(const virtio::DescriptorChain& chain);
  base::Status DrainTransmit();
  base::Status ResumeAfterThrottle(size_t index);
  base::Status WatchLimiters(bool watch);
  void CountReceived();  // before rx_length_ is cleared
  // Moves frames from the backend into rx buffers until either runs out.
  base::Status Receive();
  // Puts rx_frame_ into the guest's buffers; false when they ran out (the frame stays).
  base::Result<bool> Deliver();
  base::Result<bool> DeliverMergeable();
  base::Status WatchBackend(bool watch);
  void Warn(const std::string& what);

  std::unique_ptr<NetBackend> backend_;
  Options options_;
  virtio_net_config config_{};
  struct Counters {
    std::atomic<uint64_t> tx_frames{0}, tx_dropped{0}, tx_bytes{0};
    std::atomic<uint64_t> rx_frames{0}, rx_dropped{0}, rx_bytes{0};
  } counters_;
  int warnings_ = 0;
  // Per activation:
  bool watching_ = false;
  base::EventLoop* watched_loop_ = nullptr;  // where the backend fd is registered, if it is
  base::EventLoop* limiters_loop_ = nullptr;  // where the limiters' timer fds are
  std::vector<uint8_t> rx_frame_;  // kMaxFrameBytes, reused
  size_t rx_length_ = 0;           // bytes of rx_frame_ waiting for buffers; 0 = none
  bool rx_paid_ = false;           // the rx limiter let rx_frame_ through
  // MRG_RXBUF: chains popped for rx_frame_ that are not enough for it yet.
  std::vector<virtio::DescriptorChain> rx_held_;
  uint64_t rx_held_bytes_ = 0;
};

}  // namespace hull::devices::net
