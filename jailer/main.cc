// hull-jailer: starts one hull-vmm (or any VMM binary given as --exec-file) confined the
// way Firecracker's jailer confines Firecracker — its own root (pivot_root into a per-VM
// directory holding only what the VM needs), mount and PID namespaces, the VM's network
// namespace, a cgroup, resource limits, no inherited fds, a clean environment, an
// unprivileged uid/gid with no capabilities — and removes all of it when the VMM ends
// (docs/hull-vmm.md, "Jailer"). `hull-vmm --jail` builds the same jail around hull-vmm
// itself without a second exec; hull starts every hull-vmm that way.
// Exit status: the VMM's (a VMM killed by a signal kills hull-jailer by the same
// signal), or 250 when the jail could not be made.
#include "jailer/supervisor.h"

int main(int argc, char** argv) {
  return hull::jailer::JailerMain(argc, argv, hull::jailer::JailMode::kExec);
}
