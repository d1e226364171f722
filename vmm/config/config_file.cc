#include "vmm/config/config_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "vmm/config/device_sections.h"
#include "vmm/config/json_fields.h"

namespace hull::vmm {
namespace {

using base::Result;
using base::Status;
using json = nlohmann::json;
using namespace config_json;  // NOLINT: this file's vocabulary

constexpr size_t kMaxConfigFileSize = 1 << 20;

constexpr EnumName<HugePages> kHugePagesNames[] = {{"None", HugePages::kNone},
                                                   {"2M", HugePages::k2M}};
constexpr EnumName<MemoryBacking> kMemoryBackingNames[] = {
    {"anonymous", MemoryBacking::kAnonymous}, {"memfd", MemoryBacking::kMemfd}};
constexpr EnumName<SerialOutput> kSerialOutputNames[] = {{"stdout", SerialOutput::kStdout},
                                                         {"file", SerialOutput::kFile},
                                                         {"pty", SerialOutput::kPty},
                                                         {"none", SerialOutput::kNone}};

Status ParseBootSource(const json& value, VmConfig* config) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, "boot-source",
                                            {"kernel_image_path", "initrd_path", "boot_args"}));
  RETURN_IF_ERROR(ReadString(obj, "kernel_image_path", &config->kernel_image_path));
  RETURN_IF_ERROR(ReadString(obj, "initrd_path", &config->initrd_path));
  return ReadString(obj, "boot_args", &config->boot_args);
}

Status ParseMachineConfig(const json& value, VmConfig* config, ConfigFileExtras* extras) {
  ASSIGN_OR_RETURN(Object obj,
                   Object::Open(value, "machine-config",
                                {"vcpu_count", "mem_size_mib", "smt", "track_dirty_pages",
                                 "huge_pages", "cpu_template"}));
  RETURN_IF_ERROR(ReadUnsigned(obj, "vcpu_count", &config->vcpu_count));
  RETURN_IF_ERROR(ReadUnsigned(obj, "mem_size_mib", &config->mem_size_mib));
  RETURN_IF_ERROR(ReadBool(obj, "smt", &config->smt));
  RETURN_IF_ERROR(ReadEnum(obj, "huge_pages", kHugePagesNames, &config->huge_pages));
  bool track_dirty_pages = false;
  RETURN_IF_ERROR(ReadBool(obj, "track_dirty_pages", &track_dirty_pages));
  if (track_dirty_pages) {
    extras->notes.push_back(
        "machine-config.track_dirty_pages is ignored: hull-vmm has no snapshots");
  }
  std::string cpu_template = "None";
  RETURN_IF_ERROR(ReadString(obj, "cpu_template", &cpu_template));
  if (cpu_template != "None") {
    return Status::Error("machine-config.cpu_template " + Quote(cpu_template) +
                         ": hull-vmm does not implement CPU templates; leave it out or set "
                         "\"None\" (hull.cpuid_masks can hide CPUID bits)");
  }
  return Status::Ok();
}

Status ParseLogger(const json& value, ConfigFileExtras* extras) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, "logger",
                                            {"level", "log_path", "show_level",
                                             "show_log_origin", "module"}));
  std::string level;
  RETURN_IF_ERROR(ReadString(obj, "level", &level));
  if (obj.Find("level") != nullptr) {
    std::string lower = level;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    base::LogLevel parsed;
    if (lower == "trace") {
      extras->log_level = base::LogLevel::kDebug;  // hull's most detailed level
    } else if (base::ParseLogLevel(lower, &parsed)) {
      extras->log_level = parsed;
    } else {
      return Status::Error("logger.level must be one of Error, Warning, Info, Debug, Trace, "
                           "Off, got " + Quote(level));
    }
  }
  for (const char* key : {"log_path", "module"}) {
    std::string text;
    RETURN_IF_ERROR(ReadString(obj, key, &text));
    if (obj.Find(key) != nullptr) {
      extras->notes.push_back(obj.PathOf(key) + " is ignored: hull-vmm logs every module to "
                              "stderr");
    }
  }
  bool unused;
  RETURN_IF_ERROR(ReadBool(obj, "show_level", &unused));
  return ReadBool(obj, "show_log_origin", &unused);
}

Status ParseMetrics(const json& value, VmConfig* config) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, "metrics", {"metrics_path"}));
  if (obj.Find("metrics_path") == nullptr) return Status::Error("metrics.metrics_path is required");
  RETURN_IF_ERROR(ReadString(obj, "metrics_path", &config->metrics_path));
  if (config->metrics_path.empty()) return Status::Error("metrics.metrics_path is empty");
  return Status::Ok();
}

Status ParseCpuidMask(const json& value, const std::string& path, CpuidMask* mask) {
  ASSIGN_OR_RETURN(Object obj,
                   Object::Open(value, path, {"leaf", "subleaf", "register", "clear_bits"}));
  for (const char* key : {"leaf", "register", "clear_bits"}) {
    if (obj.Find(key) == nullptr) return Status::Error(obj.PathOf(key) + " is required");
  }
  RETURN_IF_ERROR(ReadUnsigned(obj, "leaf", &mask->leaf, /*allow_text=*/true));
  if (obj.Find("subleaf") != nullptr) {
    uint32_t subleaf = 0;
    RETURN_IF_ERROR(ReadUnsigned(obj, "subleaf", &subleaf, /*allow_text=*/true));
    mask->subleaf = subleaf;
  }
  RETURN_IF_ERROR(ReadString(obj, "register", &mask->reg));
  return ReadUnsigned(obj, "clear_bits", &mask->clear_bits, /*allow_text=*/true);
}

Status ParseHull(const json& value, VmConfig* config) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, "hull", {"serial", "memory_backing",
                                                            "cpuid_masks", "timeout_s",
                                                            "metrics_period_s"}));
  if (const json* serial = obj.Find("serial")) {
    ASSIGN_OR_RETURN(Object serial_obj, Object::Open(*serial, "hull.serial", {"output", "path"}));
    RETURN_IF_ERROR(ReadEnum(serial_obj, "output", kSerialOutputNames, &config->serial_output));
    RETURN_IF_ERROR(ReadString(serial_obj, "path", &config->serial_path));
  }
  RETURN_IF_ERROR(
      ReadEnum(obj, "memory_backing", kMemoryBackingNames, &config->memory_backing));
  if (const json* masks = obj.Find("cpuid_masks")) {
    if (!masks->is_array()) return TypeError("hull.cpuid_masks", "an array", *masks);
    config->cpuid_masks.clear();
    for (size_t i = 0; i < masks->size(); ++i) {
      CpuidMask mask;
      RETURN_IF_ERROR(
          ParseCpuidMask((*masks)[i], "hull.cpuid_masks[" + std::to_string(i) + "]", &mask));
      config->cpuid_masks.push_back(std::move(mask));
    }
  }
  RETURN_IF_ERROR(ReadNumber(obj, "metrics_period_s", &config->metrics_period_s));
  return ReadNumber(obj, "timeout_s", &config->timeout_seconds);
}

// Firecracker's "entropy": {"rate_limiter": ...} adds a virtio-rng device, limited as
// a drive is (null or absent: no limit).
Status ParseEntropy(const json& value, VmConfig* config) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, "entropy", {"rate_limiter"}));
  if (const json* limiter = obj.Find("rate_limiter")) {
    devices::rate_limiter::RateLimiterUpdate update;
    RETURN_IF_ERROR(config_json::ParseRateLimiterUpdate(*limiter, obj.PathOf("rate_limiter"), &update));
    config->entropy_rate_limiter = {};
    update.ApplyTo(&config->entropy_rate_limiter);
  }
  config->entropy = true;
  return Status::Ok();
}

// Firecracker sections hull-vmm does not implement: allowed only when they ask for
// nothing, so that a config file never silently loses a device.
Status CheckUnsupportedSections(const Object& top) {
  for (const char* key : {"balloon", "mmds-config"}) {
    if (top.Find(key) != nullptr) {
      return Status::Error(std::string(key) + " is not supported by this version of hull-vmm "
                           "yet; leave \"" + key + "\" null or out");
    }
  }
  if (top.Find("cpu-config") != nullptr) {
    return Status::Error("cpu-config: hull-vmm does not implement CPU templates; use "
                         "hull.cpuid_masks to hide CPUID bits");
  }
  return Status::Ok();
}

// nlohmann keeps the last of duplicate keys silently; serde (Firecracker) rejects them,
// and so do we: a config file should not mean something other than it appears to.
Result<json> ParseJson(const std::string& text) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty() &&
               !open_objects.back().insert(parsed.get<std::string>()).second &&
               duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  try {
    json value = json::parse(text, callback);
    if (!duplicate.empty()) {
      return Status::Error("malformed config file: duplicate field " + Quote(duplicate));
    }
    return value;
  } catch (const json::exception& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix; keep its message.
    std::string message = e.what();
    if (size_t end = message.find("] "); message.starts_with("[json.") && end != message.npos) {
      message.erase(0, end + 2);
    }
    return Status::Error("malformed config file: " + message);
  }
}

}  // namespace

Result<VmConfig> ParseConfigFile(const std::string& json_text, ConfigFileExtras* extras) {
  ConfigFileExtras local_extras;
  if (extras == nullptr) extras = &local_extras;
  ASSIGN_OR_RETURN(json root, ParseJson(json_text));
  ASSIGN_OR_RETURN(Object top, Object::Open(root, "",
                                            {"boot-source", "machine-config", "drives",
                                             "network-interfaces", "vsock", "logger", "metrics",
                                             "balloon", "mmds-config", "entropy", "cpu-config",
                                             "hull"}));
  RETURN_IF_ERROR(CheckUnsupportedSections(top));
  VmConfig config;
  if (const json* value = top.Find("boot-source")) RETURN_IF_ERROR(ParseBootSource(*value, &config));
  if (const json* value = top.Find("machine-config")) {
    RETURN_IF_ERROR(ParseMachineConfig(*value, &config, extras));
  }
  if (const json* value = top.Find("drives")) RETURN_IF_ERROR(ParseDrives(*value, &config, extras));
  if (const json* value = top.Find("network-interfaces")) {
    RETURN_IF_ERROR(ParseNetworkInterfaces(*value, &config));
  }
  if (const json* value = top.Find("vsock")) RETURN_IF_ERROR(ParseVsock(*value, &config, extras));
  if (const json* value = top.Find("entropy")) RETURN_IF_ERROR(ParseEntropy(*value, &config));
  if (const json* value = top.Find("logger")) RETURN_IF_ERROR(ParseLogger(*value, extras));
  if (const json* value = top.Find("metrics")) RETURN_IF_ERROR(ParseMetrics(*value, &config));
  if (const json* value = top.Find("hull")) RETURN_IF_ERROR(ParseHull(*value, &config));
  return config;
}

Result<VmConfig> LoadConfigFile(const std::string& path, ConfigFileExtras* extras) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFileToString(path, kMaxConfigFileSize));
  Result<VmConfig> config = ParseConfigFile(text, extras);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

Result<std::string> FormatConfigFile(const VmConfig& config) {
  json boot = {{"kernel_image_path", config.kernel_image_path}};
  if (!config.initrd_path.empty()) boot["initrd_path"] = config.initrd_path;
  if (!config.boot_args.empty()) boot["boot_args"] = config.boot_args;
  json machine = {{"vcpu_count", config.vcpu_count},
                  {"mem_size_mib", config.mem_size_mib},
                  {"smt", config.smt},
                  {"huge_pages", NameOf(kHugePagesNames, config.huge_pages)}};
  json serial = {{"output", NameOf(kSerialOutputNames, config.serial_output)}};
  if (!config.serial_path.empty()) serial["path"] = config.serial_path;
  json masks = json::array();
  for (const CpuidMask& mask : config.cpuid_masks) {
    char bits[16];
    std::snprintf(bits, sizeof(bits), "0x%x", mask.clear_bits);
    json entry = {{"leaf", mask.leaf}, {"register", mask.reg}, {"clear_bits", bits}};
    if (mask.subleaf) entry["subleaf"] = *mask.subleaf;
    masks.push_back(std::move(entry));
  }
  json hull = {{"serial", std::move(serial)},
               {"memory_backing", NameOf(kMemoryBackingNames, config.memory_backing)},
               {"cpuid_masks", std::move(masks)},
               {"timeout_s", config.timeout_seconds},
               {"metrics_period_s", config.metrics_period_s}};
  json root = {{"boot-source", std::move(boot)},
               {"machine-config", std::move(machine)},
               {"hull", std::move(hull)}};
  FormatDeviceSections(config, &root);
  if (config.entropy) {
    root["entropy"] = json::object();
    if (config.entropy_rate_limiter != RateLimiterConfig{}) {
      root["entropy"]["rate_limiter"] = config_json::FormatRateLimiter(config.entropy_rate_limiter);
    }
  }
  if (!config.metrics_path.empty()) root["metrics"] = {{"metrics_path", config.metrics_path}};
  try {
    return root.dump(2) + "\n";
  } catch (const json::exception&) {
    return Status::Error("cannot write the config file: a path or the kernel command line is "
                         "not valid UTF-8");
  }
}

}  // namespace hull::vmm
