#include "rootfs-builder/image_builder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/logging.h"
#include "base/unique_fd.h"
#include "rootfs-builder/ext4_image.h"
#include "rootfs-builder/layer_applier.h"
#include "rootfs-builder/safe_path.h"

namespace hull::rootfs {

using base::Result;
using base::Status;

namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Removes a temporary build directory however the build ends.
class TempDir {
 public:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  ~TempDir() { (void)RemoveTree(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status UnpackLayers(const ContentStore& store, const StoredImage& image, const std::string& tree) {
  const auto& layers = image.manifest.layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Descriptor& l = layers[i];
    ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(store.BlobPath(l.digest), O_RDONLY));
    LayerExpectation want{l.digest, l.size, image.config.diff_ids[i]};
    auto stats = ApplyLayer(fd.get(), want, tree);
    if (!stats.ok()) {
      return stats.status().WithContext("layer " + std::to_string(i + 1) + "/" +
                                        std::to_string(layers.size()) + " " + l.digest.str());
    }
  }
  return Status::Ok();
}

}  // namespace

Result<StoredImage> ReadStoredImage(const ContentStore& store, const Digest& manifest) {
  StoredImage image;
  image.manifest_digest = manifest;
  ASSIGN_OR_RETURN(std::string text, store.ReadBlob(manifest));
  ASSIGN_OR_RETURN(image.manifest, ParseManifest(text));
  const Descriptor& cd = image.manifest.config;
  image.config_digest = cd.digest;
  ASSIGN_OR_RETURN(std::string config, store.ReadBlob(cd.digest));
  if (static_cast<int64_t>(config.size()) != cd.size) {
    return Status::Error("image config " + cd.digest.str() + ": size mismatch: manifest says " +
                         std::to_string(cd.size) + " bytes, got " + std::to_string(config.size()));
  }
  ASSIGN_OR_RETURN(image.config, ParseImageConfig(config));
  if (image.config.diff_ids.size() != image.manifest.layers.size()) {
    return Status::Error("image " + manifest.str() + ": manifest has " +
                         std::to_string(image.manifest.layers.size()) + " layers, config has " +
                         std::to_string(image.config.diff_ids.size()) + " diff IDs");
  }
  image.chain_id = ChainId(image.config.diff_ids);
  return image;
}

Result<RootfsOutputs> EnsureRootfs(const ContentStore& store, const StoredImage& image,
                                   bool ext4) {
  std::string dir = store.RootfsDir(image.chain_id);
  RootfsOutputs out{dir + "/tree", ext4 ? dir + "/rootfs.ext4" : "", true};
  if (!Exists(out.tree)) {
    out.cached = false;
    ASSIGN_OR_RETURN(std::string tmp_path, store.MakeTempDir("unpack"));
    TempDir tmp(tmp_path);
    std::string tree = tmp.path() + "/tree";
    if (::mkdir(tree.c_str(), 0755) != 0 || ::chmod(tree.c_str(), 0755) != 0) {
      return Status::Errno("creating " + tree);
    }
    RETURN_IF_ERROR(UnpackLayers(store, image, tree));
    // The tree's existence means "complete": make its contents durable before renaming.
    {
      ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(tree, O_RDONLY | O_DIRECTORY));
      if (::syncfs(fd.get()) != 0) return Status::Errno("syncfs " + tree);
    }
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Status::Errno("creating " + dir);
    if (::rename(tree.c_str(), out.tree.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY) {
      return Status::Errno("storing " + out.tree);
    }  // EEXIST/ENOTEMPTY: a concurrent build of the same chain finished first.
  }
  if (ext4 && !Exists(out.ext4)) {
    out.cached = false;
    ASSIGN_OR_RETURN(std::string tmp_path, store.MakeTempDir("ext4"));
    TempDir tmp(tmp_path);
    std::string file = tmp.path() + "/rootfs.ext4";
    RETURN_IF_ERROR(BuildExt4Image(out.tree, file));
    if (::rename(file.c_str(), out.ext4.c_str()) != 0) return Status::Errno("storing " + out.ext4);
  }
  return out;
}

Result<ImageRecord> RegisterImage(const ContentStore& store, const std::string& name,
                                  const Digest& manifest, const Digest& index, bool ext4) {
  ASSIGN_OR_RETURN(StoredImage image, ReadStoredImage(store, manifest));
  ImageRecord record;
  for (const Descriptor& l : image.manifest.layers) {
    if (!store.HasBlob(l.digest)) return Status::Error("layer " + l.digest.str() + " is missing");
    record.size += l.size;
  }
  ASSIGN_OR_RETURN(RootfsOutputs out, EnsureRootfs(store, image, ext4));
  LOG_DEBUG << "rootfs " << out.tree << (out.cached ? " (cached)" : " (built)");
  record.name = name.empty() ? manifest.str() : name;
  record.manifest = manifest;
  record.config = image.config_digest;
  record.chain_id = image.chain_id;
  record.index = index;
  record.created = image.config.created;
  RETURN_IF_ERROR(store.PutImage(record));
  return record;
}

}  // namespace hull::rootfs
