#include "vmm/block_drives.h"

#include "devices/block/block_device.h"
#include "devices/block/cow_disk.h"
#include "devices/block/raw_disk.h"
#include "vmm/seccomp/thread_filters.h"

namespace hull::vmm {

base::Result<std::vector<std::shared_ptr<devices::virtio::VirtioDevice>>> CreateBlockDevices(
    const VmConfig& config) {
  using namespace devices::block;
  std::vector<std::shared_ptr<devices::virtio::VirtioDevice>> out;
  for (const DriveConfig& drive : config.drives) {
    const std::string what = "drive " + drive.drive_id;
    std::unique_ptr<Disk> disk;
    if (drive.overlay_path.empty()) {
      auto raw = RawDisk::Open(drive.path_on_host, drive.is_read_only);
      if (!raw.ok()) return raw.status().WithContext(what);
      disk = std::move(*raw);
    } else {
      // The guest may not write a read-only drive, but its overlay is still opened (and
      // checked against the base), so that a later writable boot finds the same disk.
      auto cow = CowDisk::Open(drive.path_on_host, drive.overlay_path);
      if (!cow.ok()) return cow.status().WithContext(what);
      disk = std::move(*cow);
    }
    auto limiter = devices::rate_limiter::RateLimiter::Create(drive.rate_limiter);
    if (!limiter.ok()) return limiter.status().WithContext(what);
    auto device = BlockDevice::Create(std::move(disk),
                                      {.id = drive.drive_id,
                                       .read_only = drive.is_read_only,
                                       .writeback = drive.cache_type == CacheType::kWriteback,
                                       .on_worker_start = [] {
                                         seccomp::EnterThread(seccomp::ThreadKind::kBlockWorker);
                                       },
                                       .rate_limiter = *limiter});
    if (!device.ok()) return device.status().WithContext(what);
    out.push_back(*device);
  }
  return out;
}

std::string RootDeviceArgs(const VmConfig& config) {
  for (size_t i = 0; i < config.drives.size(); ++i) {
    const DriveConfig& drive = config.drives[i];
    if (!drive.is_root_device) continue;
    std::string root = drive.partuuid.empty()
                           ? "/dev/vd" + std::string(1, static_cast<char>('a' + i))
                           : "PARTUUID=" + drive.partuuid;
    return " root=" + root + (drive.is_read_only ? " ro" : " rw");
  }
  return "";
}

}  // namespace hull::vmm
