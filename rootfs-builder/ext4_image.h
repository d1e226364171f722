// Builds the read-only ext4 disk image a micro-VM boots its container from, out of an
// unpacked tree, with e2fsprogs' `mkfs.ext4 -d`: sized to the content plus headroom,
// no journal (nothing writes to it), root owned by 0:0.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace hull::rootfs {

struct TreeUsage {
  uint64_t bytes = 0;   // file data rounded up to 4 KiB blocks, plus directory blocks
  uint64_t inodes = 0;  // distinct inodes
};

base::Result<TreeUsage> MeasureTree(const std::string& dir);

// Writes `image_path` (which must not exist) from `tree_dir`.
base::Status BuildExt4Image(const std::string& tree_dir, const std::string& image_path);

}  // namespace hull::rootfs
