// A minimal hulld client for the hull CLI: one HTTP/1.1 request over hulld's Unix
// socket (Boost.Beast), with a deadline, returning the status and body. The socket is
// HULL_HOST or DOCKER_HOST (unix://PATH) if set, else /run/hull/hull.sock. Single
// request per call; any thread.
#pragma once

#include <string>

#include "base/status.h"

namespace hull::api {

struct ClientResponse {
  int status = 0;
  std::string body;
};

// The socket path hull talks to.
std::string DefaultSocketPath();

// Error when nothing answers at `socket_path` (no hulld: the CLI's direct mode).
base::Result<ClientResponse> Request(const std::string& socket_path, const std::string& method,
                                     const std::string& target, const std::string& body = "",
                                     int timeout_ms = 5000);

}  // namespace hull::api
