// Frame handling for virtio-net (virtio 1.2, 5.1.6): the features NetDevice offers,
// what a transmitted frame's virtio_net_hdr_v1 may ask for given the negotiated
// features, and the tap offloads (TUN_F_*) that match what the guest accepted.
// Pure functions; no I/O.
#pragma once

#include "devices/net/virtio_net_uapi.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace hull::devices::net {

inline constexpr uint32_t kNetHeaderSize = sizeof(virtio_net_hdr_v1);  // 12 with VERSION_1
// The largest frame either way, header included: a 64 KiB GSO frame plus an Ethernet
// header with a VLAN tag (65550 bytes, as the spec's 5.1.6.3.1 buffer size and
// Firecracker's MAX_BUFFER_SIZE use), plus the header.
inline constexpr uint32_t kMaxFrameBytes = kNetHeaderSize + 65550;

inline constexpr uint64_t Bit(unsigned feature) { return uint64_t{1} << feature; }

// Offered to every guest: checksum and TSO offloads in both directions (UFO is left
// out: Linux taps no longer segment UDP), mergeable receive buffers, a MAC, link status.
inline constexpr uint64_t kNetFeatures =
    Bit(VIRTIO_NET_F_CSUM) | Bit(VIRTIO_NET_F_GUEST_CSUM) | Bit(VIRTIO_NET_F_GUEST_TSO4) |
    Bit(VIRTIO_NET_F_GUEST_TSO6) | Bit(VIRTIO_NET_F_GUEST_ECN) | Bit(VIRTIO_NET_F_HOST_TSO4) |
    Bit(VIRTIO_NET_F_HOST_TSO6) | Bit(VIRTIO_NET_F_HOST_ECN) | Bit(VIRTIO_NET_F_MRG_RXBUF) |
    Bit(VIRTIO_NET_F_MAC) | Bit(VIRTIO_NET_F_STATUS);

// The TUN_F_* offloads a tap may use for frames it hands the guest, from the features
// the guest accepted (a TSO bit counts only with GUEST_CSUM, as 5.1.3.1 requires).
unsigned TunOffloadFlags(uint64_t features);

// Why a transmitted frame must be dropped, or std::nullopt when its header asks only
// for what was negotiated (5.1.6.2.1: NEEDS_CSUM needs CSUM, each GSO type its
// HOST_* feature, ECN needs HOST_ECN) and its checksum fields lie inside the frame.
std::optional<std::string> CheckTxHeader(const virtio_net_hdr_v1& header, uint64_t features,
                                         uint64_t frame_bytes);

// Stores num_buffers (little-endian) into the header at the front of `frame`, which
// holds at least kNetHeaderSize bytes.
void SetNumBuffers(std::span<uint8_t> frame, uint16_t count);

}  // namespace hull::devices::net
