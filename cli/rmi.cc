// `hull rmi REF...`: remove image names, then whatever blobs and built root filesystems
// no remaining image references.
#include <cstdio>

#include "cli/command.h"
#include "cli/daemon_images.h"

namespace hull::cli {

int RunRmi(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::vector<std::string> refs;
  options.add_options()("image", po::value(&refs)->required()->composing(), "image(s) to remove");
  po::positional_options_description positional;
  positional.add("image", -1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull rmi IMAGE [IMAGE...]", options, positional, vm, common)) {
    return *exit;
  }
  if (auto d = FindDaemon(common)) return DaemonRmi(*d, refs);
  auto store = OpenStore(common);
  if (!store.ok()) return Fail(store.status());
  int status = 0;
  for (const auto& ref : refs) {
    auto record = FindImage(*store, ref);
    if (!record.ok()) {
      status = Fail(record.status());
      continue;
    }
    auto removed = store->RemoveImage(record->name);
    if (!removed.ok()) {
      status = Fail(removed.status());
      continue;
    }
    std::printf("Untagged: %s\n", record->name.c_str());
  }
  // Collect garbage once no pull, load or import is adding to the store.
  auto lock = store->LockExclusive();
  if (!lock.ok()) return Fail(lock.status());
  if (auto gc = store->CollectGarbage(); !gc.ok()) return Fail(gc);
  return status;
}

}  // namespace hull::cli
