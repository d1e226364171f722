// Applies one image layer (a tar, uncompressed or gzip/zstd-compressed) onto a root
// directory as the OCI image spec's layer.md describes: whiteouts and opaque
// directories, hard links, symlinks, device nodes, xattrs, ownership, modes and times.
// Extraction is confined to the root (safe_path.h); while reading, the compressed
// stream and the uncompressed tar are hashed and checked against the blob digest and
// the diff ID. Called by the rootfs builder, one layer after another.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "rootfs-builder/digest.h"

namespace hull::rootfs {

struct LayerExpectation {
  Digest blob;             // digest of the blob as stored; empty: not checked
  int64_t blob_size = -1;  // -1: not checked
  Digest diff_id;          // digest of the uncompressed tar; empty: not checked
};

struct LayerStats {
  Digest blob;
  Digest diff_id;
  uint64_t blob_size = 0;
  uint64_t entries = 0;
};

// Reads the layer from `blob_fd` (positioned at its start) and applies it under
// `root_dir`. On error the tree may hold part of the layer; callers build in a
// temporary directory and discard it.
base::Result<LayerStats> ApplyLayer(int blob_fd, const LayerExpectation& expect,
                                    const std::string& root_dir);

// Decompresses (if compressed) a layer read from `in_fd` into `out_fd` as a plain tar,
// returning the digest of the output (the diff ID). Used by `import`.
base::Result<Digest> DecompressToTar(int in_fd, int out_fd);

}  // namespace hull::rootfs
