// The inside of a jail: what the jailer's child process (or, --no-supervisor, the
// process itself) does — its own mount namespace with a fresh tmpfs as the VMM's root (only /dev/kvm, /dev/net/tun, the VMM
// binary (kExec), the bound files and a /proc of its PID namespace in it), pivot_root
// into it, the VM's network namespace, resource limits, a clean environment, and no
// privileges left (uid/gid, no capabilities, no_new_privs) — then either exec of the
// VMM (kExec, every fd beyond 0-2 closed by it) or, for `hull-vmm --jail` (kSelf), the
// VMM's own main in this process. Called only in that process (jailer/supervisor.cc),
// which is PID 1 of a new PID namespace.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "jailer/jailer_args.h"

namespace hull::jailer {

// Builds the jail and enters it: on return (ok) this process runs inside it
// unprivileged, with the clean environment (kSelf; kExec passes it to execve). On a
// failure the caller reports the error and exits. The jail's root (a tmpfs) and every
// mount live only in this process's mount namespace: they vanish with it, and nothing
// of them is on the host's filesystem.
// `supervisor_pipe` is the write end of a pipe whose read end only the supervisor holds
// (-1: there is none, --no-supervisor): once the VMM's death signal is set, a supervisor
// already gone (POLLERR) ends the start.
base::Status EnterJail(const JailerArgs& args, const JailPaths& paths, int supervisor_pipe);

// kExec, after EnterJail: execs /<exec_name> with args.vmm_args and the clean
// environment; every fd beyond 0-2 closes at the exec. Returns only on failure.
base::Status ExecInJail(const JailerArgs& args, const JailPaths& paths);

// The environment the VMM gets from `environ`: HULL_LOG and HULL_VMM_* only.
std::vector<std::string> CleanEnvironment(const char* const* environ);

}  // namespace hull::jailer
