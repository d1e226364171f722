#include "tests/rootfs/oci_layout_builder.h"

#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "rootfs-builder/digest.h"

namespace hull::rootfs::testing {

using nlohmann::json;

namespace {

json WriteBlob(const std::string& dir, const std::string& data, const std::string& media_type) {
  std::string digest = Sha256Of(data).str();
  ::mkdir((dir + "/blobs").c_str(), 0755);
  ::mkdir((dir + "/blobs/sha256").c_str(), 0755);
  std::ofstream(dir + "/blobs/sha256/" + digest.substr(7), std::ios::binary) << data;
  return {{"mediaType", media_type}, {"digest", digest}, {"size", data.size()}};
}

const char* LayerMediaType(Compression c) {
  switch (c) {
    case Compression::kGzip: return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::kZstd: return "application/vnd.oci.image.layer.v1.tar+zstd";
    default: return "application/vnd.oci.image.layer.v1.tar";
  }
}

json WriteImage(const std::string& dir, const ImageSpec& spec) {
  json layers = json::array(), diff_ids = json::array();
  for (const LayerSpec& l : spec.layers) {
    std::string tar = BuildTar(l.entries);
    std::string blob = l.compression == Compression::kNone ? tar : BuildTar(l.entries, l.compression);
    diff_ids.push_back(Sha256Of(tar).str());
    layers.push_back(WriteBlob(dir, blob, LayerMediaType(l.compression)));
  }
  json config = {{"architecture", spec.architecture},
                 {"os", "linux"},
                 {"created", "2024-01-01T00:00:00Z"},
                 {"config", json::parse(spec.config_json)},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config", WriteBlob(dir, config.dump(), "application/vnd.oci.image.config.v1+json")},
                   {"layers", layers}};
  json d = WriteBlob(dir, manifest.dump(), "application/vnd.oci.image.manifest.v1+json");
  d["platform"] = {{"os", "linux"}, {"architecture", spec.architecture}};
  return d;
}

}  // namespace

std::string WriteOciLayout(const std::string& dir, const std::string& tag,
                           const std::vector<ImageSpec>& platforms) {
  ::mkdir(dir.c_str(), 0755);
  std::ofstream(dir + "/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  json top;
  if (platforms.size() == 1) {
    top = WriteImage(dir, platforms[0]);
    top.erase("platform");
  } else {
    json index = {{"schemaVersion", 2},
                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                  {"manifests", json::array()}};
    for (const ImageSpec& p : platforms) index["manifests"].push_back(WriteImage(dir, p));
    top = WriteBlob(dir, index.dump(), "application/vnd.oci.image.index.v1+json");
  }
  top["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  json index_json = {{"schemaVersion", 2}, {"manifests", json::array()}};
  if (auto existing = base::ReadFileToString(dir + "/index.json"); existing.ok()) {
    index_json = json::parse(*existing);
  }
  index_json["manifests"].push_back(top);
  std::ofstream(dir + "/index.json") << index_json.dump();
  return top["digest"];
}

LayerSpec BusyboxLayer() {
  auto busybox = base::ReadFileToString("/bin/busybox", 64u << 20);
  if (!busybox.ok()) throw std::runtime_error("no /bin/busybox (install busybox-static)");
  LayerSpec l;
  l.entries = {Dir("bin"), File("bin/busybox", *busybox, 0755)};
  for (const char* applet : {"sh", "ls", "cat", "echo", "mkdir", "rm"}) {
    l.entries.push_back(Symlink(std::string("bin/") + applet, "busybox"));
  }
  l.entries.push_back(Dir("etc"));
  l.entries.push_back(File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"));
  l.entries.push_back(Dir("tmp", 01777));
  return l;
}

}  // namespace hull::rootfs::testing
