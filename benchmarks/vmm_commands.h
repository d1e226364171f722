// The VMMs the boot benchmark compares — hull-vmm booting the test guest's ELF and its
// bzImage, and qemu-system-x86_64 -M microvm booting the bzImage — as the command lines
// that run the guest's `hello` and `spin` modes, plus the parsers for each VMM's "first
// KVM_RUN" timestamp. Used by vmm_boot_bench.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hull::benchmarks {

struct VmmSetup {
  std::string hull_vmm;
  std::string guest_elf;
  std::string guest_bzimage;
  std::string qemu;
  std::string qemu_bios;  // empty: QEMU's own default (bios-microvm.bin = qboot)
  int memory_mib = 64;
};

// One VMM configuration under test.
struct Vmm {
  std::string key;    // "hull_vmm_elf"
  std::string title;  // "hull-vmm (ELF)"
  bool is_qemu = false;
  int expected_exit = 0;  // of the hello guest, which reports status 0
  std::vector<std::string> hello;
  std::vector<std::string> traced_hello;  // QEMU only: with its KVM_RUN trace on
  std::vector<std::string> spin;          // memfd-backed guest RAM
  std::vector<std::string> stream;        // --confinement: the guest reads a drive (kStream*)
  std::vector<std::string> env;           // NAME=VALUE added for every run
  bool new_pid_namespace = false;         // started as PID 1 of a new PID namespace
  std::vector<std::string> after;         // run (untimed) after each run: its clean-up
};

std::vector<Vmm> BuildVmms(const VmmSetup& setup);

// --confinement: hull-vmm booting the ELF unconfined (--no-seccomp), with seccomp (the
// default), each of those in `hull-vmm --jail --no-supervisor` started in a new PID
// namespace (chroot base `jail_base`; how hull runs it), and seccomp in the two other
// jails: `hull-vmm --jail` with its supervisor, and hull-jailer (`jailer`) exec'ing
// hull-vmm. What confinement costs. The first is the peer the others are compared with.
// Their `stream` runs read kStreamKib from the drive `stream_disk` (read-only, 1 MiB or
// more) in 4 KiB requests, one in flight, between the serial markers kStreamStart and
// kStreamDone.
std::vector<Vmm> BuildConfinementVmms(const VmmSetup& setup, const std::string& jailer,
                                      const std::string& jail_base, const std::string& stream_disk);
inline constexpr int kStreamKib = 64;
inline constexpr int kStreamRequestBytes = 4096;
inline constexpr const char* kStreamStart = "blk.stream=start\n";
inline constexpr const char* kStreamDone = "blk.stream=done\n";

// A command line for people to read (quoted where a shell would need it).
std::string JoinCommand(const std::vector<std::string>& argv);

// hull-vmm's boot-trace line on stderr (docs/hull-vmm.md, "Benchmark hooks"):
// CLOCK_MONOTONIC ns just before vCPU 0's first KVM_RUN.
std::optional<int64_t> HullFirstRunNs(const std::string& err);

// The start-up stages the same line names after it (base/boot_trace.h), in order:
// stage name ("main", "jail-fork", ...) and its CLOCK_MONOTONIC ns.
std::vector<std::pair<std::string, int64_t>> HullBootMarks(const std::string& err);

// The first KVM_RUN in QEMU's kvm_vcpu_ioctl trace on stderr, converted from its
// CLOCK_REALTIME µs to CLOCK_MONOTONIC ns with realtime_offset_ns (realtime − monotonic).
std::optional<int64_t> QemuFirstRunNs(const std::string& err, int64_t realtime_offset_ns);

}  // namespace hull::benchmarks
