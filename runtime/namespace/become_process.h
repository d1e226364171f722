// The last steps of every process hull starts inside a namespace container — the
// container's first process (container_init.h) and each exec'd one (exec.h): user and
// groups, capabilities, working directory, no_new_privs, seccomp, PATH lookup, execve.
// A failure is sent to the peer on `ctl` as "error <status> <message>" (sync_socket.h)
// and ends the process with that status, Docker's: 125 runtime error, 126 cannot
// execute, 127 not found. Runs in the forked child only.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/container_spec.h"
#include "runtime/namespace/capabilities.h"

namespace hull::runtime::ns {

[[noreturn]] void Die(int ctl, int status, const std::string& message);
inline void Check(int ctl, const base::Status& s) {
  if (!s.ok()) Die(ctl, 125, s.message());
}

struct BecomeOptions {
  const ProcessSpec& process;
  CapSet caps = 0;
  const std::vector<sock_filter>& seccomp;  // empty: unconfined
  bool no_new_privileges = true;
  bool make_cwd = false;            // docker run creates a missing working directory
  int cwd_status = 125;             // the exit status when cwd cannot be entered
  bool supervisor_on_ctl = false;   // end at once if the peer on ctl is gone
};

[[noreturn]] void BecomeProcess(int ctl, const BecomeOptions& options);

}  // namespace hull::runtime::ns
