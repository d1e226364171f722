// EchoDevice: a trivial virtio device for tests of the transport, the queue and the
// VMM wiring: one queue; for each chain it copies the readable bytes into the writable
// buffers and returns the chain with the number of bytes copied. Its 8-byte config
// space is a register the driver can write and read back. It follows the device
// pattern of devices/virtio/README.md (event loop worker, device lock, driver errors).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

#include "devices/virtio/virtio_device.h"

namespace hull::devices::testing {

inline constexpr uint32_t kEchoDeviceId = 0xfe;  // not a real VIRTIO_ID_*
inline constexpr uint16_t kEchoQueueSize = 256;

class EchoDevice final : public virtio::VirtioDevice {
 public:
  uint32_t device_type() const override { return kEchoDeviceId; }
  uint64_t avail_features() const override { return 0; }
  std::vector<uint16_t> queue_max_sizes() const override { return {kEchoQueueSize}; }
  uint32_t config_size() const override { return sizeof(config_); }
  void ReadConfig(uint32_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint32_t offset, std::span<const uint8_t> data) override;
  base::Status Activate(virtio::ActivationContext context) override;
  void Reset() override;

  // Drains the queue. The event loop calls it on a kick; tests without a loop call it.
  void Process();
  bool active() const;
  uint64_t chains_processed() const;

 private:
  void ProcessLocked();

  mutable std::mutex mutex_;  // guards everything below; held by the worker while it runs
  uint64_t config_ = 0;
  bool active_ = false;
  std::optional<virtio::ActivationContext> context_;
  uint64_t chains_ = 0;
};

}  // namespace hull::devices::testing
