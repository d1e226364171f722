#include "tests/e2e/netns_tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace hull::e2e {
namespace {

base::Status Up(int sock, const std::string& name) {
  ifreq ifr{};
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) return base::Status::Errno("SIOCGIFFLAGS " + name);
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) return base::Status::Errno("up " + name);
  return base::Status::Ok();
}

base::Status SetAddress(int sock, const std::string& name, const std::string& ip, int prefix) {
  ifreq ifr{};
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  if (inet_pton(AF_INET, ip.c_str(), &sin.sin_addr) != 1) return base::Status::Error("bad ip " + ip);
  memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
  if (ioctl(sock, SIOCSIFADDR, &ifr) != 0) return base::Status::Errno("SIOCSIFADDR " + ip);
  sin.sin_addr.s_addr = htonl(~0u << (32 - prefix));
  memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
  if (ioctl(sock, SIOCSIFNETMASK, &ifr) != 0) return base::Status::Errno("SIOCSIFNETMASK");
  return base::Status::Ok();
}

// Everything that must happen on the namespace's own thread before `body`.
base::Result<base::UniqueFd> SetUp(const TapSetup& s) {
  if (unshare(CLONE_NEWNET) != 0) return base::Status::Errno("unshare(CLONE_NEWNET)");
  {
    ASSIGN_OR_RETURN(base::UniqueFd tun, base::OpenFile("/dev/net/tun", O_RDWR));
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, s.tap.c_str(), IFNAMSIZ - 1);
    if (ioctl(tun.get(), TUNSETIFF, &ifr) != 0) return base::Status::Errno("TUNSETIFF " + s.tap);
    // Persistent, so that the VMM can attach to it by name after we let go.
    if (ioctl(tun.get(), TUNSETPERSIST, 1) != 0) return base::Status::Errno("TUNSETPERSIST");
  }
  base::UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return base::Status::Errno("socket");
  RETURN_IF_ERROR(Up(sock.get(), "lo"));
  RETURN_IF_ERROR(SetAddress(sock.get(), s.tap, s.host_address, s.prefix));
  RETURN_IF_ERROR(Up(sock.get(), s.tap));
  if (s.listen_port == 0) return base::UniqueFd();
  base::UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.listen_port);
  inet_pton(AF_INET, s.host_address.c_str(), &addr.sin_addr);
  if (!listener || bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener.get(), 4) != 0)
    return base::Status::Errno("listening on port " + std::to_string(s.listen_port));
  return listener;
}

}  // namespace

base::Status RunInTapNamespace(const TapSetup& setup,
                               const std::function<void(base::UniqueFd listener)>& body) {
  base::Status status = base::Status::Ok();
  std::thread t([&] {
    auto listener = SetUp(setup);
    if (!listener.ok()) {
      status = listener.status();
      return;
    }
    body(std::move(*listener));
  });
  t.join();
  return status;
}

std::string AnswerOneLine(int listener, const std::string& reply, std::string* line,
                          int timeout_ms) {
  pollfd p{listener, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return "no connection within the timeout";
  base::UniqueFd conn(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return std::string("accept: ") + strerror(errno);
  char c;
  while (true) {
    pollfd q{conn.get(), POLLIN, 0};
    if (poll(&q, 1, timeout_ms) != 1) return "no line within the timeout";
    if (read(conn.get(), &c, 1) != 1 || c == '\n') break;
    line->push_back(c);
  }
  if (!base::WriteFully(conn.get(), reply.data(), reply.size()).ok()) return "write failed";
  return "";
}

}  // namespace hull::e2e
