#include "vmm/config/device_sections.h"

#include <string>

#include "vmm/config/json_fields.h"

namespace hull::vmm::config_json {
namespace {

constexpr EnumName<CacheType> kCacheTypeNames[] = {{"Unsafe", CacheType::kUnsafe},
                                                   {"Writeback", CacheType::kWriteback}};

Status RequireFields(const Object& obj, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (obj.Find(key) == nullptr) return Status::Error(obj.PathOf(key) + " is required");
  }
  return Status::Ok();
}

// Firecracker's TokenBucket: size and refill_time required, one_time_burst optional.
Status ParseTokenBucket(const json& value, const std::string& path, TokenBucketConfig* bucket) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, path, {"size", "one_time_burst",
                                                          "refill_time"}));
  RETURN_IF_ERROR(RequireFields(obj, {"size", "refill_time"}));
  *bucket = {};
  RETURN_IF_ERROR(ReadUnsigned(obj, "size", &bucket->size));
  RETURN_IF_ERROR(ReadUnsigned(obj, "one_time_burst", &bucket->one_time_burst));
  return ReadUnsigned(obj, "refill_time", &bucket->refill_time_ms);
}

json FormatTokenBucket(const TokenBucketConfig& bucket) {
  json out = {{"size", bucket.size}, {"refill_time", bucket.refill_time_ms}};
  if (bucket.one_time_burst != 0) out["one_time_burst"] = bucket.one_time_burst;
  return out;
}

}  // namespace

Status ParseRateLimiterUpdate(const json& value, const std::string& path,
                              devices::rate_limiter::RateLimiterUpdate* update) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, path, {"bandwidth", "ops"}));
  if (const json* bucket = obj.Find("bandwidth")) {
    RETURN_IF_ERROR(ParseTokenBucket(*bucket, obj.PathOf("bandwidth"), &update->bandwidth.emplace()));
  }
  if (const json* bucket = obj.Find("ops")) {
    RETURN_IF_ERROR(ParseTokenBucket(*bucket, obj.PathOf("ops"), &update->ops.emplace()));
  }
  RateLimiterConfig given;
  update->ApplyTo(&given);
  return CheckRateLimiter(given, path);
}

json FormatRateLimiter(const RateLimiterConfig& limiter) {
  json out = json::object();
  if (limiter.bandwidth != TokenBucketConfig{}) {
    out["bandwidth"] = FormatTokenBucket(limiter.bandwidth);
  }
  if (limiter.ops != TokenBucketConfig{}) out["ops"] = FormatTokenBucket(limiter.ops);
  return out;
}

namespace {

// A rate_limiter object (null or absent: no limit). Buckets left out are no limit.
Status ReadRateLimiter(const Object& obj, const char* key, RateLimiterConfig* limiter) {
  const json* value = obj.Find(key);
  if (value == nullptr) return Status::Ok();
  devices::rate_limiter::RateLimiterUpdate update;
  RETURN_IF_ERROR(ParseRateLimiterUpdate(*value, obj.PathOf(key), &update));
  *limiter = {};
  update.ApplyTo(limiter);
  return Status::Ok();
}

Status ParseDrive(const json& value, const std::string& path, DriveConfig* drive,
                  ConfigFileExtras* extras) {
  ASSIGN_OR_RETURN(Object obj,
                   Object::Open(value, path,
                                {"drive_id", "path_on_host", "is_root_device", "partuuid",
                                 "is_read_only", "cache_type", "rate_limiter", "io_engine",
                                 "socket", "overlay_path"}));
  RETURN_IF_ERROR(RequireFields(obj, {"drive_id", "is_root_device"}));
  if (obj.Find("socket") != nullptr) {
    return Status::Error(obj.PathOf("socket") + ": vhost-user drives are not supported by "
                         "hull-vmm; give path_on_host");
  }
  RETURN_IF_ERROR(RequireFields(obj, {"path_on_host"}));
  RETURN_IF_ERROR(ReadString(obj, "drive_id", &drive->drive_id));
  RETURN_IF_ERROR(ReadString(obj, "path_on_host", &drive->path_on_host));
  RETURN_IF_ERROR(ReadBool(obj, "is_root_device", &drive->is_root_device));
  RETURN_IF_ERROR(ReadString(obj, "partuuid", &drive->partuuid));
  RETURN_IF_ERROR(ReadBool(obj, "is_read_only", &drive->is_read_only));
  RETURN_IF_ERROR(ReadEnum(obj, "cache_type", kCacheTypeNames, &drive->cache_type));
  RETURN_IF_ERROR(ReadRateLimiter(obj, "rate_limiter", &drive->rate_limiter));
  std::string io_engine = "Sync";
  RETURN_IF_ERROR(ReadString(obj, "io_engine", &io_engine));
  if (io_engine != "Sync" && io_engine != "Async") {
    return Status::Error(obj.PathOf("io_engine") + " must be \"Sync\" or \"Async\", got " +
                         Quote(io_engine));
  }
  if (io_engine == "Async") {
    extras->notes.push_back(obj.PathOf("io_engine") + " \"Async\" is ignored: hull-vmm serves "
                            "every drive from its own I/O thread");
  }
  return ReadString(obj, "overlay_path", &drive->overlay_path);
}

Status ParseInterface(const json& value, const std::string& path,
                      NetworkInterfaceConfig* iface) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, path,
                                            {"iface_id", "host_dev_name", "guest_mac",
                                             "rx_rate_limiter", "tx_rate_limiter"}));
  RETURN_IF_ERROR(RequireFields(obj, {"iface_id", "host_dev_name"}));
  RETURN_IF_ERROR(ReadString(obj, "iface_id", &iface->iface_id));
  RETURN_IF_ERROR(ReadString(obj, "host_dev_name", &iface->host_dev_name));
  if (obj.Find("guest_mac") != nullptr) {
    std::string mac;
    RETURN_IF_ERROR(ReadString(obj, "guest_mac", &mac));
    iface->guest_mac = ParseMacAddress(mac);
    if (!iface->guest_mac) {
      return Status::Error(obj.PathOf("guest_mac") + " must be a MAC address such as "
                           "\"06:00:ac:10:00:02\", got " + Quote(mac));
    }
  }
  RETURN_IF_ERROR(ReadRateLimiter(obj, "rx_rate_limiter", &iface->rx_rate_limiter));
  return ReadRateLimiter(obj, "tx_rate_limiter", &iface->tx_rate_limiter);
}

}  // namespace

Status ParseDrives(const json& value, VmConfig* config, ConfigFileExtras* extras) {
  if (!value.is_array()) return TypeError("drives", "an array", value);
  config->drives.clear();
  for (size_t i = 0; i < value.size(); ++i) {
    DriveConfig drive;
    RETURN_IF_ERROR(ParseDrive(value[i], "drives[" + std::to_string(i) + "]", &drive, extras));
    config->drives.push_back(std::move(drive));
  }
  return Status::Ok();
}

Status ParseNetworkInterfaces(const json& value, VmConfig* config) {
  if (!value.is_array()) return TypeError("network-interfaces", "an array", value);
  config->network_interfaces.clear();
  for (size_t i = 0; i < value.size(); ++i) {
    NetworkInterfaceConfig iface;
    RETURN_IF_ERROR(
        ParseInterface(value[i], "network-interfaces[" + std::to_string(i) + "]", &iface));
    config->network_interfaces.push_back(std::move(iface));
  }
  return Status::Ok();
}

Status ParseVsock(const json& value, VmConfig* config, ConfigFileExtras* extras) {
  ASSIGN_OR_RETURN(Object obj, Object::Open(value, "vsock", {"guest_cid", "uds_path",
                                                             "vsock_id"}));
  RETURN_IF_ERROR(RequireFields(obj, {"guest_cid", "uds_path"}));
  VsockConfig vsock;
  RETURN_IF_ERROR(ReadUnsigned(obj, "guest_cid", &vsock.guest_cid));
  RETURN_IF_ERROR(ReadString(obj, "uds_path", &vsock.uds_path));
  std::string unused_id;
  RETURN_IF_ERROR(ReadString(obj, "vsock_id", &unused_id));
  if (obj.Find("vsock_id") != nullptr) {
    extras->notes.push_back("vsock.vsock_id is ignored (deprecated in Firecracker too)");
  }
  config->vsock = std::move(vsock);
  return Status::Ok();
}

void FormatDeviceSections(const VmConfig& config, json* root) {
  json drives = json::array();
  for (const DriveConfig& drive : config.drives) {
    json entry = {{"drive_id", drive.drive_id},
                  {"path_on_host", drive.path_on_host},
                  {"is_root_device", drive.is_root_device},
                  {"is_read_only", drive.is_read_only},
                  {"cache_type", NameOf(kCacheTypeNames, drive.cache_type)}};
    if (!drive.partuuid.empty()) entry["partuuid"] = drive.partuuid;
    if (!drive.overlay_path.empty()) entry["overlay_path"] = drive.overlay_path;
    if (drive.rate_limiter != RateLimiterConfig{}) {
      entry["rate_limiter"] = FormatRateLimiter(drive.rate_limiter);
    }
    drives.push_back(std::move(entry));
  }
  json interfaces = json::array();
  for (const NetworkInterfaceConfig& iface : config.network_interfaces) {
    json entry = {{"iface_id", iface.iface_id}, {"host_dev_name", iface.host_dev_name}};
    if (iface.guest_mac) entry["guest_mac"] = FormatMacAddress(*iface.guest_mac);
    if (iface.rx_rate_limiter != RateLimiterConfig{}) {
      entry["rx_rate_limiter"] = FormatRateLimiter(iface.rx_rate_limiter);
    }
    if (iface.tx_rate_limiter != RateLimiterConfig{}) {
      entry["tx_rate_limiter"] = FormatRateLimiter(iface.tx_rate_limiter);
    }
    interfaces.push_back(std::move(entry));
  }
  (*root)["drives"] = std::move(drives);
  (*root)["network-interfaces"] = std::move(interfaces);
  if (config.vsock) {
    (*root)["vsock"] = {{"guest_cid", config.vsock->guest_cid},
                        {"uds_path", config.vsock->uds_path}};
  }
}

}  // namespace hull::vmm::config_json
