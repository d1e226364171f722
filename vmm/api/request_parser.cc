#include "vmm/api/request_parser.h"

#include <initializer_list>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "vmm/config/config_file.h"
#include "vmm/config/device_sections.h"

namespace hull::vmm::api {
namespace {

using base::Result;
using base::Status;
using json = nlohmann::json;

Status InvalidPathOrMethod(const Request& request) {
  return Status::Error("Invalid request method and/or path: " + request.method + " " +
                       request.path + ".");
}

// The body as a JSON object. Duplicate keys are an error (serde, and so Firecracker,
// rejects them; nlohmann would keep the last one silently). With `known`, any other
// key is an error that lists the known ones.
Result<json> ParseObject(const std::string& body, const char* what,
                         std::optional<std::initializer_list<const char*>> known = std::nullopt) {
  std::set<std::string> keys;
  std::string duplicate;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 &&
        !keys.insert(parsed.get<std::string>()).second && duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json value;
  try {
    value = json::parse(body, callback);
  } catch (const json::exception& e) {
    std::string message = e.what();
    if (size_t end = message.find("] "); message.starts_with("[json.") && end != message.npos) {
      message.erase(0, end + 2);
    }
    return Status::Error(std::string("malformed JSON in the ") + what + " request: " + message);
  }
  if (!value.is_object()) {
    return Status::Error(std::string("the ") + what + " request body must be a JSON object");
  }
  if (!duplicate.empty()) {
    return Status::Error(std::string("duplicate field \"") + duplicate + "\" in the " + what +
                         " request");
  }
  if (known) {
    for (const auto& [key, unused] : value.items()) {
      bool found = false;
      std::string list;
      for (const char* name : *known) {
        found |= key == name;
        list += (list.empty() ? "" : ", ") + std::string(name);
      }
      if (!found) {
        return Status::Error("unknown field \"" + key + "\" in the " + what +
                             " request (known fields: " + list + ")");
      }
    }
  }
  return value;
}

bool Given(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

// Reads a configuration section the way a config file's section is read (same field
// checks and messages), so the API and --config accept exactly the same values.
Result<VmConfig> ParseSection(const char* section, const json& object, ConfigFileExtras* extras) {
  return ParseConfigFile(json{{section, object}}.dump(), extras);
}

Result<Action> ParseBootSource(const std::string& body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, "boot-source"));
  ASSIGN_OR_RETURN(VmConfig config, ParseSection("boot-source", object, nullptr));
  if (config.kernel_image_path.empty()) {
    return Status::Error("boot-source.kernel_image_path is required");
  }
  return Action{SetBootSource{config.kernel_image_path, config.initrd_path, config.boot_args}};
}

Result<Action> ParseMachineConfig(const std::string& body, bool patch) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, "machine-config"));
  ConfigFileExtras extras;
  ASSIGN_OR_RETURN(VmConfig config, ParseSection("machine-config", object, &extras));
  if (!patch) {
    for (const char* required : {"vcpu_count", "mem_size_mib"}) {
      if (!Given(object, required)) {
        return Status::Error(std::string("machine-config.") + required + " is required");
      }
    }
  }
  UpdateMachineConfig update;
  // PUT sets every field (defaults for those left out); PATCH only those given.
  if (!patch || Given(object, "vcpu_count")) update.vcpu_count = config.vcpu_count;
  if (!patch || Given(object, "mem_size_mib")) update.mem_size_mib = config.mem_size_mib;
  if (!patch || Given(object, "smt")) update.smt = config.smt;
  if (!patch || Given(object, "huge_pages")) update.huge_pages = config.huge_pages;
  update.notes = std::move(extras.notes);
  return Action{std::move(update)};
}

Result<Action> ParseActions(const std::string& body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, "actions", {{"action_type"}}));
  auto it = object.find("action_type");
  if (it == object.end() || !it->is_string()) {
    return Status::Error("actions.action_type is required and must be a string");
  }
  const std::string type = it->get<std::string>();
  if (type == "InstanceStart") return Action{StartInstance{}};
  if (type == "SendCtrlAltDel") return Action{SendCtrlAltDel{}};
  if (type == "FlushMetrics") return Action{FlushMetrics{}};
  return Status::Error("unknown action_type \"" + type +
                       "\" (known: InstanceStart, SendCtrlAltDel, FlushMetrics)");
}

Result<Action> ParseVmState(const std::string& body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, "vm", {{"state"}}));
  auto it = object.find("state");
  if (it == object.end() || !it->is_string()) {
    return Status::Error("vm.state is required and must be a string");
  }
  const std::string state = it->get<std::string>();
  if (state == "Paused") return Action{PauseVm{}};
  if (state == "Resumed") return Action{ResumeVm{}};
  return Status::Error("vm.state must be \"Paused\" or \"Resumed\", got \"" + state + "\"");
}

// Firecracker's rule for resource IDs in paths.
Status CheckId(const std::string& id, const Request& request) {
  if (id.empty()) return InvalidPathOrMethod(request);
  return CheckDeviceId(id, "the path's ID");
}

Result<Action> ParseDevice(const Request& request, ConfigureDevice::Kind kind, std::string id,
                           const char* section) {
  using Kind = ConfigureDevice::Kind;
  if (kind != Kind::kVsock) RETURN_IF_ERROR(CheckId(id, request));
  ASSIGN_OR_RETURN(json object, ParseObject(request.body, section));
  ConfigureDevice device{kind, id, std::monostate{}, {}};
  ConfigFileExtras extras;
  // Drives and interfaces are arrays in a config file; a request carries one.
  json wrapped = kind == Kind::kVsock ? object : json::array({object});
  ASSIGN_OR_RETURN(VmConfig config, ParseSection(section, wrapped, &extras));
  device.notes = std::move(extras.notes);
  auto mismatch = [&](const std::string& body_id) {
    return Status::Error("The id from the path (\"" + id + "\") does not match the id from "
                         "the body (\"" + body_id + "\").");
  };
  switch (kind) {
    case Kind::kDrive:
      if (config.drives[0].drive_id != id) return mismatch(config.drives[0].drive_id);
      device.device = std::move(config.drives[0]);
      break;
    case Kind::kNetworkInterface:
      if (config.network_interfaces[0].iface_id != id) {
        return mismatch(config.network_interfaces[0].iface_id);
      }
      device.device = std::move(config.network_interfaces[0]);
      break;
    case Kind::kVsock:
      device.device = std::move(*config.vsock);
      break;
  }
  return Action{std::move(device)};
}

// PATCH /drives/{id}, PATCH /network-interfaces/{id}: Firecracker's PartialDrive and
// PartialNetworkInterface, of which hull-vmm changes the rate limiters.
Result<Action> ParseRateLimiterPatch(const Request& request, ConfigureDevice::Kind kind,
                                     std::string id) {
  using Kind = ConfigureDevice::Kind;
  RETURN_IF_ERROR(CheckId(id, request));
  const bool drive = kind == Kind::kDrive;
  const char* section = drive ? "drive" : "network-interface";
  const char* id_field = drive ? "drive_id" : "iface_id";
  ASSIGN_OR_RETURN(json object,
                   drive ? ParseObject(request.body, section,
                                       {{"drive_id", "path_on_host", "rate_limiter"}})
                         : ParseObject(request.body, section,
                                       {{"iface_id", "rx_rate_limiter", "tx_rate_limiter"}}));
  auto body_id = object.find(id_field);
  if (body_id == object.end() || !body_id->is_string()) {
    return Status::Error(std::string(section) + "." + id_field +
                         " is required and must be a string");
  }
  if (body_id->get<std::string>() != id) {
    return Status::Error("The id from the path (\"" + id + "\") does not match the id from "
                         "the body (\"" + body_id->get<std::string>() + "\").");
  }
  if (Given(object, "path_on_host")) {
    return Status::Error("drive.path_on_host cannot be changed by PATCH in hull-vmm (a "
                         "running drive keeps its disk); PATCH changes rate_limiter only");
  }
  UpdateRateLimiters update{kind, id, {}, {}, {}};
  auto read = [&](const char* key, devices::rate_limiter::RateLimiterUpdate* out) -> Status {
    if (!Given(object, key)) return Status::Ok();
    return config_json::ParseRateLimiterUpdate(object[key], std::string(section) + "." + key,
                                               out);
  };
  RETURN_IF_ERROR(read("rate_limiter", &update.limiter));
  RETURN_IF_ERROR(read("rx_rate_limiter", &update.rx));
  RETURN_IF_ERROR(read("tx_rate_limiter", &update.tx));
  return Action{std::move(update)};
}

}  // namespace

Result<Action> ParseRequest(const Request& request) {
  const std::string& method = request.method;
  const std::string& path = request.path;
  const bool get = method == "GET";
  const bool put = method == "PUT";
  const bool patch = method == "PATCH";
  if (get && !request.body.empty()) return Status::Error("GET request cannot have a body.");
  if ((put || patch) && request.body.empty()) {
    return Status::Error("Empty " + method + " request.");
  }

  if (path == "/" && get) return Action{GetInstanceInfo{}};
  if (path == "/vm/config" && get) return Action{GetVmConfig{}};
  if (path == "/metrics" && get) return Action{GetMetrics{}};
  if (path == "/machine-config") {
    if (get) return Action{GetMachineConfig{}};
    if (put || patch) return ParseMachineConfig(request.body, patch);
  }
  if (path == "/boot-source" && put) return ParseBootSource(request.body);
  if (path == "/actions" && put) return ParseActions(request.body);
  if (path == "/vm" && patch) return ParseVmState(request.body);

  using Kind = ConfigureDevice::Kind;
  const std::string kDrives = "/drives/";
  const std::string kInterfaces = "/network-interfaces/";
  if (path.starts_with(kDrives) && patch) {
    return ParseRateLimiterPatch(request, Kind::kDrive, path.substr(kDrives.size()));
  }
  if (path.starts_with(kInterfaces) && patch) {
    return ParseRateLimiterPatch(request, Kind::kNetworkInterface,
                                 path.substr(kInterfaces.size()));
  }
  if (path.starts_with(kDrives) && put) {
    return ParseDevice(request, Kind::kDrive, path.substr(kDrives.size()), "drives");
  }
  if (path.starts_with(kInterfaces) && put) {
    return ParseDevice(request, Kind::kNetworkInterface, path.substr(kInterfaces.size()),
                       "network-interfaces");
  }
  if (path == "/vsock" && put) return ParseDevice(request, Kind::kVsock, "", "vsock");
  return InvalidPathOrMethod(request);
}

}  // namespace hull::vmm::api
