// Test support for tap tests and benchmarks: ScopedNetns moves the calling thread into
// a fresh network namespace (unshare(CLONE_NEWNET)) and back when it goes, so taps the
// test creates never touch the host's network and vanish with their last fd; plus
// bringing a link up, and an AF_PACKET socket on an interface to see what the device
// sent into it and to send frames out through it.
//
// Test code, header-only. Everything runs on the thread that entered the namespace.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::devices::testing {

// What every experiment frame uses (IEEE 802 "local experimental" EtherType), so the
// tests ignore whatever else the kernel sends on a fresh link.
inline constexpr uint16_t kTestEtherType = 0x88b5;

class ScopedNetns {
 public:
  // Fails (e.g. without CAP_SYS_ADMIN) without changing anything.
  static base::Result<std::unique_ptr<ScopedNetns>> Enter() {
    ASSIGN_OR_RETURN(base::UniqueFd old, base::OpenFile("/proc/thread-self/ns/net", O_RDONLY));
    if (unshare(CLONE_NEWNET) != 0) return base::Status::Errno("unshare(CLONE_NEWNET)");
    return std::unique_ptr<ScopedNetns>(new ScopedNetns(std::move(old)));
  }
  ~ScopedNetns() {
    if (setns(old_.get(), CLONE_NEWNET) != 0) std::abort();  // the test thread would be lost
  }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

 private:
  explicit ScopedNetns(base::UniqueFd old) : old_(std::move(old)) {}
  base::UniqueFd old_;
};

// Why taps cannot be tested here, or "" when they can.
inline std::string TapUnavailableReason() {
  if (access("/dev/net/tun", R_OK | W_OK) != 0) return "/dev/net/tun is missing or not accessible";
  if (geteuid() != 0) return "creating network namespaces and taps needs root";
  return "";
}

inline base::Status SetLinkUp(const std::string& name) {
  base::UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return base::Status::Errno("socket");
  ifreq request{};
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &request) != 0) return base::Status::Errno("SIOCGIFFLAGS " + name);
  request.ifr_flags |= IFF_UP;
  if (ioctl(s.get(), SIOCSIFFLAGS, &request) != 0) return base::Status::Errno("SIOCSIFFLAGS " + name);
  return base::Status::Ok();
}

// A nonblocking raw packet socket bound to `name` for kTestEtherType frames.
inline base::Result<base::UniqueFd> PacketSocket(const std::string& name) {
  base::UniqueFd s(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(kTestEtherType)));
  if (!s) return base::Status::Errno("socket(AF_PACKET)");
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(kTestEtherType);
  address.sll_ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  if (address.sll_ifindex == 0) return base::Status::Errno("if_nametoindex " + name);
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return base::Status::Errno("bind(AF_PACKET) to " + name);
  }
  return s;
}

}  // namespace hull::devices::testing
