// Runs one more process inside a running namespace container, as `runc exec` does for
// `docker exec`: joins the container's cgroup, then all of its namespaces at once
// through a pidfd of its first process (setns), forks so that the new process is inside
// its PID namespace (and so dies with the container: when PID 1 exits the kernel kills
// everything in the namespace), and applies in the child the same confinement as the
// container's own process — user and groups resolved through the container's
// /etc/passwd and /etc/group, rlimits, the bounding set, capabilities, no_new_privs and
// the seccomp profile — before exec. Called by hulld's single-threaded `hulld
// exec-process` helper (engine/exec_process.h); the helper's stdio become the process's
// unless it gets a terminal.
#pragma once

#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "runtime/container_spec.h"
#include "runtime/namespace/capabilities.h"

namespace hull::runtime::ns {

struct ExecSpec {
  ProcessSpec process;                     // argv, the complete env, cwd, user ("" = root)
  std::vector<std::string> cgroup_procs;   // the container's cgroup.procs files (host paths)
  bool tty = false;                        // a terminal from the container's devpts
  CapSet caps = 0;
  bool seccomp = true;                     // the default profile for `caps`
  std::string seccomp_cache_dir;           // seccomp_profile.h's cache; "" = none
  bool no_new_privileges = true;
};

// `container_pidfd`: a pidfd of the container's first process. `ctl`: a SOCK_SEQPACKET
// socket (sync_socket.h) on which the peer gets "pid N" (the process as the host sees
// it), "pty" with the terminal's master (tty), "error <status> <message>" when the
// process cannot be started; end of file once it has exec'd or failed. Returns the
// process's exit status (128 + N for signal N; Docker's 125/126/127 for failures).
int RunExec(const ExecSpec& spec, int container_pidfd, base::UniqueFd ctl);

}  // namespace hull::runtime::ns
