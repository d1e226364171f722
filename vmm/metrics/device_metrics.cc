#include "vmm/metrics/device_metrics.h"

#include "devices/block/block_device.h"
#include "devices/net/net_device.h"
#include "devices/rng/rng_device.h"

namespace hull::vmm {
namespace {

using json = nlohmann::json;

template <typename T>
std::shared_ptr<T> FindDevice(const VirtioDeviceList& devices, const std::string& id) {
  for (const auto& device : devices) {
    if (auto typed = std::dynamic_pointer_cast<T>(device); typed && typed->id() == id) {
      return typed;
    }
  }
  return nullptr;
}

json BlockMetrics(const devices::block::BlockDevice& drive) {
  devices::block::BlockDevice::Counters c = drive.counters();
  return {{"read_count", c.read_count},       {"read_bytes", c.read_bytes},
          {"write_count", c.write_count},     {"write_bytes", c.write_bytes},
          {"flush_count", c.flush_count},     {"errors", c.errors},
          {"rate_limiter_throttled_events", c.throttled_events}};
}

json NetMetrics(const devices::net::NetDevice& iface) {
  devices::net::NetStats s = iface.stats();
  return {{"rx_packets_count", s.rx_frames},        {"rx_bytes_count", s.rx_bytes},
          {"rx_dropped", s.rx_dropped},             {"tx_packets_count", s.tx_frames},
          {"tx_bytes_count", s.tx_bytes},           {"tx_dropped", s.tx_dropped},
          {"rx_rate_limiter_throttled", s.rx_throttled},
          {"tx_rate_limiter_throttled", s.tx_throttled}};
}

// Firecracker's entropy metrics, those hull counts.
json EntropyMetrics(const devices::rng::RngDevice& rng) {
  return {{"entropy_event_count", rng.chains_used()},
          {"entropy_bytes", rng.bytes_served()},
          {"entropy_rate_limiter_throttled", rng.rate_limiter().throttled_events()}};
}

}  // namespace

json DeviceMetrics(const VirtioDeviceList& devices) {
  json out = json::object();
  for (const auto& device : devices) {
    if (auto drive = std::dynamic_pointer_cast<devices::block::BlockDevice>(device)) {
      out["block_" + drive->id()] = BlockMetrics(*drive);
    } else if (auto iface = std::dynamic_pointer_cast<devices::net::NetDevice>(device)) {
      out["net_" + iface->id()] = NetMetrics(*iface);
    } else if (auto rng = std::dynamic_pointer_cast<devices::rng::RngDevice>(device)) {
      out["entropy"] = EntropyMetrics(*rng);
    }
  }
  return out;
}

json VcpuMetrics(const std::vector<cpu::ExitCounts>& per_vcpu) {
  cpu::ExitCounts total{};
  json list = json::array();
  for (const cpu::ExitCounts& counts : per_vcpu) {
    json one = json::object();
    for (size_t i = 0; i < cpu::kExitKinds; ++i) {
      total[i] += counts[i];
      one[std::string("exit_") + cpu::ExitKindName(static_cast<kvm::VcpuExit::Kind>(i))] =
          counts[i];
    }
    list.push_back(std::move(one));
  }
  json out = json::object();
  for (size_t i = 0; i < cpu::kExitKinds; ++i) {
    out[std::string("exit_") + cpu::ExitKindName(static_cast<kvm::VcpuExit::Kind>(i))] = total[i];
  }
  out["per_vcpu"] = std::move(list);
  return out;
}

std::string MachineMetricsJson(const VirtioDeviceList& devices,
                               const std::vector<cpu::ExitCounts>& per_vcpu) {
  json out = DeviceMetrics(devices);
  out["vcpu"] = VcpuMetrics(per_vcpu);
  return out.dump();
}

base::Status UpdateDriveRateLimiter(const VirtioDeviceList& devices, const std::string& drive_id,
                                    const devices::rate_limiter::RateLimiterUpdate& update) {
  auto drive = FindDevice<devices::block::BlockDevice>(devices, drive_id);
  if (!drive) return base::Status::Error("no drive with drive_id \"" + drive_id + "\"");
  drive->rate_limiter().Update(update);
  return base::Status::Ok();
}

base::Status UpdateInterfaceRateLimiters(const VirtioDeviceList& devices,
                                         const std::string& iface_id,
                                         const devices::rate_limiter::RateLimiterUpdate& rx,
                                         const devices::rate_limiter::RateLimiterUpdate& tx) {
  auto iface = FindDevice<devices::net::NetDevice>(devices, iface_id);
  if (!iface) {
    return base::Status::Error("no network interface with iface_id \"" + iface_id + "\"");
  }
  iface->rx_rate_limiter().Update(rx);
  iface->tx_rate_limiter().Update(tx);
  return base::Status::Ok();
}

}  // namespace hull::vmm
