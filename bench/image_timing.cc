#include "bench/image_timing.h"

#include <filesystem>

#include "bench/child_process.h"
#include "rootfs-builder/builtin_image.h"
#include "rootfs-builder/image_builder.h"

namespace hull::bench {

namespace {

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

base::Status Time(const std::string& work, int reps, std::vector<double>& tree_ms,
                  std::vector<double>& ext4_ms) {
  ASSIGN_OR_RETURN(rootfs::ContentStore store, rootfs::ContentStore::Open(work + "/image-store"));
  ASSIGN_OR_RETURN(rootfs::ImageRecord record, rootfs::EnsureBuiltinBusyboxImage(store));
  ASSIGN_OR_RETURN(rootfs::StoredImage image, rootfs::ReadStoredImage(store, record.manifest));
  for (int i = 0; i < reps; ++i) {
    std::error_code ec;
    std::filesystem::remove_all(store.RootfsDir(image.chain_id), ec);
    if (ec) return base::Status::Error("removing the rootfs: " + ec.message());
    auto t0 = Clock::now();
    ASSIGN_OR_RETURN(rootfs::RootfsOutputs tree, rootfs::EnsureRootfs(store, image, false));
    auto t1 = Clock::now();
    ASSIGN_OR_RETURN(rootfs::RootfsOutputs ext4, rootfs::EnsureRootfs(store, image, true));
    auto t2 = Clock::now();
    tree_ms.push_back(Ms(t0, t1));
    ext4_ms.push_back(Ms(t0, t2));
  }
  return base::Status::Ok();
}

}  // namespace

Measure MeasureImageToRootfs(const std::string& work, int reps, const std::vector<Runtime>& runtimes) {
  Measure m;
  m.id = "image_rootfs";
  m.title = "image → rootfs";
  m.unit = "ms";
  m.how = "hull/busybox's layer, already in a private store, unpacked to the tree the "
          "namespace runtime mounts (ns column) and, for micro-VMs, also made into the "
          "read-only ext4 they boot from (vm columns); in-process, the rootfs removed before "
          "each repetition. crun, runc, runsc and the plain qemu peer get the tree from hull";
  std::vector<double> tree_ms, ext4_ms;
  base::Status s = Time(work, reps, tree_ms, ext4_ms);
  for (const auto& rt : runtimes) {
    if (!rt.info.unavailable.empty()) continue;
    const std::string& id = rt.info.id;
    if (!s.ok() && (id == "ns" || id.rfind("vm-", 0) == 0)) {
      m.cells[id] = Cell{std::nullopt, s.message(), true};
    } else if (id == "ns") {
      m.cells[id] = Cell{Summarize(tree_ms), "", false};
    } else if (id.rfind("vm-", 0) == 0) {
      m.cells[id] = Cell{Summarize(ext4_ms), "", false};
    } else {
      m.cells[id] = Cell{std::nullopt, "n/a (hull's tree)", false};
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(work + "/image-store", ec);
  return m;
}

}  // namespace hull::bench
