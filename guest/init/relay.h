// hull-init's main loop while the container's process runs: frames from the host
// (stdin, stdin close, signals, terminal size) to the process; its stdout and stderr to
// the host as separate frames, byte for byte; SIGCHLD (a signalfd) reaps every child,
// orphans included, and notes the main process's status; exec frames go to the exec
// sessions (exec.h), whose fds are polled here too. Runs on hull-init's only thread;
// returns once the main process has exited and its output is drained.
#pragma once

#include "base/status.h"
#include "guest/init/exec.h"
#include "guest/init/process.h"

namespace hull::guest::init {

// Returns the main process's wait status.
base::Result<int> Relay(int channel, Child& child, int signal_fd, ExecSessions& execs);

}  // namespace hull::guest::init
