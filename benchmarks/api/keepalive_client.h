// One HTTP/1.1 keep-alive connection to a Docker-API daemon's Unix socket (hulld or
// dockerd), for api_bench: every request goes over the same connection, as the docker
// CLI and SDKs keep theirs, so a latency is the daemon's work plus one round trip.
// Not thread-safe; used by api_bench's one thread.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace hull::bench {

struct ApiResponse {
  int status = 0;
  std::string body;
};

class KeepAliveClient {
 public:
  // timeout_s bounds each request's read (a wait on a micro-VM takes long).
  static base::Result<KeepAliveClient> Connect(const std::string& socket_path, int timeout_s = 60);
  KeepAliveClient(KeepAliveClient&&) noexcept;
  KeepAliveClient& operator=(KeepAliveClient&&) noexcept;
  ~KeepAliveClient();

  // Reconnects once if the daemon closed the connection since the last request.
  base::Result<ApiResponse> Request(const std::string& method, const std::string& target,
                                    const std::string& json_body = "");

 private:
  struct Impl;
  explicit KeepAliveClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hull::bench
