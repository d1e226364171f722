#include "vmm/net_interfaces.h"

#include "base/logging.h"
#include "devices/net/mac_address.h"
#include "devices/net/net_device.h"
#include "devices/net/tap.h"

namespace hull::vmm {

base::Result<std::vector<std::shared_ptr<devices::virtio::VirtioDevice>>> CreateNetDevices(
    const VmConfig& config) {
  std::vector<std::shared_ptr<devices::virtio::VirtioDevice>> out;
  for (const NetworkInterfaceConfig& iface : config.network_interfaces) {
    base::Result<std::unique_ptr<devices::net::Tap>> tap =
        devices::net::Tap::Open(iface.host_dev_name);
    if (!tap.ok()) {
      return base::Status::Error("network interface \"" + iface.iface_id + "\": cannot open tap " +
                                 iface.host_dev_name + ": " + tap.status().message());
    }
    devices::net::MacAddress mac =
        iface.guest_mac ? *iface.guest_mac : devices::net::GenerateLocalMac();
    LOG_INFO << "network interface " << iface.iface_id << ": tap " << (*tap)->name()
             << ", guest MAC " << devices::net::FormatMac(mac)
             << (iface.guest_mac ? "" : " (generated)");
    devices::net::NetDevice::Options options{.id = iface.iface_id};
    for (auto [config, limiter] : {std::pair{&iface.rx_rate_limiter, &options.rx_rate_limiter},
                                   std::pair{&iface.tx_rate_limiter, &options.tx_rate_limiter}}) {
      auto made = devices::rate_limiter::RateLimiter::Create(*config);
      if (!made.ok()) {
        return made.status().WithContext("network interface \"" + iface.iface_id + "\"");
      }
      *limiter = *made;
    }
    out.push_back(
        std::make_shared<devices::net::NetDevice>(std::move(*tap), mac, std::move(options)));
  }
  return out;
}

}  // namespace hull::vmm
