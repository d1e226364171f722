// An OCI runtime config (runtime-spec config.json) that makes crun or runc run a
// container the way hull's namespace runtime does: the same namespaces, mounts, masked
// and read-only paths, capabilities, rlimits, user, environment and seccomp profile.
// Used by the tests and the benchmark that compare hull with crun and runc.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "runtime/container_spec.h"

namespace hull::runtime::ns {

// `rootfs` is the bundle's root directory (its /etc/passwd and /etc/group resolve the
// user); `hostname` as hull would set it.
base::Result<nlohmann::json> MakeOciConfig(const ContainerSpec& spec, const ProcessSpec& process,
                                           const std::string& rootfs, const std::string& hostname);

}  // namespace hull::runtime::ns
