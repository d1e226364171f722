#include "rootfs-builder/pull.h"

#include "rootfs-builder/image_builder.h"
#include "rootfs-builder/reference.h"

namespace hull::rootfs {

using base::Result;
using base::Status;

namespace {

Status FetchBlob(const ContentStore& store, RegistryClient& client, const Descriptor& d,
                 std::string_view what, PullProgress* progress) {
  progress->BlobStart(d.digest, what, d.size);
  if (store.HasBlob(d.digest)) {
    progress->BlobDone(d.digest, true);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(BlobWriter writer, store.NewBlob());
  uint64_t received = 0;
  Status s = client.GetBlob(d.digest.str(), [&](const char* data, size_t size) -> Status {
    received += size;
    if (received > static_cast<uint64_t>(d.size)) {
      return Status::Error(std::string(what) + " " + d.digest.str() +
                           ": registry sent more than the " + std::to_string(d.size) +
                           " bytes the manifest declares");
    }
    progress->BlobBytes(d.digest, received);
    return writer.Write(data, size);
  });
  RETURN_IF_ERROR(s);
  auto committed = writer.Commit(d.digest, d.size);
  if (!committed.ok()) return committed.status().WithContext(std::string(what));
  progress->BlobDone(d.digest, false);
  return Status::Ok();
}

// Checks a fetched manifest against the digest it was asked for (or the index entry).
Status CheckManifest(const std::string& body, const Descriptor* entry, const Reference& ref) {
  Digest got = Sha256Of(body);
  if (entry != nullptr) {
    if (static_cast<int64_t>(body.size()) != entry->size) {
      return Status::Error("manifest " + entry->digest.str() + ": size mismatch: index says " +
                           std::to_string(entry->size) + " bytes, got " +
                           std::to_string(body.size()));
    }
    return CheckDigest("manifest", entry->digest, got);
  }
  if (!ref.digest.empty()) return CheckDigest("manifest " + ref.str(), *Digest::Parse(ref.digest), got);
  return Status::Ok();
}

}  // namespace

Result<ImageRecord> Pull(const ContentStore& store, const std::string& text,
                         const PullOptions& options, PullProgress* progress) {
  PullProgress quiet;
  if (progress == nullptr) progress = &quiet;
  ASSIGN_OR_RETURN(Reference ref, ParseReference(text));
  ASSIGN_OR_RETURN(StoreLock lock, store.LockShared());
  RegistryClient client(ref, options.registry);
  ASSIGN_OR_RETURN(FetchedManifest top, client.GetManifest(ref.digest.empty() ? ref.tag : ref.digest));
  RETURN_IF_ERROR(CheckManifest(top.body, nullptr, ref));
  Digest index_digest;
  std::string manifest_body = top.body;
  if (IsIndexMediaType(top.media_type)) {
    ASSIGN_OR_RETURN(Index index, ParseIndex(top.body));
    ASSIGN_OR_RETURN(Descriptor entry, SelectPlatform(index, options.platform));
    index_digest = Sha256Of(top.body);
    progress->Note("index " + index_digest.str() + ": " + options.platform.str() + " is " +
                   entry.digest.str());
    ASSIGN_OR_RETURN(FetchedManifest m, client.GetManifest(entry.digest.str()));
    RETURN_IF_ERROR(CheckManifest(m.body, &entry, ref));
    if (!IsManifestMediaType(m.media_type)) {
      return Status::Error("index entry " + entry.digest.str() + " is not an image manifest");
    }
    manifest_body = std::move(m.body);
  }
  ASSIGN_OR_RETURN(Manifest manifest, ParseManifest(manifest_body));
  RETURN_IF_ERROR(FetchBlob(store, client, manifest.config, "config", progress));
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    std::string what = "layer " + std::to_string(i + 1) + "/" + std::to_string(manifest.layers.size());
    RETURN_IF_ERROR(FetchBlob(store, client, manifest.layers[i], what, progress));
  }
  if (!index_digest.empty()) RETURN_IF_ERROR(store.PutBlob(top.body, index_digest).status());
  ASSIGN_OR_RETURN(Digest manifest_digest, store.PutBlob(manifest_body));
  progress->Note("building root filesystem");
  return RegisterImage(store, ref.str(), manifest_digest, index_digest, options.ext4);
}

}  // namespace hull::rootfs
