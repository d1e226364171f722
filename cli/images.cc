// `hull images`: the images in the store, as `docker images` lists them.
#include <cstdio>

#include "cli/command.h"
#include "cli/daemon_images.h"
#include "cli/filter_flag.h"
#include "rootfs-builder/reference.h"

namespace hull::cli {

int RunImages(const std::vector<std::string>& args) {
  po::options_description options("Options");
  bool quiet = false, digests = false;
  std::vector<std::string> filter_flags;
  options.add_options()
      ("quiet,q", po::bool_switch(&quiet), "only image IDs")
      ("filter,f", po::value(&filter_flags)->composing(), "KEY=VALUE: reference, dangling, label, before, since (needs hulld)")
      ("digests", po::bool_switch(&digests), "show manifest digests");
  po::positional_options_description positional;
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull images [OPTIONS]", options, positional, vm, common)) {
    return *exit;
  }
  auto filters = FiltersQuery(filter_flags);
  if (!filters.ok()) return Fail(filters.status()), kExitUsage;
  if (auto d = FindDaemon(common)) return DaemonImages(*d, quiet, *filters);
  if (!filter_flags.empty()) return Fail(base::Status::Error("--filter needs hulld (it is not running)"));
  auto store = OpenStore(common);
  if (!store.ok()) return Fail(store.status());
  auto images = store->ListImages();
  if (!images.ok()) return Fail(images.status());
  if (!quiet) {
    std::printf("%-40s %-12s %s%-14s %-22s %s\n", "REPOSITORY", "TAG", digests ? "DIGEST                                                                   " : "",
                "IMAGE ID", "CREATED", "SIZE");
  }
  for (const auto& r : *images) {
    std::string id(r.config.hex().substr(0, 12));
    if (quiet) {
      std::printf("%s\n", id.c_str());
      continue;
    }
    std::string repo = "<none>", tag = "<none>";
    if (auto ref = rootfs::ParseReference(r.name); ref.ok() && r.name.rfind("sha256:", 0) != 0) {
      repo = ref->name();
      if (!ref->tag.empty()) tag = ref->tag;
    }
    std::printf("%-40s %-12s %s%-14s %-22s %s\n", repo.c_str(), tag.c_str(),
                digests ? (r.manifest.str() + " ").c_str() : "", id.c_str(),
                r.created.substr(0, 19).c_str(), HumanSize(r.size).c_str());
  }
  return 0;
}

}  // namespace hull::cli
