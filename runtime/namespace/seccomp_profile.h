// hull's default seccomp profile, comparable to Docker's: an allowlist of system calls
// by name (the names are Docker's default profile's, which is a list of facts about
// which calls are safe in a container), calls that need a capability allowed only when
// the container has it, a few argument filters (clone without namespace flags,
// personality, no AF_VSOCK sockets), clone3 answered with ENOSYS so libc falls back to
// clone, and everything else EPERM. Built with libseccomp; exported as OCI JSON so crun
// and runc can be given the very same profile. Loaded by the container's first process
// as its last step before exec.
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "runtime/namespace/capabilities.h"

namespace hull::runtime::ns {

// Installs the profile for a container with capabilities `caps` (needs no_new_privs or
// CAP_SYS_ADMIN). Names this kernel's architecture does not know are skipped.
base::Status LoadDefaultSeccomp(CapSet caps);

// The same profile as the "seccomp" object of an OCI runtime config.
nlohmann::json DefaultSeccompOciJson(CapSet caps);

// How many system call names the profile allows for `caps` on this architecture
// (for tests).
size_t AllowedSyscallCount(CapSet caps);

}  // namespace hull::runtime::ns
