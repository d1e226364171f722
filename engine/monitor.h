// The monitor: one small process per running container (as conmon and containerd-shim
// are), started by hulld as `hulld monitor DIR`, in its own session so that it outlives
// hulld. It forks the runtime's supervisor (runtime/namespace RunContainer, or for
// runtime "vm" runtime/vm RunVmContainer, which forwards signals to the guest) with stdout
// and stderr on pipes, writes what comes out of them to DIR/container-log.json
// (json_log.h), and when the supervisor exits writes DIR/exit.json atomically:
// {"ExitCode": N, "FinishedAt": "...", "OOMKilled": B} (B from the guest's report, or the
// ns supervisor's DIR/oom-killed marker: its cgroup counted an OOM kill). hulld learns a container's
// end from that file, whether or not hulld was running when it happened.
// DIR/supervisor.pid (written atomically once the supervisor is forked) names the
// process hulld signals. The container's stdin (OpenStdin) and terminal size (Tty) are
// fed through DIR/attach.sock (monitor_stdin.h).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/network/network.h"
#include "runtime/namespace/container.h"

namespace hull::engine {

inline constexpr const char* kRunPlanFile = "run.json";
inline constexpr const char* kExitFile = "exit.json";
inline constexpr const char* kSupervisorPidFile = "supervisor.pid";
inline constexpr const char* kLogFile = "container-log.json";
inline constexpr const char* kOomMarkerFile = "oom-killed";  // written by the ns supervisor
inline constexpr int64_t kDefaultLogMaxBytes = 10 << 20;

// What the monitor runs, as written by the engine to DIR/run.json.
struct RunPlan {
  runtime::ns::ContainerConfig container;
  int64_t log_max_bytes = kDefaultLogMaxBytes;
  bool stdin_once = false;  // close the container's stdin when the first attached client leaves
  // Runtime "vm" (spec.runtime): the image's ext4 and where the VM's files go.
  std::string vm_image_disk;
  std::string vm_work_root;
  std::optional<network::AttachPlan> attach;  // on the bridge: wired in by the supervisor
};

nlohmann::json RunPlanToJson(const RunPlan& plan);
base::Result<RunPlan> RunPlanFromJson(const std::string& text);

// The monitor process's main: returns its exit status (0 when it recorded the exit).
int RunMonitor(const std::string& dir);

}  // namespace hull::engine
