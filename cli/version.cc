// `hull version`: the client's version and, when hulld answers on its socket, the
// server's (GET /version); otherwise says that hull works in direct mode.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/client.h"
#include "cli/command.h"

namespace hull::cli {

int RunVersion(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::printf("Usage: hull version\n");
    return 0;
  }
  std::printf("Client: hull\n Version: 0.1.0\n API version: 1.41\n\n");
  std::string socket = api::DefaultSocketPath();
  auto r = api::Request(socket, "GET", "/version");
  auto j = r.ok() && r->status == 200 ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  if (!j.is_object()) {
    std::printf("Server: none (direct mode: no hulld answers at %s)\n", socket.c_str());
    return 0;
  }
  std::printf("Server: hulld (at %s)\n Version: %s\n API version: %s (minimum %s)\n Kernel: %s\n",
              socket.c_str(), j.value("Version", "?").c_str(), j.value("ApiVersion", "?").c_str(),
              j.value("MinAPIVersion", "?").c_str(), j.value("KernelVersion", "?").c_str());
  return 0;
}

}  // namespace hull::cli
