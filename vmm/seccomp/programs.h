// The BPF programs of every thread kind, compiled from policy.h at build time by
// hull_seccomp_gen (generate_programs.cc) into programs.cc in the build tree.
#pragma once

#include <linux/filter.h>

#include <span>

#include "vmm/seccomp/policy.h"

namespace hull::vmm::seccomp {

std::span<const sock_filter> PrebuiltProgram(ThreadKind kind);

}  // namespace hull::vmm::seccomp
