// EchoDevice: a trivial virtio device for tests of the transport, the queue and the
// VMM wiring: one queue; for each chain it copies the readable bytes into the writable
// buffers and returns the chain with the number of bytes copied. Its 8-byte config
// space is a register the driver can write and read back. It follows the device
// pattern of devices/virtio/README.md (event loop worker, device lock, driver errors).
#pragma once

#include <cstdint>

#include "devices/virtio/single_queue_device.h"

namespace hull::devices::testing {

inline constexpr uint32_t kEchoDeviceId = 0xfe;  // not a real VIRTIO_ID_*
inline constexpr uint16_t kEchoQueueSize = 256;

class EchoDevice final : public virtio::SingleQueueDevice {
 public:
  EchoDevice() : SingleQueueDevice("echo") {}

  uint32_t device_type() const override { return kEchoDeviceId; }
  uint64_t avail_features() const override { return 0; }
  std::vector<uint16_t> queue_max_sizes() const override { return {kEchoQueueSize}; }
  uint32_t config_size() const override { return sizeof(config_); }
  void ReadConfig(uint32_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint32_t offset, std::span<const uint8_t> data) override;

  uint64_t chains_processed() const { return chains_used(); }

 private:
  base::Result<uint32_t> Serve(const virtio::DescriptorChain& chain) override;

  uint64_t config_ = 0;  // guarded by mutex_
};

}  // namespace hull::devices::testing
