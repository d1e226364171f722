// The hulld client for the hull CLI: HTTP/1.1 over hulld's Unix socket (Boost.Beast),
// speaking the Docker Engine API as hulld serves it (docs/hulld.md). Request() is one
// whole exchange with a deadline; ClientConnection is one exchange whose response is
// read as it arrives (logs -f, pull progress, wait) or hijacked into a raw stream
// (attach, exec start). The socket is HULL_HOST or DOCKER_HOST (unix://PATH or a path)
// if set, else /run/hull/hull.sock. Not shared between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/status.h"

namespace hull::api {

struct ClientResponse {
  int status = 0;
  std::string body;
};

// The socket path hull talks to.
std::string DefaultSocketPath();

// One connect(2) to `socket_path`: whether anything listens there. No request is sent;
// the CLI uses it to choose between hulld and direct mode at the cost of one syscall.
bool DaemonListening(const std::string& socket_path);

// Error when nothing answers at `socket_path` (no hulld: the CLI's direct mode).
// timeout_ms 0: wait as long as hulld takes (stop, wait, pull).
base::Result<ClientResponse> Request(const std::string& socket_path, const std::string& method,
                                     const std::string& target, const std::string& body = "",
                                     int timeout_ms = 5000);

// One request on its own connection, its response read piece by piece.
class ClientConnection {
 public:
  static base::Result<ClientConnection> Connect(const std::string& socket_path, int timeout_ms = 0);
  ClientConnection(ClientConnection&&) noexcept;
  ClientConnection& operator=(ClientConnection&&) noexcept;
  ~ClientConnection();

  // Sends the request; `upgrade` asks hulld to hijack the connection (Upgrade: tcp).
  base::Status Send(const std::string& method, const std::string& target, const std::string& body = "",
                    bool upgrade = false);
  // Sends the request with the file at `path` as its body (image archives).
  base::Status SendFile(const std::string& method, const std::string& target, const std::string& path,
                        const std::string& content_type);
  // Reads the status line and headers; returns the status (101 after a hijack).
  base::Result<int> ReadHeader();
  // The next piece of the body (chunked decoding done); nullopt at its end.
  base::Result<std::optional<std::string>> ReadSome();
  base::Result<std::string> ReadAll();
  // After a 101: the raw socket, and the stream's bytes already read with the header.
  int fd() const;
  std::string TakeBuffered();

 private:
  struct Impl;
  explicit ClientConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hull::api
