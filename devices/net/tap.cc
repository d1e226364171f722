#include "devices/net/tap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include "devices/net/virtio_net_uapi.h"
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hull::devices::net {

base::Result<std::unique_ptr<Tap>> Tap::Open(const std::string& name, const std::string& tun_path) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return base::Status::Error("tap name \"" + name + "\" must have 1 to " +
                               std::to_string(IFNAMSIZ - 1) + " characters");
  }
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(tun_path, O_RDWR | O_NONBLOCK));
  ifreq request{};
  std::memcpy(request.ifr_name, name.data(), name.size());
  request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl(fd.get(), TUNSETIFF, &request) != 0) {
    int err = errno;
    const char* why = err == EBUSY    ? ": another process holds it, or it is a multi-queue tap"
                      : err == EINVAL ? ": an interface of that name exists and is not a tap"
                      : err == EPERM  ? ": needs CAP_NET_ADMIN, or a tap made for this user"
                                      : "";
    return base::Status::Errno("TUNSETIFF for tap " + name + why, err);
  }
  int header_size = sizeof(virtio_net_hdr_v1);
  if (ioctl(fd.get(), TUNSETVNETHDRSZ, &header_size) != 0) {
    return base::Status::Errno("TUNSETVNETHDRSZ for tap " + name);
  }
  // Until the guest says what it accepts, the tap hands over only complete frames.
  if (ioctl(fd.get(), TUNSETOFFLOAD, 0u) != 0) {
    return base::Status::Errno("TUNSETOFFLOAD for tap " + name);
  }
  request.ifr_name[IFNAMSIZ - 1] = '\0';
  return std::unique_ptr<Tap>(new Tap(std::move(fd), request.ifr_name));
}

base::Result<std::optional<size_t>> Tap::Read(std::span<uint8_t> buffer) {
  for (;;) {
    ssize_t n = read(fd_.get(), buffer.data(), buffer.size());
    if (n >= 0) return std::optional<size_t>(static_cast<size_t>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return std::optional<size_t>();
    return base::Status::Errno("reading tap " + name_);
  }
}

base::Status Tap::Write(std::span<const iovec> frame) {
  for (;;) {
    ssize_t n = writev(fd_.get(), frame.data(), static_cast<int>(frame.size()));
    if (n >= 0) return base::Status::Ok();  // a tap takes a frame whole or not at all
    if (errno == EINTR) continue;
    return base::Status::Errno("writing to tap " + name_);
  }
}

base::Status Tap::SetOffload(unsigned tun_flags) {
  if (ioctl(fd_.get(), TUNSETOFFLOAD, tun_flags) != 0) {
    return base::Status::Errno("TUNSETOFFLOAD " + std::to_string(tun_flags) + " for tap " + name_);
  }
  return base::Status::Ok();
}

}  // namespace hull::devices::net
