// `hull port CONTAINER [PRIVATE_PORT[/PROTO]]`, as `docker port` prints it: the host
// addresses a running container's ports are published on (inspect's
// NetworkSettings.Ports, so random host ports show which one hulld picked). hulld only.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/daemon.h"

namespace hull::cli {

int RunPort(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string container, wanted;
  options.add_options()
      ("container", po::value(&container)->required(), "container")
      ("port", po::value(&wanted), "PRIVATE_PORT[/PROTO]");
  po::positional_options_description positional;
  positional.add("container", 1).add("port", 1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull port CONTAINER [PRIVATE_PORT[/PROTO]]", options, positional, vm, common)) {
    return *exit;
  }
  auto d = RequireDaemon(common, "port");
  if (!d) return kExitFailure;
  auto inspect = InspectContainer(*d, container);
  if (!inspect) return kExitFailure;
  nlohmann::json ports = (*inspect)["NetworkSettings"]["Ports"];
  if (!wanted.empty() && wanted.find('/') == std::string::npos) wanted += "/tcp";
  bool any = false;
  if (ports.is_object()) {
    for (const auto& [key, list] : ports.items()) {
      if ((!wanted.empty() && key != wanted) || !list.is_array()) continue;
      for (const auto& b : list) {
        std::string host = b.value("HostIp", "") + ":" + b.value("HostPort", "");
        if (wanted.empty()) {
          std::printf("%s -> %s\n", key.c_str(), host.c_str());
        } else {
          std::printf("%s\n", host.c_str());
        }
        any = true;
      }
    }
  }
  if (!wanted.empty() && !any) {
    std::fprintf(stderr, "Error: No public port '%s' published for %s\n", wanted.c_str(), container.c_str());
    return kExitFailure;
  }
  return 0;
}

}  // namespace hull::cli
