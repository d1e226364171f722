// Images from local files: OCI image layouts (a directory or a tar of one), Docker's
// `docker save` archives, and `import` of a plain root filesystem (a tarball, possibly
// compressed, or a directory) as a one-layer image. Each copies verified blobs into the
// content store and registers the image (image_builder.h).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "rootfs-builder/content_store.h"
#include "rootfs-builder/manifest.h"

namespace hull::rootfs {

struct LoadOptions {
  Platform platform;
  std::string tag;  // names the image when the archive holds exactly one; overrides its names
  bool ext4 = true;
};

// `hull load -i PATH`: an OCI layout directory or tar, or a docker-archive tar.
base::Result<std::vector<ImageRecord>> LoadImages(const ContentStore& store,
                                                  const std::string& path,
                                                  const LoadOptions& options);

// `hull import PATH REF`.
base::Result<ImageRecord> ImportRootfs(const ContentStore& store, const std::string& path,
                                       const std::string& name, bool ext4 = true);

}  // namespace hull::rootfs
