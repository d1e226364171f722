// `hull pull REF`: download an image from a registry into the store and build its root
// filesystem.
#include <cstdio>
#include <cstdlib>

#include "cli/command.h"
#include "cli/daemon_images.h"
#include "cli/progress_printer.h"
#include "rootfs-builder/pull.h"

namespace hull::cli {

int RunPull(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string reference, platform, creds;
  std::vector<std::string> insecure;
  long timeout = 30;
  bool quiet = false;
  options.add_options()
      ("reference", po::value(&reference)->required(), "image reference")
      ("platform", po::value(&platform), "os/arch[/variant] to select from an index (linux/amd64)")
      ("creds", po::value(&creds), "USER:PASSWORD for the registry (or HULL_REGISTRY_CREDS)")
      ("insecure-registry", po::value(&insecure)->composing(), "HOST:PORT to reach over plain HTTP")
      ("timeout", po::value(&timeout), "seconds without data before giving up on the registry")
      ("quiet,q", po::bool_switch(&quiet), "print only the image name");
  po::positional_options_description positional;
  positional.add("reference", 1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull pull [OPTIONS] REF", options, positional, vm, common)) {
    return *exit;
  }
  if (auto d = FindDaemon(common)) return DaemonPullCommand(*d, reference, quiet);  // hulld's settings
  rootfs::PullOptions pull;
  if (!platform.empty()) {
    auto p = rootfs::Platform::Parse(platform);
    if (!p.ok()) return Fail(p.status());
    pull.platform = *p;
  }
  if (creds.empty() && std::getenv("HULL_REGISTRY_CREDS")) creds = std::getenv("HULL_REGISTRY_CREDS");
  if (!creds.empty()) {
    auto colon = creds.find(':');
    pull.registry.username = creds.substr(0, colon);
    pull.registry.password = colon == std::string::npos ? "" : creds.substr(colon + 1);
  }
  pull.registry.insecure_registries = insecure;
  pull.registry.stall_timeout_s = timeout;
  auto store = OpenStore(common);
  if (!store.ok()) return Fail(store.status());
  ProgressPrinter printer(stderr);
  auto record = rootfs::Pull(*store, reference, pull, quiet ? nullptr : &printer);
  if (!record.ok()) return Fail(record.status());
  if (!quiet) std::fprintf(stderr, "digest: %s\n", record->manifest.str().c_str());
  std::printf("%s\n", record->name.c_str());
  return 0;
}

}  // namespace hull::cli
