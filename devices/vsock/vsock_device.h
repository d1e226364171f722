// VsockDevice: virtio-vsock (virtio 1.2, 5.10) with Firecracker's host side over Unix
// sockets (muxer.h). Queues: rx 0 (packets to the guest), tx 1 (packets from the
// guest), event 2 (never used: hull sends no TRANSPORT_RESET, which the spec ties to
// migration, and a driver reset needs none). Config space: guest_cid (le64).
// Malformed tx packets (too short, len beyond the chain or above 64 KiB, a source CID
// that is not the guest's) are dropped with a log line; packets to another CID or of
// another type, and packets for no connection, are answered with RST. An rx chain
// with no room for a header is returned unused.
//
// Threads: the transport calls Create's product from vCPU threads (config, Activate,
// Reset); kicks and host socket callbacks run on the VM's event loop thread, all under
// MultiQueueDevice::mutex_.
#pragma once

#include <linux/virtio_vsock.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "devices/virtio/multi_queue_device.h"
#include "devices/vsock/muxer.h"

namespace hull::devices::vsock {

inline constexpr uint16_t kVsockQueueSize = 256;
inline constexpr size_t kRxQueue = 0, kTxQueue = 1, kEventQueue = 2;

class VsockDevice final : public virtio::MultiQueueDevice {
 public:
  // Binds options.uds_path (see unix_socket.h for a file already there). guest_cid must
  // be at least 3 and below 0xffffffff.
  static base::Result<std::shared_ptr<VsockDevice>> Create(MuxerOptions options);

  uint32_t device_type() const override { return VIRTIO_ID_VSOCK; }
  uint64_t avail_features() const override { return 0; }  // stream sockets only
  std::vector<uint16_t> queue_max_sizes() const override {
    return {kVsockQueueSize, kVsockQueueSize, kVsockQueueSize};
  }
  uint32_t config_size() const override { return sizeof(virtio_vsock_config); }
  void ReadConfig(uint32_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint32_t offset, std::span<const uint8_t> data) override;

  size_t connection_count() const;
  uint64_t packets_dropped() const;

 private:
  explicit VsockDevice(std::unique_ptr<Muxer> muxer);

  base::Status OnActivate() override;
  void OnReset() override;
  base::Status OnQueueKick(size_t index) override;

  // Moves packets both ways until neither queue can make progress.
  base::Status Pump();
  base::Status ProcessTx();
  base::Status ProcessRx();
  void HandleTxChain(const virtio::DescriptorChain& chain);
  void Drop(const std::string& why);

  const uint64_t guest_cid_;
  std::unique_ptr<Muxer> muxer_;  // guarded by mutex_
  std::vector<uint8_t> scratch_;  // one tx payload
  bool tx_paused_ = false;        // tx stopped because the RST backlog was full
  uint64_t dropped_ = 0;
  uint64_t log_lines_ = 0;  // the first 32 warnings, then silence
};

}  // namespace hull::devices::vsock
