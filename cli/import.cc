// `hull import FILE|DIR REF`: a plain root filesystem (tarball, possibly compressed, or
// directory) becomes a one-layer image.
#include <cstdio>

#include "cli/command.h"
#include "cli/daemon_images.h"
#include "rootfs-builder/local_sources.h"

namespace hull::cli {

int RunImport(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string source, reference;
  options.add_options()
      ("source", po::value(&source)->required(), "tarball or directory")
      ("reference", po::value(&reference)->required(), "name for the image");
  po::positional_options_description positional;
  positional.add("source", 1).add("reference", 1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull import FILE|DIR REF", options, positional, vm, common)) {
    return *exit;
  }
  if (auto d = FindDaemon(common)) return DaemonImport(*d, source, reference);
  auto store = OpenStore(common);
  if (!store.ok()) return Fail(store.status());
  auto record = rootfs::ImportRootfs(*store, source, reference);
  if (!record.ok()) return Fail(record.status());
  std::printf("%s\n", record->config.str().c_str());
  return 0;
}

}  // namespace hull::cli
