// What GET /metrics reports about a running VM — per-drive and per-interface counters
// and vCPU exits by reason, as JSON objects — and the run-time changes of the devices'
// rate limiters (PATCH /drives/{id}, PATCH /network-interfaces/{id}). Called on the
// API thread through main.cc's RunningVm; every counter read is a relaxed atomic, so
// the API never waits for a device or vCPU thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "devices/rate_limiter/rate_limiter_config.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/cpu/vcpu.h"

namespace hull::vmm {

using VirtioDeviceList = std::vector<std::shared_ptr<devices::virtio::VirtioDevice>>;

// {"block_<drive_id>": {...}, "net_<iface_id>": {...}, "entropy": {...}} for the drives,
// the interfaces and the entropy device.
nlohmann::json DeviceMetrics(const VirtioDeviceList& devices);
// {"exit_io_in": ..., ... (sums), "per_vcpu": [{...}, ...]}.
nlohmann::json VcpuMetrics(const std::vector<cpu::ExitCounts>& per_vcpu);

// DeviceMetrics plus {"vcpu": VcpuMetrics}, as JSON text (RunningVm::MetricsJson).
std::string MachineMetricsJson(const VirtioDeviceList& devices,
                               const std::vector<cpu::ExitCounts>& per_vcpu);

// The error names the id when there is no such drive / interface.
[[nodiscard]] base::Status UpdateDriveRateLimiter(
    const VirtioDeviceList& devices, const std::string& drive_id,
    const devices::rate_limiter::RateLimiterUpdate& update);
[[nodiscard]] base::Status UpdateInterfaceRateLimiters(
    const VirtioDeviceList& devices, const std::string& iface_id,
    const devices::rate_limiter::RateLimiterUpdate& rx,
    const devices::rate_limiter::RateLimiterUpdate& tx);

}  // namespace hull::vmm
