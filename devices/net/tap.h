// Tap: the NetBackend of hull-vmm — a Linux tap interface opened through /dev/net/tun
// by name (created if it does not exist, attached to if it does) with IFF_TAP |
// IFF_NO_PI | IFF_VNET_HDR, a 12-byte vnet header (virtio_net_hdr_v1), nonblocking and
// close-on-exec. Opening a tap and setting its offloads are the only ioctls of the
// net device's stack, and they live here, not in the device.
//
// Threads: Open on any thread; afterwards the owning NetDevice calls it under its lock.
#pragma once

#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "devices/net/net_backend.h"

namespace hull::devices::net {

class Tap final : public NetBackend {
 public:
  // Opens tap `name` (at most IFNAMSIZ - 1 characters). `tun_path` is for tests.
  static base::Result<std::unique_ptr<Tap>> Open(const std::string& name,
                                                 const std::string& tun_path = "/dev/net/tun");

  const std::string& name() const { return name_; }
  int fd() const override { return fd_.get(); }
  base::Result<std::optional<size_t>> Read(std::span<uint8_t> buffer) override;
  base::Status Write(std::span<const iovec> frame) override;
  base::Status SetOffload(unsigned tun_flags) override;

 private:
  Tap(base::UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  base::UniqueFd fd_;
  std::string name_;  // as the kernel reported it
};

}  // namespace hull::devices::net
