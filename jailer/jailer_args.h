// hull-jailer's command line: what one jail is made of (the VM's id, the VMM binary,
// the uid/gid it runs as, the files bound into it, its cgroup limits and resource
// limits), parsed and checked before anything on the host is touched. Pure functions,
// called once by jailer/main.cc; unit-tested in jailer_args_unittest.cc. The flags
// follow Firecracker's jailer (docs/jailer.md there) where it has the same thing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/namespace/cgroups.h"

namespace hull::jailer {

// A host file or directory made visible inside the jail: at `target`, or at its own
// path when the flag names none.
struct BindMount {
  std::string source;  // absolute, on the host
  std::string target;  // absolute, in the jail
  bool read_only = false;
};

// Who runs in the jail. kExec: hull-jailer execs --exec-file there (Firecracker's
// shape: any VMM binary). kSelf: `hull-vmm --jail` builds the jail around its own
// child and goes on running the VMM in it without a second exec (the same jail, one
// exec fewer before the first guest instruction).
enum class JailMode { kExec, kSelf };

struct JailerArgs {
  JailMode mode = JailMode::kExec;
  std::string id;         // [A-Za-z0-9-]{1,64}, as Firecracker's
  std::string exec_file;  // kExec: absolute; bound into the jail as /<basename>
  uid_t uid = 0;
  gid_t gid = 0;
  std::string chroot_base = "/run/hull/jailer";
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string netns;  // a network namespace file (/var/run/netns/NAME); empty: the caller's
  runtime::ns::CgroupLimits cgroup;  // from --cgroup KEY=VALUE
  bool has_cgroup = false;           // any --cgroup given: the VMM gets its own cgroup
  std::optional<uint64_t> rlimit_fsize;
  uint64_t rlimit_nofile = 2048;  // Firecracker's default
  std::vector<BindMount> binds;
  bool daemonize = false;
  // The caller started this process as PID 1 of a new PID namespace and supervises it:
  // the jail is built around this process itself and the VMM runs (kSelf) or is exec'd
  // (kExec) here, with no supervisor process; the caller waits for it, signals it, and
  // runs --cleanup once it ends (Firecracker's jailer without --new-pid-ns, plus the
  // namespace). What hull runs (docs/hull-vmm.md, "Jailer").
  bool no_supervisor = false;
  bool cleanup = false;  // --cleanup: remove what a killed jailer left for --id, then exit
  std::vector<std::string> vmm_args;  // after "--"
};

// argv as main() gets it (for kSelf, from "--jail" on). Errors name the flag and what is
// wrong with its value.
base::Result<JailerArgs> ParseJailerArgs(int argc, const char* const* argv,
                                         JailMode mode = JailMode::kExec);

std::string JailerUsage(JailMode mode = JailMode::kExec);

// Checks used by the parser, exposed for the unit tests.
base::Status CheckId(std::string_view id);
// Absolute, no "." or ".." components, no empty components but a trailing '/'.
base::Status CheckAbsolutePath(std::string_view what, std::string_view path);

// Where a jail is known on the host. Its root is a tmpfs mounted on <chroot_base> in the
// VMM's mount namespace alone (jail_setup.h); a supervised jail (not --no-supervisor)
// keeps its pid file in <chroot_base>/<exec basename>/<id>, which also stops a second
// jail with the same id; the cgroup is <cgroup root>/[controller/]hull-jailer/<id>.
struct JailPaths {
  std::string dir;        // removed as a whole when the jail ends
  std::string exec_name;  // basename of exec_file (kSelf: hull-vmm); kExec: /<exec_name> in the jail
  std::string pid_file;   // dir + "/<exec_name>.pid": the VMM's host pid
  std::string cgroup_name;  // "hull-jailer/<id>"
  std::string cleanup_command;  // "hull-jailer --cleanup" or "hull-vmm --jail --cleanup"
};
JailPaths PathsFor(const JailerArgs& args);

}  // namespace hull::jailer
