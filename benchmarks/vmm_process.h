// VmmProcess: starts one VMM process (hull-vmm or QEMU) and watches it from outside —
// when it was started, when its stdout (the guest's serial console) first had a byte,
// when it exited and with what status, and its /proc/PID/status memory counters while
// it runs. Used only by the boot benchmark (vmm_boot_bench.cc); one probe at a time,
// on the calling thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::benchmarks {

// CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds.
int64_t MonotonicNs();
int64_t RealtimeNs();

struct ProbeOptions {
  std::vector<std::string> argv;  // argv[0] is the executable's path
  std::vector<std::string> extra_env;  // NAME=VALUE, added to the driver's environment
  // Memory mode: once stdout has its first byte, wait this long, read /proc/PID/status,
  // then SIGKILL the process. Without it the probe waits for the process to exit.
  std::optional<int> kill_after_first_output_ms;
  int timeout_ms = 30000;  // the process is killed and the probe fails after this
  // Texts to time on stdout: ProbeResult::marker_ns has when each first appeared.
  std::vector<std::string> stdout_markers;
  // Start the process as PID 1 of a new PID namespace (clone(CLONE_NEWPID) instead of
  // vfork(), still sharing memory until the exec): how hull starts
  // `hull-vmm --jail --no-supervisor`. The clone's cost is in the timings.
  bool new_pid_namespace = false;
};

struct ProbeResult {
  int64_t start_ns = 0;                   // CLOCK_MONOTONIC just before vfork()/clone()
  int64_t realtime_offset_ns = 0;         // CLOCK_REALTIME - CLOCK_MONOTONIC at start
  std::optional<int64_t> first_output_ns;  // CLOCK_MONOTONIC when stdout became readable
  std::optional<int64_t> exit_ns;          // CLOCK_MONOTONIC when the pidfd said "exited"
  int wait_status = 0;                     // as from waitpid(); valid when exited
  bool killed_by_probe = false;            // memory mode or timeout
  bool timed_out = false;
  std::map<std::string, int64_t> marker_ns;  // CLOCK_MONOTONIC when a marker had arrived
  std::string out;                         // stdout, at most 1 MiB kept
  std::string err;                         // stderr (a file, read at the end), at most 1 MiB kept
  // Memory mode: /proc/PID/status's "... kB" fields (VmRSS, RssAnon, RssFile, RssShmem, ...)
  // plus, from /proc/PID/smaps, "GuestRamRss" (the Rss of the memfd mappings that hold
  // guest RAM, named in guest_ram_mappings) and "AnonHugePages" (THP, all mappings).
  std::map<std::string, int64_t> memory_kib;
  std::vector<std::string> guest_ram_mappings;
};

// Runs one process to its end (or, in memory mode, until the probe kills it). The
// child gets stdin /dev/null and SIGKILL when the driver dies (PR_SET_PDEATHSIG), so an
// interrupted benchmark leaves no VMM behind.
base::Result<ProbeResult> RunProbe(const ProbeOptions& options);

// "exit status 0", "killed by signal 9".
std::string DescribeWaitStatus(int wait_status);

}  // namespace hull::benchmarks
