// One exec into a running micro-VM, from the outside: connects to the VM's exec socket
// (exec_hub.h), sends EXEC_START with the process's settings, relays stdin, stdout and
// stderr, forwards signals and the terminal's size, and returns the process's exit
// status. Used by hulld's exec helper (engine/exec_vm.cc); blocks on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "guest/spec.h"

namespace hull::runtime::vm {

// The exec socket's name in a container's VM directory (hulld: <root>/vm/<id12>).
inline constexpr char kExecSocketName[] = "exec.sock";

struct ExecClientIo {
  int in = -1;         // relayed to the process's stdin (spec.stdin_open); -1: none
  int out = 1;         // its stdout (with a tty: the terminal's output)
  int err = 2;         // its stderr
  int signal_fd = -1;  // a signalfd: SIGWINCH sends terminal_fd's size, others are forwarded
  int terminal_fd = -1;
  std::function<void(uint32_t pid)> started;         // the process runs (guest pid)
  std::function<void(const std::string&)> failed;    // why it could not be started
};

// The exit status as a shell reports it (code, or 128 + signal); 137 when the VM (or its
// runner) ended under it. Errors: no VM listening, or it ended before the process started.
base::Result<int> RunExecClient(const std::string& socket_path, const guest::ExecSpec& spec,
                                const ExecClientIo& io);

}  // namespace hull::runtime::vm
