#include "runtime/vm/vm_devices.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>

#include <cstdio>

namespace hull::runtime::vm {
namespace {

bool IsIpv4(const std::string& text) {
  in_addr a;
  return inet_pton(AF_INET, text.c_str(), &a) == 1;
}

// QEMU's option syntax has no quoting but ",," and hull-vmm's ids none at all.
base::Status CheckHostPath(const std::string& path) {
  if (path.empty() || path[0] != '/')
    return base::Status::Error("volume " + path + ": the host path must be absolute");
  if (path.find(',') != std::string::npos)
    return base::Status::Error("volume " + path + ": a micro-VM's volume path cannot contain ','");
  return base::Status::Ok();
}

}  // namespace

base::Result<std::string> MacForAddress(const std::string& cidr) {
  std::string ip = cidr.substr(0, cidr.find('/'));
  in_addr a;
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1)
    return base::Status::Error("the guest address " + cidr + " is not IPv4/prefix");
  auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
  char mac[18];
  snprintf(mac, sizeof(mac), "02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
  return std::string(mac);
}

base::Status AttachNetwork(const std::optional<TapInterface>& interface, guest::GuestSpec* spec,
                           VmShape* shape) {
  if (!interface) return base::Status::Ok();
  const TapInterface& t = *interface;
  if (t.tap.empty() || t.tap.size() >= IFNAMSIZ || t.tap.find_first_of(",=/ ") != std::string::npos)
    return base::Status::Error("network: bad tap device name \"" + t.tap + "\"");
  size_t slash = t.address.find('/');
  int prefix = slash == std::string::npos ? -1 : std::atoi(t.address.c_str() + slash + 1);
  if (slash == std::string::npos || !IsIpv4(t.address.substr(0, slash)) || prefix < 1 || prefix > 32)
    return base::Status::Error("network: the guest address must be IPv4/prefix, not \"" +
                               t.address + "\"");
  if (!t.gateway.empty() && !IsIpv4(t.gateway))
    return base::Status::Error("network: bad gateway \"" + t.gateway + "\"");
  for (const auto& d : t.dns)
    if (!IsIpv4(d)) return base::Status::Error("network: bad DNS server \"" + d + "\"");
  for (const auto& h : t.extra_hosts) {
    size_t colon = h.find(':');
    if (colon == 0 || colon == std::string::npos || h.find_first_of(" \t\n") != std::string::npos)
      return base::Status::Error("network: extra host must be name:address, not \"" + h + "\"");
  }
  VmNic nic{t.tap, t.mac};
  if (nic.mac.empty()) {
    ASSIGN_OR_RETURN(nic.mac, MacForAddress(t.address));
  } else if (nic.mac.size() != 17 || nic.mac.find_first_not_of("0123456789abcdefABCDEF:") !=
                                         std::string::npos) {
    return base::Status::Error("network: bad MAC address \"" + nic.mac + "\"");
  }
  shape->nic = nic;
  spec->network = guest::NetworkConfig{"eth0", t.address, t.gateway, t.dns};
  spec->extra_hosts.insert(spec->extra_hosts.end(), t.extra_hosts.begin(), t.extra_hosts.end());
  return base::Status::Ok();
}

base::Status AttachVolumes(const std::vector<VolumeSpec>& volumes, VmmKind backend,
                           guest::GuestSpec* spec, VmShape* shape) {
  for (size_t i = 0; i < volumes.size(); ++i) {
    const VolumeSpec& v = volumes[i];
    RETURN_IF_ERROR(CheckHostPath(v.host));
    if (v.container.empty() || v.container[0] != '/' || v.container == "/")
      return base::Status::Error("volume " + v.container + ": the container path must be absolute");
    std::string id = guest::kVolumePrefix + std::to_string(i);
    struct stat st;
    if (stat(v.host.c_str(), &st) != 0) return base::Status::Errno("volume " + v.host);
    if (S_ISDIR(st.st_mode)) {
      if (backend == VmmKind::kHull)
        return base::Status::Error(
            "volume " + v.host + ": the hull backend (hull-vmm) has no virtio-9p device, so it "
            "cannot share a directory; give an ext4 image file as the host side, or use --vmm qemu");
      shape->shares.push_back({id, v.host, v.read_only});
      spec->volumes.push_back({"9p", id, v.container, v.read_only});
    } else if (S_ISREG(st.st_mode)) {
      shape->volume_disks.push_back({id, v.host, v.read_only});
      spec->volumes.push_back({"blk", id, v.container, v.read_only});
    } else {
      return base::Status::Error("volume " + v.host + ": neither a directory nor an ext4 image file");
    }
  }
  return base::Status::Ok();
}

}  // namespace hull::runtime::vm
