// frame.h: the offload mapping and the transmit header checks.
#include "devices/net/frame.h"

#include <linux/if_tun.h>

#include <gtest/gtest.h>

#include "devices/net/mac_address.h"

namespace hull::devices::net {
namespace {

TEST(NetFrame, TunOffloadsFollowWhatTheGuestAccepted) {
  EXPECT_EQ(TunOffloadFlags(0), 0u);
  EXPECT_EQ(TunOffloadFlags(Bit(VIRTIO_NET_F_GUEST_TSO4)), 0u) << "TSO needs GUEST_CSUM";
  EXPECT_EQ(TunOffloadFlags(Bit(VIRTIO_NET_F_GUEST_CSUM)), unsigned{TUN_F_CSUM});
  EXPECT_EQ(TunOffloadFlags(Bit(VIRTIO_NET_F_GUEST_CSUM) | Bit(VIRTIO_NET_F_GUEST_TSO6) |
                            Bit(VIRTIO_NET_F_GUEST_ECN)),
            unsigned{TUN_F_CSUM | TUN_F_TSO6 | TUN_F_TSO_ECN});
}

TEST(NetFrame, TxHeaderMayAskOnlyForNegotiatedOffloads) {
  virtio_net_hdr_v1 h{};
  EXPECT_FALSE(CheckTxHeader(h, 0, 60));
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.csum_start = 34;
  h.csum_offset = 6;
  EXPECT_TRUE(CheckTxHeader(h, 0, 60));
  EXPECT_FALSE(CheckTxHeader(h, Bit(VIRTIO_NET_F_CSUM), 60));
  EXPECT_TRUE(CheckTxHeader(h, Bit(VIRTIO_NET_F_CSUM), 41)) << "checksum field past the end";
  h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
  h.gso_size = 1400;
  EXPECT_TRUE(CheckTxHeader(h, Bit(VIRTIO_NET_F_CSUM), 3000));
  EXPECT_FALSE(CheckTxHeader(h, Bit(VIRTIO_NET_F_CSUM) | Bit(VIRTIO_NET_F_HOST_TSO6), 3000));
  h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
  EXPECT_TRUE(CheckTxHeader(h, ~uint64_t{0}, 3000)) << "UFO is not offered";
  h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
  EXPECT_TRUE(CheckTxHeader(h, Bit(VIRTIO_NET_F_CSUM) | Bit(VIRTIO_NET_F_HOST_TSO4), 3000));
  h.gso_size = 0;
  EXPECT_TRUE(CheckTxHeader(h, ~uint64_t{0}, 3000));
}

TEST(NetFrame, GeneratedMacIsLocallyAdministeredUnicast) {
  for (int i = 0; i < 50; ++i) {
    MacAddress mac = GenerateLocalMac();
    EXPECT_EQ(mac[0] & 0x03, 0x02) << FormatMac(mac);
  }
  EXPECT_NE(GenerateLocalMac(), GenerateLocalMac());
  EXPECT_EQ(FormatMac({0x02, 0xab, 0, 1, 0x10, 0xff}), "02:ab:00:01:10:ff");
}

}  // namespace
}  // namespace hull::devices::net
