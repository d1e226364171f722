// The container's first process, from clone() to exec: joins its cgroup namespace once
// the supervisor has put it in its cgroup, builds the file system (container_mounts.h),
// sets hostname, loopback, terminal, rlimits, user and groups, working directory,
// capabilities, no_new_privs and seccomp, and execs the program — or sends the
// supervisor "error <status> <message>" and exits. Runs in the child only.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>

#include <string>
#include <vector>

#include "runtime/container_spec.h"
#include "runtime/namespace/capabilities.h"
#include "runtime/namespace/container_mounts.h"

namespace hull::runtime::ns {

struct Rlimit {
  int resource;
  rlim_t soft, hard;
};

struct InitPlan {
  RootfsPlan rootfs;
  ProcessSpec process;
  std::string hostname;
  bool new_network = true;  // bring up lo
  bool tty = false;
  bool interactive = false;
  CapSet caps = 0;
  std::vector<sock_filter> seccomp;  // compiled filter; empty: unconfined
  bool no_new_privileges = true;
  std::vector<Rlimit> rlimits;
};

// Docker's default rlimits for containers: RLIMIT_NOFILE 1024 soft, 524288 hard (the
// systemd default Docker passes on), capped at what this process may raise to.
std::vector<Rlimit> DefaultRlimits();

// Never returns. `sync_fd` is the child's end of the start-up socket (sync_socket.h).
[[noreturn]] void RunContainerInit(const InitPlan& plan, int sync_fd);

}  // namespace hull::runtime::ns
