// NetBackend: where a virtio-net device's frames go and come from — a tap (tap.h) in
// hull-vmm, an in-memory queue (memory_backend.h) in tests and fuzzers. Every frame
// crosses this interface with its virtio_net_hdr_v1 in front, the layout a tap opened
// with IFF_VNET_HDR and a vnet header size of 12 uses, so the device never rewrites
// frames.
//
// Threads: NetDevice calls a backend with its device lock held — from the event loop
// thread, and SetOffload from the vCPU thread that activates the device.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/status.h"

namespace hull::devices::net {

class NetBackend {
 public:
  virtual ~NetBackend() = default;

  // A file descriptor that polls readable while a frame waits, for the event loop;
  // -1 when the backend has none (its owner then calls NetDevice::BackendReadable).
  virtual int fd() const = 0;
  // Reads one frame (header + Ethernet frame) into `buffer`, truncating a longer one.
  // std::nullopt when no frame waits.
  [[nodiscard]] virtual base::Result<std::optional<size_t>> Read(std::span<uint8_t> buffer) = 0;
  // Sends one frame given as pieces (header first). An error drops the frame.
  [[nodiscard]] virtual base::Status Write(std::span<const iovec> frame) = 0;
  // Which offloads frames read from the backend may carry (TUN_F_* bits of
  // linux/if_tun.h): what the guest accepted, so the backend must not hand the device
  // partial checksums or GSO frames the guest would not understand.
  [[nodiscard]] virtual base::Status SetOffload(unsigned tun_flags) = 0;
};

}  // namespace hull::devices::net
