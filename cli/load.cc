// `hull load -i FILE`: load images from an OCI image layout (directory or tar) or a
// docker-archive (`docker save`).
#include <cstdio>

#include "cli/command.h"
#include "cli/daemon_images.h"
#include "rootfs-builder/local_sources.h"

namespace hull::cli {

int RunLoad(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string input, tag, platform;
  options.add_options()
      ("input,i", po::value(&input)->required(), "OCI layout (dir or tar) or docker-archive tar")
      ("tag,t", po::value(&tag), "name for the image (archives holding one image)")
      ("platform", po::value(&platform), "os/arch[/variant] to select from an index");
  po::positional_options_description positional;
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull load -i FILE [-t REF]", options, positional, vm, common)) {
    return *exit;
  }
  if (auto d = FindDaemon(common)) {
    if (!tag.empty() || !platform.empty()) {
      std::fprintf(stderr, "hull: --tag and --platform work in direct mode only (hull --root DIR load ...)\n");
      return kExitFailure;
    }
    return DaemonLoad(*d, input);
  }
  rootfs::LoadOptions load;
  load.tag = tag;
  if (!platform.empty()) {
    auto p = rootfs::Platform::Parse(platform);
    if (!p.ok()) return Fail(p.status());
    load.platform = *p;
  }
  auto store = OpenStore(common);
  if (!store.ok()) return Fail(store.status());
  auto records = rootfs::LoadImages(*store, input, load);
  if (!records.ok()) return Fail(records.status());
  for (const auto& r : *records) std::printf("Loaded image: %s\n", r.name.c_str());
  return 0;
}

}  // namespace hull::cli
