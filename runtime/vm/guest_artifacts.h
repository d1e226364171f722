// Where the guest's kernel and hull-init are: the kernel built by
// guest-kernel-config/build.sh into its cache directory (the one the current config maps
// to, found when hull was configured), hull-init next to hull's build. Both may be
// overridden by environment (HULL_GUEST_KERNEL_DIR, HULL_INIT). Called by the VM runtime
// before it builds a VM.
#pragma once

#include <string>

#include "base/status.h"

namespace hull::runtime::vm {

struct GuestArtifacts {
  std::string vmlinux;
  std::string bzimage;
  std::string init;  // hull-init, static
};

base::Result<GuestArtifacts> FindGuestArtifacts();

}  // namespace hull::runtime::vm
