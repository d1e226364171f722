// `hull info`: which mode hull works in — "daemon" when hulld answers on its socket
// (then hulld's GET /info: containers, images, root, runtimes), "direct" otherwise
// (then the local image store under --root; an explicit --root always means direct).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/client.h"
#include "cli/command.h"

namespace hull::cli {

namespace {

int PrintStore(const CommonOptions& common) {
  auto store = OpenStore(common);
  if (!store.ok()) return Fail(store.status());
  auto images = store->ListImages();
  std::printf("Images: %zu\nRoot: %s\n", images.ok() ? images->size() : 0, store->root().c_str());
  return 0;
}

}  // namespace

int RunInfo(const std::vector<std::string>& args) {
  po::options_description options("Options");
  po::positional_options_description positional;
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull info", options, positional, vm, common)) return *exit;
  std::string socket = api::DefaultSocketPath();
  if (common.root_given) {
    std::printf("Mode: direct (--root names a local store; hulld is not asked)\n");
    return PrintStore(common);
  }
  auto r = api::Request(socket, "GET", "/info");
  auto j = r.ok() && r->status == 200 ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  if (j.is_object()) {
    std::printf("Mode: daemon (hulld at %s)\n", socket.c_str());
    std::printf("Containers: %d (running %d, stopped %d)\n", j.value("Containers", 0),
                j.value("ContainersRunning", 0), j.value("ContainersStopped", 0));
    std::printf("Images: %d\nRoot: %s\nDefault runtime: %s\nCgroup version: %s\nServer version: %s\n",
                j.value("Images", 0), j.value("DockerRootDir", "?").c_str(),
                j.value("DefaultRuntime", "?").c_str(), j.value("CgroupVersion", "?").c_str(),
                j.value("ServerVersion", "?").c_str());
    return 0;
  }
  std::printf("Mode: direct (no hulld answers at %s; start it with `hulld &` for containers that outlive hull)\n",
              socket.c_str());
  return PrintStore(common);
}

}  // namespace hull::cli
