// Turns a seccomp Policy (policy.h) into a classic-BPF program with libseccomp, and
// installs such a program on the calling thread. Compiling happens at build time
// (generate_programs.cc → programs.h), so hull-vmm spends no start-up time on it;
// installing is two system calls (no_new_privs, then seccomp) that a thread makes
// before it runs guest-facing code.
#pragma once

#include <linux/filter.h>

#include <span>
#include <vector>

#include "base/status.h"
#include "vmm/seccomp/policy.h"

namespace hull::vmm::seccomp {

using BpfProgram = std::vector<sock_filter>;

// How the program finds a system call's rule: kTree, a binary search over the call
// numbers (what hull-vmm installs: the hot calls pass in a third of the instructions);
// kList, libseccomp's default linear order (kept to check that both decide alike).
enum class Layout { kTree, kList };

// Default action: kill the process (SECCOMP_RET_KILL_PROCESS, seen by a parent as death
// by SIGSYS). Fails on a name libseccomp does not know for x86-64.
[[nodiscard]] base::Result<BpfProgram> Compile(const Policy& policy, Layout layout = Layout::kTree);

// Sets no_new_privs and adds `program` to the calling thread's filters. Filters only
// ever narrow: the thread keeps any filter it inherited.
[[nodiscard]] base::Status Install(std::span<const sock_filter> program);

}  // namespace hull::vmm::seccomp
