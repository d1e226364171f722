#include "rootfs-builder/manifest.h"

#include <nlohmann/json.hpp>

namespace hull::rootfs {

using base::Result;
using base::Status;
using nlohmann::json;

Result<Platform> Platform::Parse(std::string_view text) {
  Platform p;
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t slash = text.find('/', pos);
    if (slash == std::string_view::npos) slash = text.size();
    parts.emplace_back(text.substr(pos, slash - pos));
    pos = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return Status::Error("invalid platform \"" + std::string(text) +
                         "\" (expected os/arch[/variant])");
  }
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

bool IsIndexMediaType(std::string_view t) {
  return t == media::kOciIndex || t == media::kDockerManifestList;
}
bool IsManifestMediaType(std::string_view t) {
  return t == media::kOciManifest || t == media::kDockerManifest;
}
bool IsLayerMediaType(std::string_view t) {
  return t == media::kOciLayer || t == media::kOciLayerGzip || t == media::kOciLayerZstd ||
         t == media::kDockerLayerGzip ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" ||
         t == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}

namespace {

Result<json> ParseJson(std::string_view text, std::string_view what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Error(std::string(what) + " is not a JSON object");
  }
  return j;
}

Result<Descriptor> ParseDescriptor(const json& j, std::string_view what) {
  if (!j.is_object()) return Status::Error(std::string(what) + ": descriptor is not an object");
  Descriptor d;
  try {
    d.media_type = j.value("mediaType", "");
    auto digest = Digest::Parse(j.at("digest").get<std::string>());
    if (!digest.ok()) return digest.status().WithContext(what);
    d.digest = *digest;
    d.size = j.at("size").get<int64_t>();
    if (d.size < 0) return Status::Error(std::string(what) + ": negative size");
    if (j.contains("platform")) {
      const json& p = j.at("platform");
      d.platform.os = p.at("os").get<std::string>();
      d.platform.architecture = p.at("architecture").get<std::string>();
      d.platform.variant = p.value("variant", "");
      d.has_platform = true;
    }
    if (j.contains("annotations")) {
      d.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
    }
  } catch (const json::exception& e) {
    return Status::Error(std::string(what) + ": malformed descriptor: " + e.what());
  }
  return d;
}

}  // namespace

Result<std::string> SniffMediaType(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseJson(text, "manifest"));
  if (j.contains("mediaType") && j["mediaType"].is_string()) {
    return j["mediaType"].get<std::string>();
  }
  if (j.contains("manifests")) return std::string(media::kOciIndex);
  if (j.contains("layers")) return std::string(media::kOciManifest);
  return Status::Error("manifest has no media type and no layers or manifests");
}

Result<Manifest> ParseManifest(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseJson(text, "manifest"));
  Manifest m;
  ASSIGN_OR_RETURN(m.media_type, SniffMediaType(text));
  if (!IsManifestMediaType(m.media_type)) {
    return Status::Error("unsupported manifest media type \"" + m.media_type + "\"");
  }
  if (!j.contains("config") || !j.contains("layers") || !j["layers"].is_array()) {
    return Status::Error("manifest lacks config or layers");
  }
  ASSIGN_OR_RETURN(m.config, ParseDescriptor(j["config"], "manifest config"));
  if (m.config.media_type != media::kOciConfig && m.config.media_type != media::kDockerConfig) {
    return Status::Error("unsupported config media type \"" + m.config.media_type + "\"");
  }
  for (const json& l : j["layers"]) {
    ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(l, "manifest layer"));
    if (!IsLayerMediaType(d.media_type)) {
      return Status::Error("unsupported layer media type \"" + d.media_type + "\"");
    }
    m.layers.push_back(std::move(d));
  }
  return m;
}

Result<Index> ParseIndex(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseJson(text, "image index"));
  Index index;
  ASSIGN_OR_RETURN(index.media_type, SniffMediaType(text));
  if (!IsIndexMediaType(index.media_type)) {
    return Status::Error("unsupported index media type \"" + index.media_type + "\"");
  }
  if (!j.contains("manifests") || !j["manifests"].is_array()) {
    return Status::Error("image index lacks manifests");
  }
  for (const json& m : j["manifests"]) {
    ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(m, "index entry"));
    index.manifests.push_back(std::move(d));
  }
  return index;
}

Result<Descriptor> SelectPlatform(const Index& index, const Platform& want) {
  std::string available;
  for (const Descriptor& d : index.manifests) {
    if (!d.has_platform) continue;
    available += (available.empty() ? "" : ", ") + d.platform.str();
    if (d.platform.os == want.os && d.platform.architecture == want.architecture &&
        (want.variant.empty() || d.platform.variant == want.variant) &&
        IsManifestMediaType(d.media_type)) {
      return d;
    }
  }
  // An index without platforms (an OCI layout with one image): its only manifest.
  if (available.empty() && index.manifests.size() == 1) return index.manifests[0];
  return Status::Error("no image for platform " + want.str() + " (available: " +
                       (available.empty() ? "none" : available) + ")");
}

Digest ChainId(const std::vector<Digest>& diff_ids) {
  if (diff_ids.empty()) return Sha256Of("");
  Digest chain = diff_ids[0];
  for (size_t i = 1; i < diff_ids.size(); ++i) {
    chain = Sha256Of(chain.str() + " " + diff_ids[i].str());
  }
  return chain;
}

std::string MakeOciManifest(const Descriptor& config, const std::vector<Descriptor>& layers) {
  auto desc = [](const Descriptor& d) {
    return json{{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  };
  json j = {{"schemaVersion", 2},
            {"mediaType", std::string(media::kOciManifest)},
            {"config", desc(config)},
            {"layers", json::array()}};
  for (const auto& l : layers) j["layers"].push_back(desc(l));
  return j.dump();
}

}  // namespace hull::rootfs
