#include "guest/init/network.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "base/unique_fd.h"

namespace hull::guest::init {
namespace {

sockaddr_in Ipv4(in_addr_t address) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = address;
  return sin;
}

base::Status SetUp(int sock, const std::string& name) {
  ifreq ifr{};
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) return base::Status::Errno("interface " + name);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) return base::Status::Errno("bringing up " + name);
  return base::Status::Ok();
}

base::Status SetAddress(int sock, const NetworkConfig& net, in_addr_t* address) {
  auto slash = net.address.find('/');
  std::string ip = net.address.substr(0, slash);
  int prefix = slash == std::string::npos ? 24 : std::atoi(net.address.c_str() + slash + 1);
  in_addr a;
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1 || prefix < 0 || prefix > 32)
    return base::Status::Error("bad address " + net.address);
  *address = a.s_addr;
  ifreq ifr{};
  strncpy(ifr.ifr_name, net.interface.c_str(), IFNAMSIZ - 1);
  sockaddr_in sin = Ipv4(a.s_addr);
  memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
  if (ioctl(sock, SIOCSIFADDR, &ifr) != 0) return base::Status::Errno("address " + net.address);
  sin = Ipv4(htonl(prefix == 0 ? 0 : ~0u << (32 - prefix)));
  memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
  if (ioctl(sock, SIOCSIFNETMASK, &ifr) != 0) return base::Status::Errno("netmask");
  return SetUp(sock, net.interface);
}

base::Status AddDefaultRoute(int sock, const std::string& gateway) {
  in_addr gw;
  if (inet_pton(AF_INET, gateway.c_str(), &gw) != 1)
    return base::Status::Error("bad gateway " + gateway);
  rtentry route{};
  sockaddr_in dst = Ipv4(INADDR_ANY), mask = Ipv4(INADDR_ANY), via = Ipv4(gw.s_addr);
  memcpy(&route.rt_dst, &dst, sizeof(dst));
  memcpy(&route.rt_genmask, &mask, sizeof(mask));
  memcpy(&route.rt_gateway, &via, sizeof(via));
  route.rt_flags = RTF_UP | RTF_GATEWAY;
  if (ioctl(sock, SIOCADDRT, &route) != 0) return base::Status::Errno("default route via " + gateway);
  return base::Status::Ok();
}

}  // namespace

base::Status ConfigureNetwork(const GuestSpec& spec) {
  base::UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return base::Status::Errno("socket");
  RETURN_IF_ERROR(SetUp(sock.get(), "lo"));
  std::string hostname = spec.hostname.empty() ? "localhost" : spec.hostname;
  if (sethostname(hostname.c_str(), hostname.size()) != 0) return base::Status::Errno("sethostname");
  std::string own;
  if (spec.network) {
    in_addr_t address = 0;
    RETURN_IF_ERROR(SetAddress(sock.get(), *spec.network, &address));
    if (!spec.network->gateway.empty())
      RETURN_IF_ERROR(AddDefaultRoute(sock.get(), spec.network->gateway));
    char text[INET_ADDRSTRLEN];
    in_addr a{address};
    own = inet_ntop(AF_INET, &a, text, sizeof(text));
    if (!spec.network->dns.empty()) {
      std::ofstream resolv("/etc/resolv.conf", std::ios::trunc);
      for (const auto& server : spec.network->dns) resolv << "nameserver " << server << "\n";
      if (!resolv) return base::Status::Error("cannot write /etc/resolv.conf");
    }
  }
  std::ofstream hosts("/etc/hosts", std::ios::trunc);
  hosts << "127.0.0.1\tlocalhost\n";
  hosts << (own.empty() ? "127.0.1.1" : own) << "\t" << hostname << "\n";
  for (const auto& entry : spec.extra_hosts) {
    auto colon = entry.find(':');
    if (colon == std::string::npos) continue;
    hosts << entry.substr(colon + 1) << "\t" << entry.substr(0, colon) << "\n";
  }
  if (!hosts) return base::Status::Error("cannot write /etc/hosts");
  std::ofstream("/etc/hostname", std::ios::trunc) << hostname << "\n";
  return base::Status::Ok();
}

}  // namespace hull::guest::init
