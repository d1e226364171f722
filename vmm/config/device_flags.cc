#include "vmm/config/device_flags.h"

#include <map>
#include <optional>
#include <vector>

#include "vmm/config/number_text.h"

namespace hull::vmm {
namespace {

using base::Result;
using base::Status;

// "a=1,b,c=x" → {a: "1", b: nullopt, c: "x"}; each key at most once, and only the
// known ones.
using Settings = std::map<std::string, std::optional<std::string>>;

Result<Settings> SplitSettings(const char* flag, const std::string& text,
                               std::initializer_list<const char*> known,
                               const char* syntax) {
  auto bad = [&](const std::string& why) {
    return Status::Error(std::string("--") + flag + " \"" + text + "\": " + why + "; give " +
                         syntax);
  };
  Settings settings;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) return bad("empty setting");
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::optional<std::string> value;
    if (eq != std::string::npos) value = item.substr(eq + 1);
    bool found = false;
    for (const char* name : known) found |= key == name;
    if (!found) return bad("unknown setting \"" + key + "\"");
    if (!settings.emplace(key, value).second) return bad("\"" + key + "\" given twice");
  }
  return settings;
}

// A key=value setting; `required` makes its absence an error.
Result<std::optional<std::string>> Value(const char* flag, const Settings& settings,
                                         const char* key, bool required) {
  auto it = settings.find(key);
  if (it == settings.end()) {
    if (required) return Status::Error(std::string("--") + flag + " needs " + key + "=...");
    return std::optional<std::string>();
  }
  if (!it->second || it->second->empty()) {
    return Status::Error(std::string("--") + flag + ": " + key + " needs a value (" + key +
                         "=...)");
  }
  return it->second;
}

// A bare switch such as "ro"; "ro=..." is an error.
Result<bool> Switch(const char* flag, const Settings& settings, const char* key) {
  auto it = settings.find(key);
  if (it == settings.end()) return false;
  if (it->second) {
    return Status::Error(std::string("--") + flag + ": " + key + " takes no value");
  }
  return true;
}

// "SIZE:REFILL_MS[:BURST]" → a token bucket; "0:0" is no limit.
Result<TokenBucketConfig> ParseBucket(const char* flag, const char* key, const std::string& text) {
  auto bad = [&] {
    return Status::Error(std::string("--") + flag + ": " + key + " must be SIZE:REFILL_MS or "
                         "SIZE:REFILL_MS:ONE_TIME_BURST (numbers; tokens per refill time in "
                         "milliseconds), got \"" + text + "\"");
  };
  std::vector<uint64_t> numbers;
  size_t start = 0;
  while (start <= text.size()) {
    size_t colon = text.find(':', start);
    if (colon == std::string::npos) colon = text.size();
    std::optional<uint64_t> number = internal::ParseUnsignedText(text.substr(start, colon - start));
    if (!number) return bad();
    numbers.push_back(*number);
    start = colon + 1;
  }
  if (numbers.size() < 2 || numbers.size() > 3) return bad();
  return TokenBucketConfig{.size = numbers[0],
                           .one_time_burst = numbers.size() == 3 ? numbers[2] : 0,
                           .refill_time_ms = numbers[1]};
}

// The rate-limit settings `bw_key` and `ops_key` (each optional) into `limiter`.
Status ReadLimiter(const char* flag, const Settings& settings, const char* bw_key,
                   const char* ops_key, RateLimiterConfig* limiter) {
  ASSIGN_OR_RETURN(std::optional<std::string> bw, Value(flag, settings, bw_key, false));
  if (bw) {
    ASSIGN_OR_RETURN(limiter->bandwidth, ParseBucket(flag, bw_key, *bw));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> ops, Value(flag, settings, ops_key, false));
  if (ops) {
    ASSIGN_OR_RETURN(limiter->ops, ParseBucket(flag, ops_key, *ops));
  }
  return Status::Ok();
}

}  // namespace

Result<DriveConfig> ParseDriveFlag(const std::string& text) {
  constexpr char kSyntax[] = "id=ID,path=FILE[,ro][,root][,partuuid=UUID]"
                             "[,cache=unsafe|writeback][,overlay=FILE][,bw=SIZE:MS][,ops=N:MS]";
  ASSIGN_OR_RETURN(Settings settings,
                   SplitSettings("drive", text,
                                 {"id", "path", "ro", "root", "partuuid", "cache", "overlay",
                                  "bw", "ops"},
                                 kSyntax));
  DriveConfig drive;
  ASSIGN_OR_RETURN(std::optional<std::string> id, Value("drive", settings, "id", true));
  ASSIGN_OR_RETURN(std::optional<std::string> path, Value("drive", settings, "path", true));
  drive.drive_id = *id;
  drive.path_on_host = *path;
  ASSIGN_OR_RETURN(drive.is_read_only, Switch("drive", settings, "ro"));
  ASSIGN_OR_RETURN(drive.is_root_device, Switch("drive", settings, "root"));
  ASSIGN_OR_RETURN(std::optional<std::string> partuuid,
                   Value("drive", settings, "partuuid", false));
  if (partuuid) drive.partuuid = *partuuid;
  ASSIGN_OR_RETURN(std::optional<std::string> cache, Value("drive", settings, "cache", false));
  if (cache) {
    if (*cache == "unsafe") drive.cache_type = CacheType::kUnsafe;
    else if (*cache == "writeback") drive.cache_type = CacheType::kWriteback;
    else return Status::Error("--drive: cache must be unsafe or writeback, got \"" + *cache + "\"");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> overlay,
                   Value("drive", settings, "overlay", false));
  if (overlay) drive.overlay_path = *overlay;
  RETURN_IF_ERROR(ReadLimiter("drive", settings, "bw", "ops", &drive.rate_limiter));
  return drive;
}

Result<NetworkInterfaceConfig> ParseNetFlag(const std::string& text) {
  ASSIGN_OR_RETURN(Settings settings,
                   SplitSettings("net", text,
                                 {"id", "tap", "mac", "rx-bw", "rx-ops", "tx-bw", "tx-ops"},
                                 "id=ID,tap=NAME[,mac=MAC][,rx-bw=SIZE:MS][,rx-ops=N:MS]"
                                 "[,tx-bw=SIZE:MS][,tx-ops=N:MS]"));
  NetworkInterfaceConfig iface;
  ASSIGN_OR_RETURN(std::optional<std::string> id, Value("net", settings, "id", true));
  ASSIGN_OR_RETURN(std::optional<std::string> tap, Value("net", settings, "tap", true));
  iface.iface_id = *id;
  iface.host_dev_name = *tap;
  ASSIGN_OR_RETURN(std::optional<std::string> mac, Value("net", settings, "mac", false));
  if (mac) {
    iface.guest_mac = ParseMacAddress(*mac);
    if (!iface.guest_mac) {
      return Status::Error("--net: mac must look like 06:00:ac:10:00:02, got \"" + *mac + "\"");
    }
  }
  RETURN_IF_ERROR(ReadLimiter("net", settings, "rx-bw", "rx-ops", &iface.rx_rate_limiter));
  RETURN_IF_ERROR(ReadLimiter("net", settings, "tx-bw", "tx-ops", &iface.tx_rate_limiter));
  return iface;
}

Result<VsockConfig> ParseVsockFlag(const std::string& text) {
  ASSIGN_OR_RETURN(Settings settings,
                   SplitSettings("vsock", text, {"cid", "uds"}, "cid=N,uds=PATH"));
  ASSIGN_OR_RETURN(std::optional<std::string> cid, Value("vsock", settings, "cid", true));
  ASSIGN_OR_RETURN(std::optional<std::string> uds, Value("vsock", settings, "uds", true));
  std::optional<uint64_t> number = internal::ParseUnsignedText(*cid);
  if (!number || *number > UINT32_MAX) {
    return Status::Error("--vsock: cid must be a 32-bit number (3 or more), got \"" + *cid +
                         "\"");
  }
  return VsockConfig{static_cast<uint32_t>(*number), *uds};
}

}  // namespace hull::vmm
