#include "engine/volumes.h"

namespace hull::engine {

using base::Result;
using base::Status;
using nlohmann::json;
using runtime::VolumeSpec;

namespace {

bool ValidVolumeName(const std::string& name) {
  if (name.size() < 2 || name.size() > 255 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

Status CheckVolume(const VolumeSpec& v, const std::string& text) {
  if (v.host.empty() || (v.host[0] != '/' && !ValidVolumeName(v.host))) {
    return Status::Error("invalid volume specification: '" + text + "': the source must be an absolute path or a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
  }
  if (v.container.empty() || v.container[0] != '/') {
    return Status::Error("invalid volume specification: '" + text + "': the destination must be an absolute path");
  }
  if (v.container.find_first_not_of('/') == std::string::npos) {
    return Status::Error("invalid volume specification: '" + text + "': destination can't be '/'");
  }
  return Status::Ok();
}

Result<VolumeSpec> ParseBind(const std::string& text) {
  VolumeSpec v;
  size_t first = text.find(':');
  if (first == std::string::npos) return Status::Error("invalid volume specification: '" + text + "' (want SOURCE:DESTINATION[:ro])");
  v.host = text.substr(0, first);
  std::string rest = text.substr(first + 1);
  if (size_t second = rest.find(':'); second != std::string::npos) {
    std::string options = rest.substr(second + 1);
    rest.resize(second);
    size_t start = 0;
    while (start <= options.size()) {
      size_t comma = options.find(',', start);
      std::string o = options.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (o == "ro") {
        v.read_only = true;
      } else if (o != "rw" && o != "z" && o != "Z" && o != "rprivate" && o != "private" && o != "nocopy") {
        return Status::Error("invalid mode: " + o + " (hull accepts ro, rw)");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  v.container = rest;
  RETURN_IF_ERROR(CheckVolume(v, text));
  return v;
}

Result<VolumeSpec> ParseMount(const json& m) {
  if (!m.is_object()) return Status::Error("HostConfig.Mounts entries must be objects");
  std::string type = m.value("Type", "");
  if (type != "bind" && type != "volume") return Status::Error("mount type \"" + type + "\" is not supported (bind, volume)");
  VolumeSpec v{m.value("Source", ""), m.value("Target", ""), m.value("ReadOnly", false)};
  if (type == "bind" && (v.host.empty() || v.host[0] != '/')) return Status::Error("invalid mount config for type \"bind\": the source must be an absolute path");
  if (type == "volume" && (v.host.empty() || v.host[0] == '/')) return Status::Error("invalid mount config for type \"volume\": the source must be a volume name");
  RETURN_IF_ERROR(CheckVolume(v, v.host + ":" + v.container));
  return v;
}

}  // namespace

Result<std::vector<VolumeSpec>> ParseVolumes(const json& host) {
  std::vector<VolumeSpec> out;
  try {
    if (host.contains("Binds") && !host["Binds"].is_null()) {
      for (const auto& b : host["Binds"]) {
        if (!b.is_string()) return Status::Error("HostConfig.Binds entries must be strings");
        ASSIGN_OR_RETURN(VolumeSpec v, ParseBind(b.get<std::string>()));
        out.push_back(v);
      }
    }
    if (host.contains("Mounts") && !host["Mounts"].is_null()) {
      for (const auto& m : host["Mounts"]) {
        ASSIGN_OR_RETURN(VolumeSpec v, ParseMount(m));
        out.push_back(v);
      }
    }
  } catch (const json::exception& e) {
    return Status::Error(std::string("invalid volume configuration: ") + e.what());
  }
  for (size_t i = 0; i < out.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (out[i].container == out[j].container) return Status::Error("Duplicate mount point: " + out[i].container);
    }
  }
  return out;
}

json MountsToDocker(const std::vector<VolumeSpec>& volumes, const std::string& root) {
  json out = json::array();
  for (const auto& v : volumes) {
    bool named = !v.host.empty() && v.host[0] != '/';
    json m{{"Type", named ? "volume" : "bind"}, {"Source", named ? root + "/volumes/" + v.host + "/_data" : v.host},
           {"Destination", v.container}, {"Mode", v.read_only ? "ro" : ""}, {"RW", !v.read_only},
           {"Propagation", named ? "" : "rprivate"}};
    if (named) m["Name"] = v.host, m["Driver"] = "local";
    out.push_back(m);
  }
  return out;
}

void ResolveNamedVolumes(const std::string& root, std::vector<VolumeSpec>* volumes) {
  for (auto& v : *volumes) {
    if (!v.host.empty() && v.host[0] != '/') v.host = root + "/volumes/" + v.host + "/_data";
  }
}

}  // namespace hull::engine
