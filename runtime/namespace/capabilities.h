// The capability set of a container process: Docker's default set, changed by
// --cap-add/--cap-drop or replaced by --privileged; applied with libcap to the bounding,
// permitted, effective and inheritable sets (ambient stays empty). Called in the
// container's first process, before it execs the user's program.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::runtime::ns {

// A bit mask of capabilities, bit N = capability N (linux/capability.h).
using CapSet = uint64_t;

// CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP
// NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE: Docker's default (0xa80425fb).
CapSet DockerDefaultCaps();
// Every capability this process's bounding set holds (--privileged, "ALL").
CapSet AllCaps();

// Names as Docker takes them: "NET_ADMIN", "cap_net_admin", "ALL"; drops apply after adds
// unless the drop is "ALL" (then only the adds remain), as Docker does.
base::Result<CapSet> ResolveCaps(bool privileged, const std::vector<std::string>& add,
                                 const std::vector<std::string>& drop);

// "CAP_CHOWN,CAP_KILL" ordered by number; for the OCI bundle and messages.
std::vector<std::string> CapNames(CapSet caps);

// Drops everything outside `caps` from the bounding set. Needs CAP_SETPCAP; call while
// still root, before changing user.
base::Status DropBoundingCaps(CapSet caps);
// Sets permitted = effective = `caps`, inheritable and ambient empty. For a root process
// after the user switch (a non-root process loses them at exec anyway, as in Docker).
base::Status SetProcessCaps(CapSet caps);

}  // namespace hull::runtime::ns
