// OCI and Docker image manifests, image indexes and manifest lists (OCI image spec
// manifest.md, image-index.md; Docker's Image Manifest V2 Schema 2): parsing, media-type
// checks and platform selection. No I/O; the sources fetch the bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "rootfs-builder/digest.h"

namespace hull::rootfs {

namespace media {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;  // empty: any
  // "linux/amd64", "linux/arm64/v8".
  static base::Result<Platform> Parse(std::string_view text);
  std::string str() const;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  Platform platform;  // index entries only
  bool has_platform = false;
  std::map<std::string, std::string> annotations;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

bool IsIndexMediaType(std::string_view media_type);
bool IsManifestMediaType(std::string_view media_type);
bool IsLayerMediaType(std::string_view media_type);

// The media type a manifest document declares (or implies: a "manifests" array means
// an index, "layers" a manifest) — for sources that do not say, like an OCI layout.
base::Result<std::string> SniffMediaType(std::string_view json);

base::Result<Manifest> ParseManifest(std::string_view json);
base::Result<Index> ParseIndex(std::string_view json);

// The index entry for `platform` (variant ignored unless given).
base::Result<Descriptor> SelectPlatform(const Index& index, const Platform& platform);

// OCI chain IDs (image-spec config.md "Layer ChainID").
Digest ChainId(const std::vector<Digest>& diff_ids);

// A manifest document for a config and layers, as hull writes for load and import.
std::string MakeOciManifest(const Descriptor& config, const std::vector<Descriptor>& layers);

}  // namespace hull::rootfs
