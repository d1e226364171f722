#include "devices/net/frame.h"

#include <linux/if_tun.h>

#include <cstddef>

namespace hull::devices::net {

unsigned TunOffloadFlags(uint64_t features) {
  if (!(features & Bit(VIRTIO_NET_F_GUEST_CSUM))) return 0;
  unsigned flags = TUN_F_CSUM;
  if (features & Bit(VIRTIO_NET_F_GUEST_TSO4)) flags |= TUN_F_TSO4;
  if (features & Bit(VIRTIO_NET_F_GUEST_TSO6)) flags |= TUN_F_TSO6;
  if ((flags & (TUN_F_TSO4 | TUN_F_TSO6)) && (features & Bit(VIRTIO_NET_F_GUEST_ECN))) {
    flags |= TUN_F_TSO_ECN;
  }
  return flags;
}

std::optional<std::string> CheckTxHeader(const virtio_net_hdr_v1& header, uint64_t features,
                                         uint64_t frame_bytes) {
  if (header.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
    if (!(features & Bit(VIRTIO_NET_F_CSUM))) return "NEEDS_CSUM without VIRTIO_NET_F_CSUM";
    uint64_t end = uint64_t{header.csum_start} + header.csum_offset + 2;
    if (end > frame_bytes) return "checksum field beyond the end of the frame";
  }
  uint8_t gso = header.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
  if (gso == VIRTIO_NET_HDR_GSO_NONE) {
    if (header.gso_type & VIRTIO_NET_HDR_GSO_ECN) return "GSO_ECN without a GSO type";
    return std::nullopt;
  }
  if (gso == VIRTIO_NET_HDR_GSO_TCPV4 && !(features & Bit(VIRTIO_NET_F_HOST_TSO4))) {
    return "GSO_TCPV4 without VIRTIO_NET_F_HOST_TSO4";
  }
  if (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !(features & Bit(VIRTIO_NET_F_HOST_TSO6))) {
    return "GSO_TCPV6 without VIRTIO_NET_F_HOST_TSO6";
  }
  if (gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6) {
    return "GSO type " + std::to_string(gso) + " not offered";
  }
  if ((header.gso_type & VIRTIO_NET_HDR_GSO_ECN) && !(features & Bit(VIRTIO_NET_F_HOST_ECN))) {
    return "GSO_ECN without VIRTIO_NET_F_HOST_ECN";
  }
  if (!(header.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) return "a GSO frame without NEEDS_CSUM";
  if (header.gso_size == 0) return "a GSO frame with gso_size 0";
  return std::nullopt;
}

void SetNumBuffers(std::span<uint8_t> frame, uint16_t count) {
  constexpr size_t kAt = offsetof(virtio_net_hdr_v1, num_buffers);
  frame[kAt] = static_cast<uint8_t>(count);
  frame[kAt + 1] = static_cast<uint8_t>(count >> 8);
}

}  // namespace hull::devices::net
