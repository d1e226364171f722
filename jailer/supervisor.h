// hull-jailer's host side: makes the jail's directory and cgroup, starts the VMM as
// PID 1 of a new PID namespace (jail_setup.h builds the inside), forwards stop
// signals to it, waits for it, and removes everything it made when the VMM ends; also
// --cleanup, for a jail whose jailer was killed. Runs on hull-jailer's only thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "jailer/jailer_args.h"

namespace hull::jailer {

// hull-jailer's own failures (bad flags, a jail that could not be made): the same
// status as hull-vmm's own errors (docs/hull-vmm.md), so callers treat both alike.
inline constexpr int kExitStatusJailerError = 250;

// kSelf: the VMM's main, run in the jailed child with args.vmm_args; what it returns is
// the child's exit status.
using SelfMain = std::function<int(const std::vector<std::string>& vmm_args)>;

// Runs the VMM in its jail until it ends, then ends this process as the VMM ended: its
// exit status, or death by the same signal (so the jailer's parent sees what it would
// have seen without a jailer); on success it returns only with args.daemonize, as soon
// as the VMM runs (a detached supervisor, setsid and stdio on /dev/null, waits for it
// and cleans up). A jail that cannot be made is an error, and nothing is left behind.
// kSelf needs `self_main`.
base::Status RunJailed(const JailerArgs& args, const SelfMain& self_main = {});

// The whole command — hull-jailer's main(), and hull-vmm's for `hull-vmm --jail`
// (argv from "--jail" on): flags, --help, --cleanup, the jail, the exit status (250 for
// the jail's own errors; the VMM's status otherwise; a VMM killed by a signal kills
// this process by the same signal).
int JailerMain(int argc, char** argv, JailMode mode, const SelfMain& self_main = {});

// --cleanup: kills the jail's VMM if it still runs (a PID 1 of its own namespace
// named in the jail's pid file), removes its cgroup and its directory. Missing
// pieces are not errors.
base::Status CleanUpJail(const JailerArgs& args);

}  // namespace hull::jailer
