// The host side's Unix sockets for virtio-vsock, Firecracker-style: the VM's listening
// socket at uds_path (bound before boot; a stale socket file nobody listens on is
// replaced), nonblocking connects to `<uds_path>_<port>` for guest-initiated
// connections, and the `CONNECT <port>\n` line a host process sends. Called from the
// VMM's set-up thread (Listen) and the event loop thread (the rest).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::devices::vsock {

// The longest CONNECT line, newline included (Firecracker reads at most 32 bytes).
inline constexpr size_t kMaxConnectLine = 32;

struct Listener {
  base::UniqueFd fd;  // nonblocking, listening
  dev_t dev = 0;      // the socket file's identity, so that only our own file is unlinked
  ino_t ino = 0;
};

// Binds and listens on `path`. A file already there is replaced only when it is a
// socket that refuses connections (left behind by a VMM that died); a live listener,
// or any other kind of file, is an error that names the path. The path must leave room
// for "_<port>" within sun_path.
base::Result<Listener> Listen(const std::string& path);
// Unlinks `path` if it is still the socket `listener` created.
void UnlinkListener(const std::string& path, const Listener& listener);

// A nonblocking connect to the Unix socket at `path`. Unix stream connects finish at
// once or fail (ENOENT, ECONNREFUSED, EAGAIN when the backlog is full).
base::Result<base::UniqueFd> Connect(const std::string& path);

// "CONNECT <port>" (without the newline) → the port. Like Firecracker: words separated
// by blanks, the verb in any case, the port a decimal u32, later words ignored.
std::optional<uint32_t> ParseConnectLine(std::string_view line);

}  // namespace hull::devices::vsock
