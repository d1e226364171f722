#include "rootfs-builder/image_config.h"

#include <nlohmann/json.hpp>

namespace hull::rootfs {

using base::Result;
using base::Status;
using nlohmann::json;

namespace {

std::vector<std::string> Strings(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return {};
  return j[key].get<std::vector<std::string>>();
}

std::vector<std::string> Keys(const json& j, const char* key) {
  std::vector<std::string> keys;
  if (!j.contains(key) || !j[key].is_object()) return keys;
  for (auto it = j[key].begin(); it != j[key].end(); ++it) keys.push_back(it.key());
  return keys;
}

}  // namespace

Result<ImageConfig> ParseImageConfig(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Error("image config is not JSON");
  ImageConfig c;
  try {
    c.architecture = j.value("architecture", "");
    c.os = j.value("os", "");
    c.variant = j.value("variant", "");
    c.created = j.value("created", "");
    const json& rootfs = j.at("rootfs");
    if (rootfs.value("type", "") != "layers") {
      return Status::Error("image config: rootfs type is not \"layers\"");
    }
    for (const json& d : rootfs.at("diff_ids")) {
      ASSIGN_OR_RETURN(Digest digest, Digest::Parse(d.get<std::string>()));
      c.diff_ids.push_back(digest);
    }
    if (j.contains("config") && j["config"].is_object()) {
      const json& cfg = j["config"];
      ContainerDefaults& d = c.defaults;
      d.entrypoint = Strings(cfg, "Entrypoint");
      d.cmd = Strings(cfg, "Cmd");
      d.env = Strings(cfg, "Env");
      d.working_dir = cfg.value("WorkingDir", "");
      d.user = cfg.value("User", "");
      d.exposed_ports = Keys(cfg, "ExposedPorts");
      d.volumes = Keys(cfg, "Volumes");
      d.stop_signal = cfg.value("StopSignal", "");
      if (cfg.contains("Labels") && cfg["Labels"].is_object()) {
        d.labels = cfg["Labels"].get<std::map<std::string, std::string>>();
      }
    }
  } catch (const json::exception& e) {
    return Status::Error(std::string("malformed image config: ") + e.what());
  }
  return c;
}

std::string MakeImportConfig(const Digest& diff_id, std::string_view created) {
  json j = {{"architecture", "amd64"},
            {"os", "linux"},
            {"created", std::string(created)},
            {"config", json::object()},
            {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.str()}}}},
            {"history", {{{"created", std::string(created)}, {"comment", "hull import"}}}}};
  return j.dump();
}

}  // namespace hull::rootfs
