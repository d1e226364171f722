// A minimal client of the GDB remote serial protocol, enough to put a vCPU of a paused
// QEMU into the state a 64-bit boot protocol loader hands over (register writes, then
// detach, which resumes the guest). Used by test_guest_qemu_unittest.cc to enter the
// test guest at startup_64 the way hull-vmm does, on hosts without KVM.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::tests {

// Register numbers of QEMU's x86-64 gdbstub (its gdb-xml/i386-64bit.xml order: 16
// general registers, rip, eflags, cs ss ds es fs gs, fs_base gs_base k_gs_base,
// cr0 cr2 cr3 cr4 cr8 efer).
enum class X86Register : int {
  kRsi = 4,
  kRsp = 7,
  kRip = 16,
  kEflags = 17,
  kCs = 18,
  kSs = 19,
  kDs = 20,
  kEs = 21,
  kCr0 = 27,
  kCr3 = 29,
  kCr4 = 30,
  kEfer = 32,
};

class GdbRemote {
 public:
  // Connects to a gdbstub listening on a Unix socket, retrying until `timeout` while
  // QEMU is still creating it.
  static base::Result<GdbRemote> Connect(const std::string& socket_path,
                                         std::chrono::milliseconds timeout);

  // "P" packet: eflags and segment selectors are 4 bytes wide, the rest 8. QEMU
  // applies control-register writes as the CPU would (cr0.PG with EFER.LME sets LMA)
  // and loads a segment's descriptor from the GDT when a selector is written.
  base::Status WriteRegister(X86Register reg, uint64_t value);
  // "D": ends the session; QEMU resumes the guest.
  base::Status Detach();

 private:
  explicit GdbRemote(base::UniqueFd fd) : fd_(std::move(fd)) {}
  base::Result<std::string> Transact(const std::string& payload);

  base::UniqueFd fd_;
};

}  // namespace hull::tests
