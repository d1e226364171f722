// MacAddress: the guest's Ethernet address, and the locally administered unicast one
// hull-vmm makes up when a network interface's config names none.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace hull::devices::net {

using MacAddress = std::array<uint8_t, 6>;

// Six random bytes (getrandom) with the first octet's multicast bit (0x01) cleared and
// its locally-administered bit (0x02) set, as IEEE 802 reserves for addresses nobody
// assigned: x2:..., x6:..., xa:..., xe:....
MacAddress GenerateLocalMac();

// "aa:bb:cc:dd:ee:ff".
std::string FormatMac(const MacAddress& mac);

}  // namespace hull::devices::net
