#include "vmm/boot/boot.h"

#include <vector>

#include "vmm/boot/boot_params.h"
#include "vmm/boot/cmdline.h"
#include "vmm/boot/e820.h"
#include "vmm/boot/error_text.h"
#include "vmm/boot/gdt.h"
#include "vmm/boot/initrd.h"
#include "vmm/boot/kernel_loader.h"
#include "vmm/boot/low_ram.h"
#include "vmm/boot/mptable.h"
#include "vmm/boot/page_tables.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

constexpr uint64_t kPageSize = 4096;

uint64_t PageAlignUp(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

// The kernel has been checked to fit; the initrd goes above it in the same low RAM.
base::Status CheckRoomForInitrd(const LoadedKernel& kernel, uint64_t initrd_size,
                                uint64_t low_end, const devices::GuestMemory& mem) {
  if (initrd_size == 0) return base::Status::Ok();
  uint64_t kernel_end = PageAlignUp(kernel.end);
  if (initrd_size <= low_end && kernel_end <= low_end &&
      PageAlignUp(initrd_size) <= low_end - kernel_end) {
    return base::Status::Ok();
  }
  return base::Status::Error("guest memory (" + SizeText(mem.total_size()) +
                             ") is too small for the kernel and a " + SizeText(initrd_size) +
                             " initrd: they need " + MiB(kernel_end + PageAlignUp(initrd_size)) +
                             " of RAM below the MMIO gap");
}

}  // namespace

base::Result<BootResult> PrepareBoot(const BootInputs& inputs, const devices::GuestMemory& mem) {
  if (inputs.vcpu_count == 0 || inputs.vcpu_count > kMpMaxVcpus) {
    return base::Status::Error("vCPU count must be between 1 and " + std::to_string(kMpMaxVcpus) +
                               ", got " + std::to_string(inputs.vcpu_count));
  }
  ASSIGN_OR_RETURN(uint64_t low_end, LowRamEnd(mem));
  ASSIGN_OR_RETURN(std::vector<boot_e820_entry> e820, BuildE820Map(mem));
  base::Result<LoadedKernel> loaded = LoadKernel(inputs.kernel, mem);
  if (!loaded.ok()) return loaded.status().WithContext("loading the kernel");
  const LoadedKernel& kernel = *loaded;
  RETURN_IF_ERROR(CheckRoomForInitrd(kernel, inputs.initrd.size(), low_end, mem));
  RETURN_IF_ERROR(WriteCmdline(inputs.cmdline, kernel.cmdline_max_length, mem));
  ASSIGN_OR_RETURN(InitrdPlacement initrd, LoadInitrd(inputs.initrd, kernel, mem));

  ZeroPageInputs zero_page;
  zero_page.cmdline_addr = layout::kCmdlineStart;
  zero_page.cmdline_length = static_cast<uint32_t>(inputs.cmdline.size());
  zero_page.initrd_addr = initrd.addr;
  zero_page.initrd_size = initrd.size;
  zero_page.e820 = e820;
  ASSIGN_OR_RETURN(boot_params params, BuildBootParams(kernel, zero_page));
  RETURN_IF_ERROR(WriteBootParams(params, mem));

  RETURN_IF_ERROR(WriteIdentityPageTables(mem));
  RETURN_IF_ERROR(WriteGdtAndIdt(mem));
  RETURN_IF_ERROR(WriteMpTable(inputs.vcpu_count, mem));

  BootResult result;
  result.cpu = MakeBootCpuState(kernel.entry);
  result.kernel_entry = kernel.entry;
  result.kernel_end = kernel.end;
  result.initrd_addr = initrd.addr;
  result.initrd_size = initrd.size;
  result.bzimage = kernel.bzimage;
  return result;
}

}  // namespace hull::vmm::boot
