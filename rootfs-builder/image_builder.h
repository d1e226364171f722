// Turns an image whose blobs are in the content store into what hull runs: the unpacked
// tree and the read-only ext4 image, built once per chain ID under rootfs/<chain>/ and
// shared by every image and container with the same layers; and records the image's
// name. Every source (registry, OCI layout, docker-archive, import) ends here.
#pragma once

#include <string>

#include "base/status.h"
#include "rootfs-builder/content_store.h"
#include "rootfs-builder/image_config.h"
#include "rootfs-builder/manifest.h"

namespace hull::rootfs {

struct RootfsOutputs {
  std::string tree;  // directory
  std::string ext4;  // file; empty if not built
  bool cached = false;
};

// A manifest and its config, read from the store and verified against their digests.
struct StoredImage {
  Digest manifest_digest;
  Manifest manifest;
  Digest config_digest;
  ImageConfig config;
  Digest chain_id;
};

base::Result<StoredImage> ReadStoredImage(const ContentStore& store, const Digest& manifest);

// Builds (or finds) the tree and, if `ext4`, the ext4 image for `image`.
base::Result<RootfsOutputs> EnsureRootfs(const ContentStore& store, const StoredImage& image,
                                         bool ext4);

// Checks that every blob of the manifest is present, builds the outputs and records the
// image under `name` (an empty name records it by manifest digest).
base::Result<ImageRecord> RegisterImage(const ContentStore& store, const std::string& name,
                                        const Digest& manifest, const Digest& index,
                                        bool ext4 = true);

}  // namespace hull::rootfs
