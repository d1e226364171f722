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

#include "vmm/config/vm_config.h"

namespace hull::vmm::api {

// GET / — instance information (id, state, version). Always allowed.
struct GetInstanceInfo {};

// GET /vm/config — the whole configuration, in the config-file format. Always allowed.
struct GetVmConfig {};

// GET /machine-config — the machine configuration. Always allowed.
struct GetMachineConfig {};

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

// PUT /drives/{id}, PUT|PATCH /network-interfaces/{id}, PUT /vsock. Firecracker allows
// these before boot (PATCH of drives and interfaces also after). hull-vmm has no
// virtio devices yet, so the controller refuses every one of them with a 400; the
// request body is kept unparsed for the day it does (see controller.cc).
struct ConfigureDevice {
  enum class Kind { kDrive, kNetworkInterface, kVsock };
  Kind kind = Kind::kDrive;
  std::string id;    // the {id} path segment; empty for vsock
  bool patch = false;
  std::string body;  // the request's JSON, validated as a JSON object
};

// PUT /actions {"action_type": "InstanceStart"} — builds the VM from the configuration
// and starts its vCPUs. Before boot only; needs a boot source.
struct StartInstance {};

// PUT /actions {"action_type": "SendCtrlAltDel"} — types Ctrl+Alt+Del on the i8042
// keyboard. After boot only (Running or Paused).
struct SendCtrlAltDel {};

// PATCH /vm {"state": "Paused"} / {"state": "Resumed"} — parks every vCPU outside the
// guest / lets them run again. After boot only.
struct PauseVm {};
struct ResumeVm {};

using Action = std::variant<GetInstanceInfo, GetVmConfig, GetMachineConfig, SetBootSource,
                            UpdateMachineConfig, ConfigureDevice, StartInstance,
                            SendCtrlAltDel, PauseVm, ResumeVm>;

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
