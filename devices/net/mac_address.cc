#include "devices/net/mac_address.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>

namespace hull::devices::net {

MacAddress GenerateLocalMac() {
  MacAddress mac{};
  size_t got = 0;
  while (got < mac.size()) {
    ssize_t n = getrandom(mac.data() + got, mac.size() - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    // getrandom only fails on EINTR (or on kernels without it: keep the zeros there).
    else if (n < 0 && errno != EINTR) break;
  }
  mac[0] = static_cast<uint8_t>((mac[0] & ~0x01) | 0x02);
  return mac;
}

std::string FormatMac(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                mac[3], mac[4], mac[5]);
  return text;
}

}  // namespace hull::devices::net
