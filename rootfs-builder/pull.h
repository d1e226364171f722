// `hull pull`: resolves a reference in a registry (image indexes to one platform),
// downloads the manifest, config and layers into the content store, each verified
// against its digest and size, then builds the image's outputs and records it.
#pragma once

#include <string>

#include "base/status.h"
#include "rootfs-builder/content_store.h"
#include "rootfs-builder/manifest.h"
#include "rootfs-builder/progress.h"
#include "rootfs-builder/registry_client.h"

namespace hull::rootfs {

struct PullOptions {
  Platform platform;
  RegistryOptions registry;
  bool ext4 = true;
};

base::Result<ImageRecord> Pull(const ContentStore& store, const std::string& reference,
                               const PullOptions& options, PullProgress* progress);

}  // namespace hull::rootfs
