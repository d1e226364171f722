// `hull run --runtime vm`: one container (runtime::ContainerSpec, its resolved process
// and the image's ext4) run as a micro-VM in the foreground — the terminal's signals
// forwarded to the container, errors printed as one `hull: ...` line. Called by
// cli/run.cc on the main thread; returns the exit status to exit with.
#pragma once

#include <string>

#include "runtime/container_spec.h"

namespace hull::runtime::vm {

struct VmContainer {
  ContainerSpec spec;
  ProcessSpec process;
  std::string hostname;
  std::string image_disk;  // the image's read-only ext4
  std::string vmm;         // --vmm: "", "hull" or "qemu"
  bool no_jail = false;    // --no-jail: hull-vmm without its jail (also HULL_NO_JAIL=1)
  std::string work_root;   // where the VM's private directory goes
  std::string exec_socket; // where exec clients connect (exec_hub.h); "" for none
};

int RunVmContainer(const VmContainer& container);

}  // namespace hull::runtime::vm
