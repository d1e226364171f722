#include "engine/network/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <cstring>
#include <memory>

#include "base/unique_fd.h"

namespace hull::engine::network {

using base::Result;
using base::Status;

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
using Socket = std::unique_ptr<nl_sock, Deleter<nl_sock, nl_socket_free>>;
using Link = std::unique_ptr<rtnl_link, Deleter<rtnl_link, rtnl_link_put>>;
using Addr = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr, rtnl_addr_put>>;
using NlAddr = std::unique_ptr<nl_addr, Deleter<nl_addr, nl_addr_put>>;
using Route = std::unique_ptr<rtnl_route, Deleter<rtnl_route, rtnl_route_put>>;
using Cache = std::unique_ptr<nl_cache, Deleter<nl_cache, nl_cache_free>>;

Status NlError(const std::string& what, int err) {
  return Status::Error(what + ": " + nl_geterror(err));
}

Result<Socket> Connect() {
  Socket sock(nl_socket_alloc());
  if (!sock) return Status::Error("netlink: out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) return NlError("netlink connect", err);
  return sock;
}

// The link, or nullptr when there is none of that name.
Result<Link> GetLink(nl_sock* sock, const std::string& name) {
  rtnl_link* link = nullptr;
  int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &link);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return Link();
  if (err < 0) return NlError("looking up " + name, err);
  return Link(link);
}

Status SetUp(nl_sock* sock, rtnl_link* link, const std::string& name) {
  Link change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock, link, change.get(), 0); err < 0) return NlError("bringing up " + name, err);
  return Status::Ok();
}

Result<NlAddr> MakeAddr(uint32_t address, int prefix) {
  uint32_t be = htonl(address);
  NlAddr a(nl_addr_build(AF_INET, &be, sizeof be));
  if (!a) return Status::Error("netlink: out of memory");
  nl_addr_set_prefixlen(a.get(), prefix);
  return a;
}

Status AddAddress(nl_sock* sock, int ifindex, uint32_t address, int prefix, const std::string& name) {
  ASSIGN_OR_RETURN(NlAddr local, MakeAddr(address, prefix));
  Addr addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0) return NlError("address", err);
  int err = rtnl_addr_add(sock, addr.get(), 0);
  if (err < 0 && err != -NLE_EXIST) return NlError("adding an address to " + name, err);
  return Status::Ok();
}

}  // namespace

Status EnsureBridge(const std::string& name, uint32_t address, int prefix) {
  ASSIGN_OR_RETURN(Socket sock, Connect());
  ASSIGN_OR_RETURN(Link link, GetLink(sock.get(), name));
  if (!link) {
    Link bridge(rtnl_link_bridge_alloc());
    if (!bridge) return Status::Error("netlink: out of memory");
    rtnl_link_set_name(bridge.get(), name.c_str());
    int err = rtnl_link_add(sock.get(), bridge.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0 && err != -NLE_EXIST) return NlError("creating bridge " + name, err);
    ASSIGN_OR_RETURN(link, GetLink(sock.get(), name));
    if (!link) return Status::Error("bridge " + name + " vanished after creation");
  }
  RETURN_IF_ERROR(AddAddress(sock.get(), rtnl_link_get_ifindex(link.get()), address, prefix, name));
  return SetUp(sock.get(), link.get(), name);
}

Status CreateVethOnBridge(const std::string& host_name, const std::string& peer_name, pid_t pid,
                          const std::string& bridge) {
  ASSIGN_OR_RETURN(Socket sock, Connect());
  if (int err = rtnl_link_veth_add(sock.get(), host_name.c_str(), peer_name.c_str(), pid); err < 0) {
    return NlError("creating veth " + host_name, err);
  }
  ASSIGN_OR_RETURN(Link host, GetLink(sock.get(), host_name));
  ASSIGN_OR_RETURN(Link master, GetLink(sock.get(), bridge));
  if (!host || !master) return Status::Error("veth " + host_name + " or bridge " + bridge + " is missing");
  if (int err = rtnl_link_enslave(sock.get(), master.get(), host.get()); err < 0) {
    return NlError("adding " + host_name + " to " + bridge, err);
  }
  return SetUp(sock.get(), host.get(), host_name);
}

Status CreateTapOnBridge(const std::string& name, const std::string& bridge) {
  {
    ASSIGN_OR_RETURN(base::UniqueFd tun, base::OpenFile("/dev/net/tun", O_RDWR));
    ifreq request{};
    std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (::ioctl(tun.get(), TUNSETIFF, &request) != 0) return Status::Errno("creating tap " + name);
    if (::ioctl(tun.get(), TUNSETPERSIST, 1) != 0) return Status::Errno("making tap " + name + " persistent");
  }
  ASSIGN_OR_RETURN(Socket sock, Connect());
  ASSIGN_OR_RETURN(Link tap, GetLink(sock.get(), name));
  ASSIGN_OR_RETURN(Link master, GetLink(sock.get(), bridge));
  if (!tap || !master) return Status::Error("tap " + name + " or bridge " + bridge + " is missing");
  if (int err = rtnl_link_enslave(sock.get(), master.get(), tap.get()); err < 0) {
    return NlError("adding " + name + " to " + bridge, err);
  }
  return SetUp(sock.get(), tap.get(), name);
}

Status ConfigureInterface(const std::string& ifname, uint32_t address, int prefix, uint32_t gateway) {
  ASSIGN_OR_RETURN(Socket sock, Connect());
  ASSIGN_OR_RETURN(Link lo, GetLink(sock.get(), "lo"));
  if (lo) RETURN_IF_ERROR(SetUp(sock.get(), lo.get(), "lo"));
  ASSIGN_OR_RETURN(Link link, GetLink(sock.get(), ifname));
  if (!link) return Status::Error("no interface " + ifname + " in the container's network namespace");
  int ifindex = rtnl_link_get_ifindex(link.get());
  RETURN_IF_ERROR(AddAddress(sock.get(), ifindex, address, prefix, ifname));
  RETURN_IF_ERROR(SetUp(sock.get(), link.get(), ifname));

  Route route(rtnl_route_alloc());
  ASSIGN_OR_RETURN(NlAddr any, MakeAddr(0, 0));
  ASSIGN_OR_RETURN(NlAddr via, MakeAddr(gateway, 32));
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  if (int err = rtnl_route_set_dst(route.get(), any.get()); err < 0) return NlError("route", err);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, ifindex);
  rtnl_route_nh_set_gateway(nh, via.get());
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  if (int err = rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE); err < 0 && err != -NLE_EXIST) {
    return NlError("adding the default route", err);
  }
  return Status::Ok();
}

Status DeleteLink(const std::string& name) {
  ASSIGN_OR_RETURN(Socket sock, Connect());
  Link link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sock.get(), link.get());
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV) return NlError("deleting " + name, err);
  return Status::Ok();
}

Result<std::vector<std::string>> LinksOnBridge(const std::string& bridge) {
  ASSIGN_OR_RETURN(Socket sock, Connect());
  ASSIGN_OR_RETURN(Link master, GetLink(sock.get(), bridge));
  std::vector<std::string> names;
  if (!master) return names;
  int master_index = rtnl_link_get_ifindex(master.get());
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw); err < 0) return NlError("listing links", err);
  Cache cache(raw);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* link = reinterpret_cast<rtnl_link*>(o);
    if (rtnl_link_get_master(link) == master_index) names.push_back(rtnl_link_get_name(link));
  }
  return names;
}

bool LinkExists(const std::string& name) { return ::if_nametoindex(name.c_str()) != 0; }

}  // namespace hull::engine::network
