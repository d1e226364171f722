// Writes OCI image layouts for the integration tests and the benchmark: images built
// from layer tars (tar_builder.h), single-platform or behind a multi-arch index, which
// the tests then push into a registry with `skopeo copy`.
#pragma once

#include <string>
#include <vector>

#include "rootfs-builder/testing/tar_builder.h"

namespace hull::rootfs::testing {

struct LayerSpec {
  std::vector<TarEntry> entries;
  Compression compression = Compression::kGzip;
};

struct ImageSpec {
  std::vector<LayerSpec> layers;
  std::string architecture = "amd64";
  std::string config_json = "{}";  // the config's "config" object (Entrypoint, Env, ...)
};

// Writes (or adds to) the layout in `dir`; index.json names the image `tag` (the
// "org.opencontainers.image.ref.name" annotation). With several specs, they go behind an
// image index, one per architecture. Returns the digest index.json points at.
std::string WriteOciLayout(const std::string& dir, const std::string& tag,
                           const std::vector<ImageSpec>& platforms);

// A base layer from the host's busybox-static: /bin/busybox and applet symlinks.
LayerSpec BusyboxLayer();

}  // namespace hull::rootfs::testing
