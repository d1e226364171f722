// The per-VM API of hull-vmm as a closed set of actions (after Firecracker's
// VmmAction): the HTTP layer (server.h) only parses a request into one of these
// (request_parser.h), and the Controller (controller.h) applies it to the VM. Nothing
// here knows about HTTP; the wire format is documented in docs/hull-vmm.md, "Per-VM API".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "devices/rate_limiter/rate_limiter_config.h"
#include "vmm/config/vm_config.h"

namespace hull::vmm::api {

// GET / — instance information (id, state, version). Always allowed.
struct GetInstanceInfo {};

// GET /vm/config — the whole configuration, in the config-file format. Always allowed.
struct GetVmConfig {};

// GET /machine-config — the machine configuration. Always allowed.
struct GetMachineConfig {};

// GET /metrics — counters of the VMM, its devices and vCPUs (JSON). Always allowed;
// before boot only the VMM's own numbers.
struct GetMetrics {};

// PUT /boot-source — replaces the boot source. Before boot only.
struct SetBootSource {
  std::string kernel_image_path;  // required
  std::string initrd_path;        // empty: none
  std::string boot_args;          // empty: hull-vmm's default
};

// PUT /machine-config (every field; vcpu_count and mem_size_mib required, the others
// back to their defaults when left out) and PATCH /machine-config (only the fields
// given). Before boot only.
struct UpdateMachineConfig {
  std::optional<uint32_t> vcpu_count;
  std::optional<uint64_t> mem_size_mib;
  std::optional<bool> smt;
  std::optional<HugePages> huge_pages;
  // Accepted settings without effect (track_dirty_pages); logged by the controller.
  std::vector<std::string> notes;
};

// PUT /drives/{id}, PUT /network-interfaces/{id}, PUT /vsock: adds the device, or
// replaces the one with the same id (vsock: the one vsock). Before boot only. The body
// is read as the config file's section, so both accept exactly the same fields.
struct ConfigureDevice {
  enum class Kind { kDrive, kNetworkInterface, kVsock };
  Kind kind = Kind::kDrive;
  std::string id;  // the {id} path segment; empty for vsock
  // For PUT: the parsed device, matching `kind`.
  std::variant<std::monostate, DriveConfig, NetworkInterfaceConfig, VsockConfig> device;
  // Accepted settings without effect (io_engine "Async"); logged by the controller.
  std::vector<std::string> notes;
};

// PATCH /drives/{id} {"drive_id", "rate_limiter"} and PATCH /network-interfaces/{id}
// {"iface_id", "rx_rate_limiter", "tx_rate_limiter"}: Firecracker's updates of rate
// limiters. Each bucket given replaces that bucket (size 0: no limit); buckets left
// out keep their state. Before boot it changes the configuration; while the VM runs
// (or is paused), the running device too. A drive's path_on_host cannot be changed.
struct UpdateRateLimiters {
  ConfigureDevice::Kind kind = ConfigureDevice::Kind::kDrive;  // kDrive or kNetworkInterface
  std::string id;
  devices::rate_limiter::RateLimiterUpdate limiter;  // a drive's
  devices::rate_limiter::RateLimiterUpdate rx, tx;   // an interface's
};

// PUT /actions {"action_type": "InstanceStart"} — builds the VM from the configuration
// and starts its vCPUs. Before boot only; needs a boot source.
struct StartInstance {};

// PUT /actions {"action_type": "SendCtrlAltDel"} — types Ctrl+Alt+Del on the i8042
// keyboard. After boot only (Running or Paused).
struct SendCtrlAltDel {};

// PUT /actions {"action_type": "FlushMetrics"} — writes the metrics line to the metrics
// file now (--metrics-path). Always allowed; refused when there is no metrics file.
struct FlushMetrics {};

// PATCH /vm {"state": "Paused"} / {"state": "Resumed"} — parks every vCPU outside the
// guest / lets them run again. After boot only.
struct PauseVm {};
struct ResumeVm {};

using Action = std::variant<GetInstanceInfo, GetVmConfig, GetMachineConfig, GetMetrics,
                            SetBootSource, UpdateMachineConfig, ConfigureDevice,
                            UpdateRateLimiters, StartInstance, SendCtrlAltDel, FlushMetrics,
                            PauseVm, ResumeVm>;

// The answer to an action, or to a request that did not parse into one.
struct Reply {
  enum class Kind {
    kDone,     // applied; nothing to return (HTTP 204)
    kData,     // applied; `body` is the JSON to return (HTTP 200)
    kRefused,  // not applied; `body` is {"fault_message": ...} (HTTP 400)
  };
  Kind kind = Kind::kDone;
  std::string body;

  static Reply Done() { return {Kind::kDone, ""}; }
  static Reply Data(std::string json) { return {Kind::kData, std::move(json)}; }
  // `message` becomes the fault_message.
  static Reply Refused(const std::string& message);
};

}  // namespace hull::vmm::api
