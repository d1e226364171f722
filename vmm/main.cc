// hull-vmm: the stand-alone VMM. Parses flags and/or a config file, builds the Machine
// and runs it; the exit status says how the guest ended (docs/hull-vmm.md).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/logging.h"
#include "vmm/config/flags.h"
#include "vmm/cpu/vm_end.h"
#include "vmm/machine.h"

namespace {

constexpr const char* kVersion = "hull-vmm 0.1.0";

int Fail(const hull::base::Status& status) {
  LOG_ERROR << status.message();
  return hull::vmm::kExitStatusVmmError;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hull;
  base::SetLogProgramName("hull-vmm");
  base::InitLoggingFromEnv();

  base::Result<vmm::VmmCommandLine> flags = vmm::ParseVmmFlags(argc, argv);
  if (!flags.ok()) return Fail(flags.status());
  if (flags->help) {
    std::cout << flags->help_text;
    return 0;
  }
  if (flags->version) {
    std::cout << kVersion << "\n";
    return 0;
  }
  if (flags->log_level) base::SetLogLevel(*flags->log_level);
  for (const std::string& note : flags->notes) LOG_INFO << note;

  base::Result<std::unique_ptr<vmm::Machine>> machine = vmm::Machine::Create(flags->config);
  if (!machine.ok()) return Fail(machine.status());

  vmm::VmEnd end = (*machine)->Run();
  machine->reset();  // joins the vCPU threads before we report
  int status = vmm::ExitStatusFor(end);
  std::string text = vmm::DescribeVmEnd(end);
  bool ordinary = end.kind == vmm::VmEndKind::kExitPort && end.value <= vmm::kExitStatusGuestMax;
  if (ordinary) {
    LOG_INFO << text;
  } else if (end.kind == vmm::VmEndKind::kVmmError || end.kind == vmm::VmEndKind::kInternalError ||
             end.kind == vmm::VmEndKind::kUnsupported) {
    LOG_ERROR << text;
  } else {
    LOG_WARNING << text;
  }
  return status;
}
