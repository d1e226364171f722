// Writes a directory tree as an uncompressed tar (for `hull import DIR`), with owners,
// modes, times, xattrs, device nodes and hard links, using libarchive's disk reader.
#pragma once

#include <string>

#include "base/status.h"
#include "rootfs-builder/digest.h"

namespace hull::rootfs {

// Returns the digest of the tar written to out_fd (the layer's diff ID).
base::Result<Digest> WriteDirectoryTar(const std::string& dir, int out_fd);

}  // namespace hull::rootfs
