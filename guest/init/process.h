// Starts the container's process in hull-init: pipes (or a pseudo-terminal with a tty)
// for its stdio, rlimits, user and groups, working directory, environment, PATH lookup
// in the container's PATH, and a close-on-exec pipe through which a failed exec reports
// its errno. Runs on hull-init's only thread, after the root switch.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"
#include "base/unique_fd.h"
#include "guest/init/identity.h"
#include "guest/spec.h"

namespace hull::guest::init {

struct Child {
  pid_t pid = -1;
  base::UniqueFd stdin_w;   // invalid without -i (the process gets /dev/null)
  base::UniqueFd stdout_r;  // with a tty: the terminal's master (stdout and stderr)
  base::UniqueFd stderr_r;  // invalid with a tty
  base::UniqueFd pty_master;
};

struct StartFailure {
  std::string message;
  int exit_code = 127;  // 127: not found, 126: not executable, 125: anything else
};

// Starts the process, or says why it could not be started. `failure` is set when the
// result is an error.
base::Result<Child> StartProcess(const GuestSpec& spec, const Identity& id,
                                 StartFailure* failure);

}  // namespace hull::guest::init
