// The device sections of hull-vmm's config file — "drives", "network-interfaces" and
// "vsock", in Firecracker's format — read into VmConfig and written back. Called by
// config_file.cc (and so by --config and the per-VM API, which parses request bodies
// as config-file sections). Internal to vmm/config.
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "vmm/config/config_file.h"
#include "vmm/config/vm_config.h"

namespace hull::vmm::config_json {

// Each replaces the matching VmConfig field. Errors name the field
// ("drives[1].path_on_host is required").
[[nodiscard]] base::Status ParseDrives(const nlohmann::json& value, VmConfig* config,
                                       ConfigFileExtras* extras);
[[nodiscard]] base::Status ParseNetworkInterfaces(const nlohmann::json& value, VmConfig* config);
[[nodiscard]] base::Status ParseVsock(const nlohmann::json& value, VmConfig* config,
                                      ConfigFileExtras* extras);

// A rate_limiter object as a PATCH gives it: each bucket given is set, the others are
// left out of `update`. Errors name the field under `path`.
[[nodiscard]] base::Status ParseRateLimiterUpdate(const nlohmann::json& value,
                                                  const std::string& path,
                                                  devices::rate_limiter::RateLimiterUpdate* update);
nlohmann::json FormatRateLimiter(const RateLimiterConfig& limiter);

// Adds the device sections of `config` to `root` (a config file's top-level object),
// in the same format the parsers read.
void FormatDeviceSections(const VmConfig& config, nlohmann::json* root);

}  // namespace hull::vmm::config_json
