#include "rootfs-builder/local_sources.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "rootfs-builder/directory_tar.h"
#include "rootfs-builder/image_builder.h"
#include "rootfs-builder/image_config.h"
#include "rootfs-builder/layer_applier.h"
#include "rootfs-builder/reference.h"
#include "rootfs-builder/safe_path.h"

namespace hull::rootfs {

using base::Result;
using base::Status;
using nlohmann::json;

namespace {

bool IsDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Copies (or, for a private unpacked archive, moves) a file into the store, verified.
Result<Digest> StoreFile(const ContentStore& store, const std::string& path,
                         const Digest& expect, int64_t size, bool may_move) {
  if (!expect.empty() && store.HasBlob(expect)) return expect;
  if (may_move && !expect.empty()) return store.AdoptFile(path, expect, size);
  ASSIGN_OR_RETURN(base::UniqueFd in, base::OpenFile(path, O_RDONLY));
  ASSIGN_OR_RETURN(BlobWriter w, store.NewBlob());
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Errno("reading " + path);
    if (n == 0) break;
    RETURN_IF_ERROR(w.Write(buf.data(), static_cast<size_t>(n)));
  }
  return w.Commit(expect, size);
}

std::string NormalizeName(const std::string& text) {
  auto ref = ParseReference(text);
  return ref.ok() ? ref->str() : "";
}

// A name for an index entry of an OCI layout, if it carries a full reference.
std::string NameFromAnnotations(const Descriptor& d) {
  for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
    auto it = d.annotations.find(key);
    if (it == d.annotations.end()) continue;
    // A bare tag ("latest") names no repository.
    if (it->second.find('/') == std::string::npos && it->second.find(':') == std::string::npos) {
      continue;
    }
    std::string n = NormalizeName(it->second);
    if (!n.empty()) return n;
  }
  return "";
}

std::string LayoutBlob(const std::string& dir, const Digest& d) {
  return dir + "/blobs/sha256/" + std::string(d.hex());
}

// Stores an index or manifest (and everything below it) from an OCI layout.
Result<Digest> StoreManifestTree(const ContentStore& store, const std::string& dir,
                                 const Descriptor& d, const LoadOptions& options, bool move,
                                 Digest* index_digest) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFileToString(LayoutBlob(dir, d.digest), 16u << 20));
  RETURN_IF_ERROR(CheckDigest("manifest", d.digest, Sha256Of(text)));
  ASSIGN_OR_RETURN(std::string type, SniffMediaType(text));
  if (IsIndexMediaType(type)) {
    ASSIGN_OR_RETURN(Index index, ParseIndex(text));
    ASSIGN_OR_RETURN(Descriptor chosen, SelectPlatform(index, options.platform));
    RETURN_IF_ERROR(store.PutBlob(text, d.digest).status());
    *index_digest = d.digest;
    return StoreManifestTree(store, dir, chosen, options, move, index_digest);
  }
  ASSIGN_OR_RETURN(Manifest m, ParseManifest(text));
  RETURN_IF_ERROR(StoreFile(store, LayoutBlob(dir, m.config.digest), m.config.digest,
                            m.config.size, move).status());
  for (const Descriptor& l : m.layers) {
    RETURN_IF_ERROR(StoreFile(store, LayoutBlob(dir, l.digest), l.digest, l.size, move).status());
  }
  RETURN_IF_ERROR(store.PutBlob(text, d.digest).status());
  return d.digest;
}

Result<std::vector<ImageRecord>> LoadOciLayout(const ContentStore& store, const std::string& dir,
                                               const LoadOptions& options, bool move) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFileToString(dir + "/index.json", 16u << 20));
  ASSIGN_OR_RETURN(Index top, ParseIndex(text));
  if (top.manifests.empty()) return Status::Error("OCI layout holds no images");
  if (!options.tag.empty() && top.manifests.size() != 1) {
    return Status::Error("--tag needs an archive with exactly one image; this one has " +
                         std::to_string(top.manifests.size()));
  }
  std::vector<ImageRecord> records;
  for (const Descriptor& d : top.manifests) {
    Digest index;
    ASSIGN_OR_RETURN(Digest manifest, StoreManifestTree(store, dir, d, options, move, &index));
    std::string name = options.tag.empty() ? NameFromAnnotations(d) : NormalizeName(options.tag);
    ASSIGN_OR_RETURN(ImageRecord r, RegisterImage(store, name, manifest, index, options.ext4));
    records.push_back(std::move(r));
  }
  return records;
}

Result<std::vector<ImageRecord>> LoadDockerArchive(const ContentStore& store,
                                                   const std::string& dir,
                                                   const LoadOptions& options) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFileToString(dir + "/manifest.json", 16u << 20));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return Status::Error("docker-archive manifest.json is malformed");
  std::vector<ImageRecord> records;
  try {
    for (const json& image : j) {
      ASSIGN_OR_RETURN(std::vector<std::string> cpath,
                       SplitEntryPath(image.at("Config").get<std::string>()));
      std::string config_path = dir + "/" + JoinPath(cpath);
      ASSIGN_OR_RETURN(Digest config_digest, Sha256OfFile(config_path));
      struct stat st {};
      ::stat(config_path.c_str(), &st);
      Descriptor config{std::string(media::kOciConfig), config_digest, st.st_size, {}, false, {}};
      RETURN_IF_ERROR(StoreFile(store, config_path, config_digest, st.st_size, true).status());
      std::vector<Descriptor> layers;
      for (const json& l : image.at("Layers")) {
        ASSIGN_OR_RETURN(std::vector<std::string> lpath, SplitEntryPath(l.get<std::string>()));
        std::string path = dir + "/" + JoinPath(lpath);
        ASSIGN_OR_RETURN(Digest digest, Sha256OfFile(path));
        ::stat(path.c_str(), &st);
        char magic[4] = {};
        if (auto fd = base::OpenFile(path, O_RDONLY); fd.ok()) (void)::read(fd->get(), magic, 4);
        std::string type(media::kOciLayer);
        if (magic[0] == '\x1f' && magic[1] == '\x8b') type = media::kOciLayerGzip;
        if (std::string_view(magic, 4) == "\x28\xb5\x2f\xfd") type = media::kOciLayerZstd;
        RETURN_IF_ERROR(StoreFile(store, path, digest, st.st_size, true).status());
        layers.push_back({type, digest, st.st_size, {}, false, {}});
      }
      ASSIGN_OR_RETURN(Digest manifest, store.PutBlob(MakeOciManifest(config, layers)));
      std::vector<std::string> names;
      if (!options.tag.empty()) {
        names.push_back(NormalizeName(options.tag));
      } else if (image.contains("RepoTags") && image["RepoTags"].is_array()) {
        for (const json& t : image["RepoTags"]) names.push_back(NormalizeName(t.get<std::string>()));
      }
      if (names.empty()) names.push_back("");
      for (const auto& name : names) {
        ASSIGN_OR_RETURN(ImageRecord r, RegisterImage(store, name, manifest, {}, options.ext4));
        records.push_back(std::move(r));
      }
    }
  } catch (const json::exception& e) {
    return Status::Error(std::string("docker-archive manifest.json is malformed: ") + e.what());
  }
  return records;
}

}  // namespace

Result<std::vector<ImageRecord>> LoadImages(const ContentStore& store, const std::string& path,
                                            const LoadOptions& options) {
  ASSIGN_OR_RETURN(StoreLock lock, store.LockShared());
  std::string dir = path;
  std::optional<std::string> unpacked;
  if (!IsDir(path)) {
    ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_RDONLY));
    ASSIGN_OR_RETURN(dir, store.MakeTempDir("load"));
    unpacked = dir;
    auto applied = ApplyLayer(fd.get(), {}, dir);
    if (!applied.ok()) {
      (void)RemoveTree(dir);
      return applied.status().WithContext("reading " + path);
    }
  }
  Result<std::vector<ImageRecord>> result = Status::Error(
      path + " is neither an OCI image layout (oci-layout, index.json) nor a docker-archive "
             "(manifest.json)");
  // Docker 25+ writes both files; its index.json is the fuller description.
  if (IsFile(dir + "/index.json")) {
    result = LoadOciLayout(store, dir, options, unpacked.has_value());
  } else if (IsFile(dir + "/manifest.json")) {
    result = LoadDockerArchive(store, dir, options);
  }
  if (unpacked) (void)RemoveTree(*unpacked);
  return result;
}

Result<ImageRecord> ImportRootfs(const ContentStore& store, const std::string& path,
                                 const std::string& name, bool ext4) {
  ASSIGN_OR_RETURN(Reference ref, ParseReference(name));
  ASSIGN_OR_RETURN(StoreLock lock, store.LockShared());
  ASSIGN_OR_RETURN(BlobWriter layer, store.NewBlob());
  Digest diff_id;
  if (IsDir(path)) {
    ASSIGN_OR_RETURN(diff_id, WriteDirectoryTar(path, layer.fd()));
  } else {
    ASSIGN_OR_RETURN(base::UniqueFd in, base::OpenFile(path, O_RDONLY));
    auto d = DecompressToTar(in.get(), layer.fd());
    if (!d.ok()) return d.status().WithContext("importing " + path);
    diff_id = *d;
  }
  struct stat st {};
  if (::fstat(layer.fd(), &st) != 0) return Status::Errno("stat layer");
  ASSIGN_OR_RETURN(Digest stored, layer.CommitWritten(diff_id, st.st_size));
  char created[32];
  time_t now = ::time(nullptr);
  strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  std::string config = MakeImportConfig(stored, created);
  ASSIGN_OR_RETURN(Digest config_digest, store.PutBlob(config));
  Descriptor cd{std::string(media::kOciConfig), config_digest,
                static_cast<int64_t>(config.size()), {}, false, {}};
  Descriptor ld{std::string(media::kOciLayer), stored, st.st_size, {}, false, {}};
  ASSIGN_OR_RETURN(Digest manifest, store.PutBlob(MakeOciManifest(cd, {ld})));
  return RegisterImage(store, ref.str(), manifest, {}, ext4);
}

}  // namespace hull::rootfs
