#include "vmm/seccomp/thread_filters.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <optional>

#include "base/logging.h"
#include "base/unique_fd.h"
#include "vmm/seccomp/bpf.h"
#include "vmm/seccomp/programs.h"

namespace hull::vmm::seccomp {
namespace {

constexpr int kExitStatusVmmError = 250;  // docs/hull-vmm.md

// Written once by Prepare on the main thread before any other thread starts; only read
// afterwards.
struct State {
  bool prepared = false;
  bool enabled = false;
  std::optional<ThreadKind> forbidden_call_in;  // the test hook
};
State g_state;

}  // namespace

base::Status Prepare(bool enabled) {
  if (const char* kind = std::getenv("HULL_VMM_TEST_FORBIDDEN_SYSCALL")) {
    g_state.forbidden_call_in = ParseThreadKind(kind);
    if (!g_state.forbidden_call_in) {
      return base::Status::Error(std::string("HULL_VMM_TEST_FORBIDDEN_SYSCALL=") + kind +
                                 ": give vcpu, device, blk, api or main");
    }
  }
  g_state.enabled = enabled;
  if (!enabled) {
    // Straight to stderr, whatever the log level: nobody should miss this.
    static constexpr char kWarning[] =
        "hull-vmm: WARNING: seccomp is OFF (--no-seccomp): hull-vmm's threads may make any "
        "system call; a guest that takes over the VMM is not confined. For debugging only.\n";
    (void)base::WriteFully(STDERR_FILENO, kWarning, sizeof(kWarning) - 1);
    g_state.prepared = true;
    return base::Status::Ok();
  }
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
    return base::Status::Errno("this kernel has no seccomp (run with --no-seccomp to debug)");
  }
  g_state.prepared = true;
  return base::Status::Ok();
}

void EnterThread(ThreadKind kind) {
  if (!g_state.prepared) return;
  if (g_state.enabled) {
    if (base::Status s = Install(PrebuiltProgram(kind)); !s.ok()) {
      LOG_ERROR << "cannot confine the " << ThreadKindName(kind) << " thread: " << s.message();
      _exit(kExitStatusVmmError);
    }
  }
  if (g_state.forbidden_call_in == kind) {
    base::UniqueFd fd(static_cast<int>(
        syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)));
    LOG_WARNING << "test hook: the " << ThreadKindName(kind)
                << " thread called openat(\"/\") and was allowed (no seccomp)";
  }
}

}  // namespace hull::vmm::seccomp
