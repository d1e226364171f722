// hull-jailer: starts one hull-vmm confined the way Firecracker's jailer confines
// Firecracker — its own root (pivot_root into a per-VM directory holding only what the
// VM needs), mount and PID namespaces, the VM's network namespace, a cgroup, resource
// limits, no inherited fds, a clean environment, an unprivileged uid/gid with no
// capabilities — and removes all of it when the VMM ends (docs/hull-vmm.md, "Jailer").
// Exit status: the VMM's (a VMM killed by a signal kills hull-jailer by the same
// signal), or 250 when the jail could not be made.
#include <linux/close_range.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <iostream>

#include "base/logging.h"
#include "jailer/jailer_args.h"
#include "jailer/supervisor.h"

namespace {

using namespace hull;

// Dies by `sig` as the VMM did, without a core file; exits 128 + sig if it survives.
[[noreturn]] void DieBy(int sig) {
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);
}

}  // namespace

int main(int argc, char** argv) {
  base::SetLogProgramName("hull-jailer");
  base::InitLoggingFromEnv();
  // Nothing the caller left open reaches the jail (the VMM's child closes again).
  ::syscall(SYS_close_range, 3u, ~0u, 0u);
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << jailer::JailerUsage();
    return 0;
  }
  base::Result<jailer::JailerArgs> args = jailer::ParseJailerArgs(argc, argv);
  if (!args.ok()) {
    LOG_ERROR << args.status().message();
    std::cerr << jailer::JailerUsage();
    return jailer::kExitStatusJailerError;
  }
  if (args->cleanup) {
    if (base::Status s = jailer::CleanUpJail(*args); !s.ok()) {
      LOG_ERROR << s.message();
      return jailer::kExitStatusJailerError;
    }
    return 0;
  }
  if (::geteuid() != 0) {
    LOG_ERROR << "hull-jailer must run as root (it makes namespaces, mounts and device nodes)";
    return jailer::kExitStatusJailerError;
  }
  base::Result<int> status = jailer::RunJailed(*args);
  if (!status.ok()) {
    LOG_ERROR << status.status().message();
    return jailer::kExitStatusJailerError;
  }
  if (*status < 0) DieBy(-*status);
  return *status;
}
