#include "devices/vsock/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hull::devices::vsock {
namespace {

// Room for "_4294967295" after the listener's path.
constexpr size_t kPortSuffix = 11;

base::Result<sockaddr_un> Address(const std::string& path, size_t reserve) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() + reserve >= sizeof(addr.sun_path)) {
    return base::Status::Error("vsock socket path '" + path + "' is empty or longer than " +
                               std::to_string(sizeof(addr.sun_path) - 1 - reserve) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

base::Result<base::UniqueFd> StreamSocket() {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return base::Status::Errno("socket(AF_UNIX)");
  return base::UniqueFd(fd);
}

// A file at `path` that is in the way: removes it if it is a dead socket.
base::Status ClearStale(const std::string& path, const sockaddr_un& addr) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? base::Status::Ok() : base::Status::Errno("stat " + path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return base::Status::Error("vsock socket path " + path + " exists and is not a socket");
  }
  ASSIGN_OR_RETURN(base::UniqueFd probe, StreamSocket());
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 ||
      errno == EAGAIN) {
    return base::Status::Error("vsock socket path " + path +
                               " is in use: another process listens on it");
  }
  if (errno != ECONNREFUSED) return base::Status::Errno("probing " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return base::Status::Errno("removing the stale socket " + path);
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<Listener> Listen(const std::string& path) {
  ASSIGN_OR_RETURN(sockaddr_un addr, Address(path, kPortSuffix));
  RETURN_IF_ERROR(ClearStale(path, addr));
  ASSIGN_OR_RETURN(base::UniqueFd fd, StreamSocket());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return base::Status::Errno("binding the vsock socket " + path);
  }
  Listener listener;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    listener.dev = st.st_dev;
    listener.ino = st.st_ino;
  }
  if (::listen(fd.get(), 128) != 0) {
    base::Status s = base::Status::Errno("listen on " + path);
    UnlinkListener(path, listener);
    return s;
  }
  listener.fd = std::move(fd);
  return listener;
}

void UnlinkListener(const std::string& path, const Listener& listener) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && st.st_dev == listener.dev && st.st_ino == listener.ino) {
    (void)::unlink(path.c_str());
  }
}

base::Result<base::UniqueFd> Connect(const std::string& path) {
  ASSIGN_OR_RETURN(sockaddr_un addr, Address(path, 0));
  ASSIGN_OR_RETURN(base::UniqueFd fd, StreamSocket());
  for (;;) {
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      return fd;
    }
    if (errno != EINTR) return base::Status::Errno("connect " + path);
  }
}

std::optional<uint32_t> ParseConnectLine(std::string_view line) {
  // As Firecracker reads it: whitespace-separated words, the verb in any case, a
  // decimal u32; anything after the port is ignored.
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  auto next_word = [&](std::string_view& rest) {
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    size_t n = 0;
    while (n < rest.size() && !is_space(rest[n])) ++n;
    std::string_view word = rest.substr(0, n);
    rest.remove_prefix(n);
    return word;
  };
  std::string_view rest = line;
  std::string_view verb = next_word(rest);
  if (verb.size() != 7) return std::nullopt;
  for (size_t i = 0; i < 7; ++i) {
    if ((verb[i] | 0x20) != "connect"[i]) return std::nullopt;
  }
  std::string_view digits = next_word(rest);
  if (digits.empty() || digits.size() > 10) return std::nullopt;
  uint64_t port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<uint64_t>(c - '0');
  }
  if (port > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(port);
}

}  // namespace hull::devices::vsock
