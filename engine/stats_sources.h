// The kernel files container statistics come from, and their parsers: cgroup v1 and v2
// (memory, cpu/cpuacct, pids, blkio/io), /proc/PID/stat, /proc/stat, /proc/PID/net/dev.
// The readers fill a StatsSample (stats.h); the parsers are pure, for the unit tests.
// Called on hulld's connection threads; no shared state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/stats.h"

namespace hull::engine {

// "key value\n" lines (memory.stat, cpu.stat, ...); lines that do not parse are skipped.
std::map<std::string, uint64_t> ParseKeyValues(const std::string& text);
// cgroup v2 io.stat ("MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.." per device) into
// bytes and ops entries.
void ParseIoStat(const std::string& text, std::vector<BlkioEntry>* bytes,
                 std::vector<BlkioEntry>* ops);
// cgroup v1 blkio.throttle.io_service_bytes / io_serviced ("MAJ:MIN Read N" ...; the
// "Total" lines are dropped, Docker's CLI sums by op).
std::vector<BlkioEntry> ParseBlkioV1(const std::string& text);
// cpuacct.usage_percpu: nanoseconds per CPU.
std::vector<uint64_t> ParseNumbers(const std::string& text);
// /proc/net/dev: counters per interface (the reader's view), "lo" skipped.
std::map<std::string, NetCounters> ParseNetDev(const std::string& text);
// /proc/stat's first line: the host's CPU time in nanoseconds (user .. steal).
uint64_t ParseHostCpuNs(const std::string& proc_stat, long ticks_per_second);
// /proc/PID/stat: utime, stime, cutime, cstime in ticks (the comm field may hold
// spaces and parentheses). False when it does not parse.
bool ParseProcStatTimes(const std::string& text, uint64_t* user_ticks, uint64_t* system_ticks);
// /proc/PID/status "VmRSS: N kB" in bytes (0 when absent: a kernel thread, a zombie).
uint64_t ParseVmRssBytes(const std::string& status);

// Readers. `dirs` are the container cgroup's directories (cgroups.h CgroupDirs).
void ReadCgroupV2(const std::string& dir, StatsSample* sample);
void ReadCgroupV1(const std::string& root, const std::string& name, StatsSample* sample);
// The host's CPU time and online CPUs.
void ReadHostCpu(StatsSample* sample);
// The host's RAM in bytes (/proc/meminfo MemTotal), 0 if unknown.
uint64_t HostMemoryBytes();
// Sums of utime+stime (+ the reaped children's) of `pids` into cpu_*_ns.
void AddProcessCpu(const std::vector<pid_t>& pids, StatsSample* sample);
// /proc/PID/net/dev of a process in the container's network namespace.
void ReadNetworks(pid_t pid, StatsSample* sample);
// `pid` and all its descendants (/proc/PID/task/*/children), pid first.
std::vector<pid_t> ProcessTree(pid_t pid);
// The threads of `pid` (/proc/PID/task entries), 0 when it is gone.
uint64_t ThreadCount(pid_t pid);

}  // namespace hull::engine
