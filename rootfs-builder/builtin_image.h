// hull's built-in image, hull/busybox:latest: Debian's busybox-static (/bin/busybox and
// its common applets as symlinks) with a minimal /etc/passwd and /etc/group, imported
// through the ordinary `hull import` path (local_sources.h) the first time it is asked
// for. It lets `hull run` and the runtime tests work with no registry and no network.
#pragma once

#include <string>

#include "base/status.h"
#include "rootfs-builder/content_store.h"

namespace hull::rootfs {

inline constexpr const char* kBuiltinBusyboxImage = "hull/busybox:latest";

// The record of hull/busybox:latest, importing it from `busybox` (default: the host's
// /bin/busybox, which must be a static binary) if the store does not have it yet.
base::Result<ImageRecord> EnsureBuiltinBusyboxImage(const ContentStore& store,
                                                    const std::string& busybox = "/bin/busybox");

}  // namespace hull::rootfs
