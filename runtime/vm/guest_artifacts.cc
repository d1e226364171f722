#include "runtime/vm/guest_artifacts.h"

#include <sys/stat.h>

#include <cstdlib>

namespace hull::runtime::vm {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

bool IsFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

base::Result<GuestArtifacts> FindGuestArtifacts() {
  std::string dir = EnvOr("HULL_GUEST_KERNEL_DIR", HULL_GUEST_KERNEL_DEFAULT_DIR);
  GuestArtifacts a{dir + "/vmlinux", dir + "/bzImage", EnvOr("HULL_INIT", HULL_INIT_DEFAULT_PATH)};
  if (!IsFile(a.vmlinux) || !IsFile(a.bzimage))
    return base::Status::Error(
        "no guest kernel in " + dir +
        ": build it with guest-kernel-config/build.sh (./dev.sh build does; it takes a while "
        "the first time and is cached afterwards)");
  if (!IsFile(a.init))
    return base::Status::Error("no hull-init at " + a.init +
                               ": build it (ninja hull-init) or set HULL_INIT");
  return a;
}

}  // namespace hull::runtime::vm
