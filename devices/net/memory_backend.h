// MemoryBackend: a NetBackend in memory, for device tests, fuzzers and benchmarks —
// frames queued for the guest with Inject, frames the guest sent collected in sent(),
// the offloads the device asked for in offload(). No fd: its owner calls
// NetDevice::BackendReadable after Inject.
//
// Test code. Owned by the device; tests keep a raw pointer and use it from the thread
// that drives the device.
#pragma once

#include <algorithm>
#include <cstring>
#include <deque>
#include <vector>

#include "devices/net/net_backend.h"

namespace hull::devices::net {

class MemoryBackend final : public NetBackend {
 public:
  int fd() const override { return -1; }
  base::Result<std::optional<size_t>> Read(std::span<uint8_t> buffer) override {
    if (to_guest_.empty()) return std::optional<size_t>();
    std::vector<uint8_t> frame = std::move(to_guest_.front());
    to_guest_.pop_front();
    size_t n = std::min(frame.size(), buffer.size());
    if (n != 0) std::memcpy(buffer.data(), frame.data(), n);
    return std::optional<size_t>(n);
  }
  base::Status Write(std::span<const iovec> frame) override {
    if (fail_writes) return base::Status::Error("the backend refused the frame");
    std::vector<uint8_t> bytes;
    for (const iovec& piece : frame) {
      const auto* p = static_cast<const uint8_t*>(piece.iov_base);
      bytes.insert(bytes.end(), p, p + piece.iov_len);
    }
    if (keep_sent) sent_.push_back(std::move(bytes));
    ++sent_count_;
    return base::Status::Ok();
  }
  base::Status SetOffload(unsigned tun_flags) override {
    if (fail_offload) return base::Status::Error("the backend refused the offloads");
    offload_ = tun_flags;
    return base::Status::Ok();
  }

  // A frame (header included) for the guest.
  void Inject(std::vector<uint8_t> frame) { to_guest_.push_back(std::move(frame)); }
  size_t waiting() const { return to_guest_.size(); }
  const std::vector<std::vector<uint8_t>>& sent() const { return sent_; }
  uint64_t sent_count() const { return sent_count_; }
  unsigned offload() const { return offload_; }

  bool fail_writes = false, fail_offload = false;
  bool keep_sent = true;  // false: only count (benchmarks, fuzzers)

 private:
  std::deque<std::vector<uint8_t>> to_guest_;
  std::vector<std::vector<uint8_t>> sent_;
  uint64_t sent_count_ = 0;
  unsigned offload_ = ~0u;
};

}  // namespace hull::devices::net
