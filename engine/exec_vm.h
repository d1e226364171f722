// Exec into a micro-VM container (runtime "vm"): what hulld writes for the exec helper
// — the VM's exec socket (runtime/vm/exec_hub.h, <vm_work_root>/exec.sock) and the
// process's settings, the container's merged with the exec's as for namespace
// containers — and the helper's side, `hulld exec-process` given such a spec, which runs
// runtime/vm RunExecClient with its fds as the process's stdio (with a terminal: a host
// pseudo-terminal whose master goes to hulld, as the namespace helper's does) and exits
// with the process's status. Called by ExecStore::Spawn (API thread) and by the helper.
// Implemented in exec_process.cc, next to the namespace helper.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/unique_fd.h"
#include "engine/monitor.h"

namespace hull::engine {

// A memfd holding the helper's spec for an exec of `config` (Docker's ExecConfig).
base::Result<base::UniqueFd> VmExecSpecFile(const RunPlan& plan, const nlohmann::json& config,
                                            bool tty, bool attach_stdin);
// True when the helper's spec is a VM exec's.
bool IsVmExecSpec(const std::string& text);
// The helper's main for a VM exec (fds as in exec_process.h, no container pidfd).
int RunVmExecProcess(const std::string& text);

}  // namespace hull::engine
