// hull's default seccomp profile, comparable to Docker's: an allowlist of system calls
// by name (the names are Docker's default profile's, which is a list of facts about
// which calls are safe in a container), calls that need a capability allowed only when
// the container has it, a few argument filters (clone without namespace flags,
// personality, no AF_VSOCK sockets), clone3 answered with ENOSYS so libc falls back to
// clone, and everything else EPERM. Built with libseccomp; exported as OCI JSON so crun
// and runc can be given the very same profile. Loaded by the container's first process
// as its last step before exec.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "runtime/namespace/capabilities.h"

namespace hull::runtime::ns {

// The profile for a container with capabilities `caps`, compiled to classic BPF by
// libseccomp (names libseccomp does not know are skipped). Compiling ~350 rules for three
// architectures takes ~100 ms, so the program is cached in `cache_dir` (if not empty)
// under a name derived from the profile's rules, `caps` and libseccomp's version; a
// cached file is only ever replaced atomically.
base::Result<std::vector<sock_filter>> CompileDefaultSeccomp(CapSet caps,
                                                             const std::string& cache_dir);

// Installs a compiled filter in this thread (needs no_new_privs or CAP_SYS_ADMIN).
base::Status InstallSeccomp(const std::vector<sock_filter>& program);

// The same profile as the "seccomp" object of an OCI runtime config.
nlohmann::json DefaultSeccompOciJson(CapSet caps);

// How many system call names the profile allows for `caps` on this architecture
// (for tests).
size_t AllowedSyscallCount(CapSet caps);

}  // namespace hull::runtime::ns
