// `hulld exec-process`: the short-lived helper that hulld starts for each exec into a
// namespace container (as runc exec is started by containerd-shim). hulld spawns it
// (SpawnHelper: a fresh session, clean signal state, only the fds it is given) with
// fd 0-2 the process's stdio, fd 3 the ExecSpec as JSON, fd 4 the control socket and
// fd 5 a pidfd of the container's first process; it runs runtime/namespace RunExec and
// exits with the process's status, which hulld collects with waitpid.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/unique_fd.h"
#include "runtime/namespace/exec.h"

namespace hull::engine {

inline constexpr int kExecSpecFd = 3;
inline constexpr int kExecControlFd = 4;
inline constexpr int kExecContainerFd = 5;

nlohmann::json ExecSpecToJson(const runtime::ns::ExecSpec& spec);
base::Result<runtime::ns::ExecSpec> ExecSpecFromJson(const std::string& text);

// The helper's main (fds as above); returns its exit status.
int RunExecProcess();

// A close-on-exec pipe.
struct Pipe {
  base::UniqueFd read, write;
};
base::Result<Pipe> MakePipe();

// posix_spawn of `argv` in a session of its own, with an empty signal mask and default
// dispositions, and exactly `fds` (child fd ← our fd) open besides nothing else (every
// fd of ours is close-on-exec). Returns the child's pid.
base::Result<pid_t> SpawnHelper(const std::vector<std::string>& argv,
                                const std::vector<std::pair<int, int>>& fds);

}  // namespace hull::engine
