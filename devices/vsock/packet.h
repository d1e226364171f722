// virtio-vsock packets (virtio 1.2, 5.10.6): the 44-byte struct virtio_vsock_hdr and its
// payload, read out of a tx chain and written into an rx chain. A header and its
// payload may share one descriptor or be spread over any number of them. Parsing only:
// no socket I/O, no connection state. Called by VsockDevice on the event loop thread.
#pragma once

#include <linux/virtio_vsock.h>
#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "devices/virtio/descriptor_chain.h"

namespace hull::devices::vsock {

inline constexpr uint64_t kHostCid = 2;  // VMADDR_CID_HOST
inline constexpr uint32_t kHeaderSize = sizeof(virtio_vsock_hdr);
static_assert(kHeaderSize == 44);
// The largest payload hull accepts in one tx packet and puts in one rx packet (Linux
// and Firecracker use the same bound, VIRTIO_VSOCK_MAX_PKT_BUF_SIZE).
inline constexpr uint32_t kMaxPayload = 64 * 1024;
inline constexpr uint32_t kShutdownBoth = VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;

// "REQUEST", "RW", ... or "op 9", for log lines.
std::string OpName(uint16_t op);

struct TxPacket {
  virtio_vsock_hdr hdr;
  std::span<const uint8_t> payload;  // hdr.len bytes, in the caller's scratch buffer
};

// Reads the header and hdr.len payload bytes from the readable part of `chain` into
// `scratch` (at least kMaxPayload bytes). An error means a malformed packet (shorter
// than a header, len beyond the chain or above kMaxPayload): the device drops it.
base::Result<TxPacket> ReadTxPacket(const GuestMemory& memory,
                                    const virtio::DescriptorChain& chain,
                                    std::span<uint8_t> scratch);

// The writable part of an rx chain, seen as room for one packet: the header first,
// then up to payload_capacity() bytes of payload.
class RxSlot {
 public:
  // Fails when the chain cannot hold a header (the device then returns it unused).
  static base::Result<RxSlot> Create(const GuestMemory& memory,
                                     const virtio::DescriptorChain& chain);

  uint32_t payload_capacity() const { return capacity_; }
  // Host buffers for the first `len` payload bytes (len <= payload_capacity()), at most
  // IOV_MAX of them; IovBytes() says how much they cover (less only when IOV_MAX cut it).
  std::vector<iovec> PayloadIov(uint32_t len);
  static uint64_t IovBytes(const std::vector<iovec>& iov);
  // Copies `data` into the payload area (data.size() <= payload_capacity()).
  void WritePayload(std::span<const uint8_t> data);
  // Writes `hdr` in front of the payload; returns the used length (header + hdr.len).
  uint32_t Finish(const virtio_vsock_hdr& hdr);

 private:
  RxSlot(std::vector<std::span<uint8_t>> header, std::vector<std::span<uint8_t>> payload,
         uint32_t capacity)
      : header_(std::move(header)), payload_(std::move(payload)), capacity_(capacity) {}

  std::vector<std::span<uint8_t>> header_;   // kHeaderSize bytes
  std::vector<std::span<uint8_t>> payload_;  // capacity_ bytes
  uint32_t capacity_;
};

}  // namespace hull::devices::vsock
