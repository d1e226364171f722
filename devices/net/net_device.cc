#include "devices/net/net_device.h"

#include <sys/epoll.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstring>

#include "base/logging.h"
#include "devices/net/frame.h"

namespace hull::devices::net {
namespace {

// Frames moved per readiness callback before the loop serves other fds (level-triggered
// epoll calls again for the rest).
constexpr int kRxBurst = 64;
constexpr int kMaxWarnings = 32;

}  // namespace

NetDevice::NetDevice(std::unique_ptr<NetBackend> backend, const MacAddress& mac, Options options)
    : MultiQueueDevice({"receive", "transmit"}), backend_(std::move(backend)),
      options_(std::move(options)) {
  if (!options_.rx_rate_limiter) options_.rx_rate_limiter = rate_limiter::RateLimiter::Unlimited();
  if (!options_.tx_rate_limiter) options_.tx_rate_limiter = rate_limiter::RateLimiter::Unlimited();
  std::memcpy(config_.mac, mac.data(), mac.size());
  config_.status = VIRTIO_NET_S_LINK_UP;
  config_.max_virtqueue_pairs = 1;
  rx_frame_.resize(kMaxFrameBytes);
}

uint64_t NetDevice::avail_features() const { return kNetFeatures; }

uint32_t NetDevice::config_size() const { return offsetof(virtio_net_config, mtu); }

void NetDevice::ReadConfig(uint32_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mutex_);
  std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&config_) + offset, data.size());
}

void NetDevice::WriteConfig(uint32_t offset, std::span<const uint8_t> data) {
  // Read-only for modern drivers (5.1.4: the MAC is writable only through the
  // control queue, which this device does not have).
  std::lock_guard lock(mutex_);
  Warn("ignored a " + std::to_string(data.size()) + "-byte config write at offset " +
       std::to_string(offset));
}

void NetDevice::BackendReadable() {
  std::lock_guard lock(mutex_);
  if (active_locked()) {
    if (base::Status s = Receive(); !s.ok()) FailLocked(s);
  }
  // A failed device (DEVICE_NEEDS_RESET) must not leave a readable fd on a
  // level-triggered loop: that would spin until the driver resets it.
  if (!active_locked()) (void)WatchBackend(false);
}

NetStats NetDevice::stats() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return {.tx_frames = counters_.tx_frames.load(kRelaxed),
          .tx_dropped = counters_.tx_dropped.load(kRelaxed),
          .rx_frames = counters_.rx_frames.load(kRelaxed),
          .rx_dropped = counters_.rx_dropped.load(kRelaxed),
          .tx_bytes = counters_.tx_bytes.load(kRelaxed),
          .rx_bytes = counters_.rx_bytes.load(kRelaxed),
          .tx_throttled = options_.tx_rate_limiter->throttled_events(),
          .rx_throttled = options_.rx_rate_limiter->throttled_events()};
}

void NetDevice::RateLimiterTimerFired(size_t index) {
  // Acknowledged whatever the device's state: a failed device must not leave a readable
  // timerfd on the level-triggered loop.
  (index == kTxQueue ? options_.tx_rate_limiter : options_.rx_rate_limiter)->TimerFired();
  RunIfActive([&] { return ResumeAfterThrottle(index); });
}

base::Status NetDevice::ResumeAfterThrottle(size_t index) {
  if (index == kTxQueue) return DrainTransmit();
  RETURN_IF_ERROR(WatchBackend(true));
  return Receive();
}

base::Status NetDevice::WatchLimiters(bool watch) {
  base::EventLoop* loop = watch ? context().loop : limiters_loop_;
  if (loop == nullptr) return base::Status::Ok();
  for (size_t index : {kRxQueue, kTxQueue}) {
    auto& limiter = index == kTxQueue ? options_.tx_rate_limiter : options_.rx_rate_limiter;
    if (limiter->timer_fd() < 0) continue;
    if (!watch) {
      (void)loop->Remove(limiter->timer_fd());
      continue;
    }
    // Level-triggered: a timer that expired while the device was reset fires now.
    RETURN_IF_ERROR(loop->Add(limiter->timer_fd(), EPOLLIN,
                              [this, index](uint32_t) { RateLimiterTimerFired(index); }));
  }
  return base::Status::Ok();
}

bool NetDevice::watching_backend() const {
  std::lock_guard lock(mutex_);
  return watching_;
}

base::Status NetDevice::OnActivate() {
  unsigned offload = TunOffloadFlags(context().features);
  if (base::Status s = backend_->SetOffload(offload); !s.ok()) {
    return base::Status::Error("virtio-net: setting the backend's offloads: " + s.message());
  }
  rx_length_ = 0;
  rx_held_.clear();
  rx_held_bytes_ = 0;
  limiters_loop_ = context().loop;
  RETURN_IF_ERROR(WatchLimiters(true));
  return WatchBackend(true);
}

void NetDevice::OnReset() {
  (void)WatchLimiters(false);
  limiters_loop_ = nullptr;
  (void)WatchBackend(false);
  rx_length_ = 0;
  rx_held_.clear();
  rx_held_bytes_ = 0;
}

base::Status NetDevice::WatchBackend(bool watch) {
  if (watch == watching_) return base::Status::Ok();
  if (watch) {
    base::EventLoop* loop = context().loop;
    if (backend_->fd() >= 0 && loop != nullptr) {
      RETURN_IF_ERROR(loop->Add(backend_->fd(), EPOLLIN, [this](uint32_t) { BackendReadable(); }));
      watched_loop_ = loop;
    }
  } else if (watched_loop_ != nullptr) {
    // Through the loop remembered at Add: after a Reset context() is gone.
    base::Status removed = watched_loop_->Remove(backend_->fd());
    watched_loop_ = nullptr;
    watching_ = false;
    return removed;
  }
  watching_ = watch;
  return base::Status::Ok();
}

void NetDevice::Warn(const std::string& what) {
  if (warnings_ >= kMaxWarnings) return;
  LOG_WARNING << "virtio-net: " << what;
  if (++warnings_ == kMaxWarnings) {
    LOG_WARNING << "virtio-net: further warnings silenced";
  }
}

base::Status NetDevice::OnQueueKick(size_t index) {
  if (index == kTxQueue) return DrainTransmit();
  // Throttled: the limiter's timer resumes receiving, buffers or not.
  if (options_.rx_rate_limiter->throttled()) return base::Status::Ok();
  // New receive buffers: a frame may have been waiting for them.
  RETURN_IF_ERROR(WatchBackend(true));
  return Receive();
}

base::Status NetDevice::DrainTransmit() {
  return DrainQueue(
      kTxQueue, [this](const virtio::DescriptorChain& chain) { return Transmit(chain); },
      [this](const virtio::DescriptorChain& chain) {
        uint64_t bytes = chain.readable_bytes();
        return options_.tx_rate_limiter->Consume(bytes > kNetHeaderSize ? bytes - kNetHeaderSize
                                                                        : 0);
      });
}

base::Result<uint32_t> NetDevice::Transmit(const virtio::DescriptorChain& chain) {
  auto drop = [&](const std::string& why) -> base::Result<uint32_t> {
    counters_.tx_dropped.fetch_add(1, std::memory_order_relaxed);
    Warn("transmit: dropped a frame: " + why);
    return 0u;
  };
  uint64_t bytes = chain.readable_bytes();
  if (bytes < kNetHeaderSize) return drop(std::to_string(bytes) + " bytes, shorter than the header");
  if (bytes > kMaxFrameBytes) {
    return drop(std::to_string(bytes) + " bytes, more than " + std::to_string(kMaxFrameBytes));
  }
  virtio::ChainReader reader(context().memory, chain);
  ASSIGN_OR_RETURN(virtio_net_hdr_v1 header, reader.ReadObject<virtio_net_hdr_v1>());
  if (auto why = CheckTxHeader(header, context().features, bytes - kNetHeaderSize)) return drop(*why);
  ASSIGN_OR_RETURN(std::vector<std::span<uint8_t>> spans, reader.Take(reader.remaining()));
  if (spans.size() + 1 > IOV_MAX) return drop(std::to_string(spans.size()) + " buffers");
  // The header goes out as checked, so the guest cannot change it behind our back.
  std::vector<iovec> frame;
  frame.reserve(spans.size() + 1);
  frame.push_back({&header, sizeof(header)});
  for (std::span<uint8_t> s : spans) frame.push_back({s.data(), s.size()});
  if (base::Status s = backend_->Write(frame); !s.ok()) return drop(s.message());
  counters_.tx_frames.fetch_add(1, std::memory_order_relaxed);
  counters_.tx_bytes.fetch_add(bytes - kNetHeaderSize, std::memory_order_relaxed);
  return 0u;
}

base::Status NetDevice::Receive() {
  for (int frames = 0; frames < kRxBurst; ++frames) {
    if (rx_length_ == 0) {
      base::Result<std::optional<size_t>> got = backend_->Read(rx_frame_);
      if (!got.ok()) {
        // Not the guest's fault; stop polling a broken fd until the next rx kick.
        Warn("receive: " + got.status().message());
        return WatchBackend(false);
      }
      if (!*got) break;
      if (**got < kNetHeaderSize) {
        counters_.rx_dropped.fetch_add(1, std::memory_order_relaxed);
        Warn("receive: dropped a " + std::to_string(**got) + "-byte frame without a header");
        continue;
      }
      rx_length_ = **got;
      rx_paid_ = false;
    }
    if (!rx_paid_) {
      if (!options_.rx_rate_limiter->Consume(rx_length_ - kNetHeaderSize)) {
        // The frame waits in rx_frame_; the limiter's timer resumes us.
        RETURN_IF_ERROR(WatchBackend(false));
        break;
      }
      rx_paid_ = true;
    }
    bool mergeable = context().features & (uint64_t{1} << VIRTIO_NET_F_MRG_RXBUF);
    ASSIGN_OR_RETURN(bool delivered, mergeable ? DeliverMergeable() : Deliver());
    if (delivered) continue;
    // No buffers: ask for a kick when the driver adds some, unless it already did.
    ASSIGN_OR_RETURN(bool more, queue(kRxQueue).EnableNotification());
    if (!more) {
      RETURN_IF_ERROR(WatchBackend(false));
      break;
    }
  }
  return SignalIfNeeded(kRxQueue);
}

void NetDevice::CountReceived() {
  counters_.rx_frames.fetch_add(1, std::memory_order_relaxed);
  counters_.rx_bytes.fetch_add(rx_length_ - kNetHeaderSize, std::memory_order_relaxed);
}

base::Result<bool> NetDevice::Deliver() {
  virtio::Queue& q = queue(kRxQueue);
  ASSIGN_OR_RETURN(std::optional<virtio::DescriptorChain> chain, q.Pop());
  if (!chain) return false;
  if (chain->writable_bytes() < rx_length_) {
    // 5.1.6.3.1: without MRG_RXBUF the driver must post buffers big enough for any
    // frame it accepted. Drop this frame and keep the buffer for the next one.
    q.UndoPop();
    counters_.rx_dropped.fetch_add(1, std::memory_order_relaxed);
    Warn("receive: dropped a " + std::to_string(rx_length_) + "-byte frame: the buffer has " +
         std::to_string(chain->writable_bytes()) + " bytes");
    rx_length_ = 0;
    return true;
  }
  SetNumBuffers(rx_frame_, 1);
  virtio::ChainWriter writer(context().memory, *chain);
  RETURN_IF_ERROR(writer.Write({rx_frame_.data(), rx_length_}));
  RETURN_IF_ERROR(AddUsed(kRxQueue, *chain, static_cast<uint32_t>(rx_length_)));
  CountReceived();
  rx_length_ = 0;
  return true;
}

base::Result<bool> NetDevice::DeliverMergeable() {
  virtio::Queue& q = queue(kRxQueue);
  while (rx_held_bytes_ < rx_length_) {
    if (rx_held_.size() >= q.size()) {
      // Every buffer the ring can hold is too little: the frame can never fit.
      counters_.rx_dropped.fetch_add(1, std::memory_order_relaxed);
      Warn("receive: dropped a " + std::to_string(rx_length_) + "-byte frame: " +
           std::to_string(rx_held_.size()) + " buffers hold " + std::to_string(rx_held_bytes_));
      rx_length_ = 0;
      return true;
    }
    ASSIGN_OR_RETURN(std::optional<virtio::DescriptorChain> chain, q.Pop());
    if (!chain) return false;
    rx_held_bytes_ += chain->writable_bytes();
    rx_held_.push_back(std::move(*chain));
  }
  size_t needed = 0;
  uint64_t capacity = 0;
  while (capacity < rx_length_) capacity += rx_held_[needed++].writable_bytes();
  SetNumBuffers(rx_frame_, static_cast<uint16_t>(needed));
  size_t offset = 0;
  for (size_t i = 0; i < needed; ++i) {
    virtio::ChainWriter writer(context().memory, rx_held_[i]);
    size_t n = static_cast<size_t>(std::min<uint64_t>(rx_length_ - offset, writer.remaining()));
    RETURN_IF_ERROR(writer.Write({rx_frame_.data() + offset, n}));
    RETURN_IF_ERROR(AddUsed(kRxQueue, rx_held_[i], static_cast<uint32_t>(n)));
    offset += n;
  }
  rx_held_.erase(rx_held_.begin(), rx_held_.begin() + static_cast<ptrdiff_t>(needed));
  rx_held_bytes_ -= capacity;
  CountReceived();
  rx_length_ = 0;
  return true;
}

}  // namespace hull::devices::net
