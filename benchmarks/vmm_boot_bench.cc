// vmm_boot_bench: hull-vmm's boot time and memory overhead, measured side by side with
// qemu-system-x86_64 -M microvm booting the same test guest (tests/guests), interleaved
// in one run. docs/benchmarks.md says what is measured and how to read it; run.sh runs
// it where /dev/kvm works (nested inside QEMU/TCG when the host has none).
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "benchmarks/boot_report.h"
#include "benchmarks/vmm_commands.h"
#include "benchmarks/vmm_process.h"

namespace hull::benchmarks {
namespace {

namespace po = boost::program_options;

struct Options {
  VmmSetup setup{.hull_vmm = HULL_VMM_PATH,
                 .guest_elf = HULL_TEST_GUEST_ELF_PATH,
                 .guest_bzimage = HULL_TEST_GUEST_BZIMAGE_PATH,
                 .qemu = "qemu-system-x86_64",
                 .qemu_bios = "",
                 .memory_mib = 64};
  int repetitions = 20;
  int memory_repetitions = 5;
  int warmup = 1;
  int settle_ms = 200;
  int timeout_s = 30;
  std::string json_path;
  std::string markdown_path;
  std::vector<std::string> warnings;
  std::vector<std::string> environment;  // LABEL=VALUE
  // --confinement: hull-vmm with and without seccomp and its jail instead of QEMU.
  bool confinement = false;
  std::string jailer = HULL_JAILER_PATH;
  std::string jail_base = "/tmp/hull-bench-jails";
  // --merge: no runs; one report from the samples of these earlier JSON reports.
  std::vector<std::string> merge;
};

constexpr const char* kHelloPrefix = "hello from the hull test guest";
constexpr const char* kSpinPrefix = "spinning";
constexpr const char* kStreamPrefix = "blk.device=";

std::optional<std::string> FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string Head(const std::string& s) {
  std::string h = s.substr(0, 200);
  for (char& c : h) {
    if (c < 0x20 || c > 0x7e) c = '.';
  }
  return h;
}

enum class Mode { kHello, kTracedHello, kSpin, kStream };

// Runs one probe and checks how it ended; returns nothing (and records why) when the
// run did not behave as the guest mode says it must.
std::optional<ProbeResult> Probe(const Options& o, const Vmm& vmm, Mode mode,
                                 std::vector<std::string>& failures) {
  bool spin = mode == Mode::kSpin;
  bool stream = mode == Mode::kStream;
  ProbeOptions options{.argv = spin                       ? vmm.spin
                               : stream                   ? vmm.stream
                               : mode == Mode::kHello     ? vmm.hello
                                                          : vmm.traced_hello,
                       .extra_env = vmm.env,
                       .kill_after_first_output_ms = {},
                       .timeout_ms = o.timeout_s * 1000,
                       .stdout_markers = {},
                       .new_pid_namespace = vmm.new_pid_namespace};
  if (spin) options.kill_after_first_output_ms = o.settle_ms;
  if (stream) options.stdout_markers = {kStreamStart, kStreamDone};
  std::string what = vmm.title + (spin     ? " (spin)"
                                  : stream ? " (blk stream)"
                                  : mode == Mode::kHello ? " (hello)"
                                                         : " (hello, traced)");
  base::Result<ProbeResult> r = RunProbe(options);
  if (!vmm.after.empty()) {
    base::Result<ProbeResult> after = RunProbe({.argv = vmm.after, .timeout_ms = 30000});
    if (!after.ok() || !WIFEXITED(after->wait_status) || WEXITSTATUS(after->wait_status) != 0) {
      failures.push_back(what + ": its clean-up `" + JoinCommand(vmm.after) + "` failed: " +
                         (after.ok() ? DescribeWaitStatus(after->wait_status) + " " + Head(after->err)
                                     : after.status().message()));
    }
  }
  if (!r.ok()) {
    failures.push_back(what + ": " + r.status().message());
    return std::nullopt;
  }
  std::string problem;
  const char* prefix = spin ? kSpinPrefix : stream ? kStreamPrefix : kHelloPrefix;
  if (r->timed_out) {
    problem = "still running after " + std::to_string(o.timeout_s) + " s";
  } else if (r->out.rfind(prefix, 0) != 0) {
    problem = "serial output does not start with \"" + std::string(prefix) + "\": \"" +
              Head(r->out) + "\"";
  } else if (stream && (r->marker_ns.size() != 2 ||
                        r->out.find("blk.stream_errors=0\n") == std::string::npos)) {
    problem = "the guest's stream did not complete without errors: \"" + Head(r->out) + "\"";
  } else if (spin && r->memory_kib.count("VmRSS") == 0) {
    problem = "exited before its memory was read (" + DescribeWaitStatus(r->wait_status) + ")";
  } else if (!spin && !(WIFEXITED(r->wait_status) &&
                        WEXITSTATUS(r->wait_status) == vmm.expected_exit)) {
    problem = DescribeWaitStatus(r->wait_status) + ", expected exit status " +
              std::to_string(vmm.expected_exit);
  }
  if (problem.empty()) return std::move(*r);
  failures.push_back(what + ": " + problem + "; stderr: \"" + Head(r->err) + "\"");
  return std::nullopt;
}

// --confinement's start-up stages (base/boot_trace.h marks), in the order hull-vmm
// passes them; each row times the stretch that ends at its mark.
constexpr std::pair<const char*, const char*> kBootStages[] = {
    {"main", "stage: spawn → hull-vmm's main()"},
    {"jail-dir", "stage: jail: flags, its directory"},
    {"jail-fork", "stage: jail: signalfd, pipe, PID namespace"},
    {"jail-child", "stage: jail: fork → the child runs"},
    {"jail-mount-ns", "stage: jail: mount namespace, made private"},
    {"jail-root", "stage: jail: root (tmpfs, devices, binds, /proc)"},
    {"jail-pivot", "stage: jail: pivot_root, old root detached"},
    {"jail-privileges", "stage: jail: rlimits, uid/gid, capabilities"},
    {"jail-done", "stage: jail: environment, fds"},
    {"vmm-flags", "stage: VMM flags, seccomp prepared"},
    {"machine", "stage: machine built (memory, kernel, devices)"},
    {"first-run", "stage: vCPU thread → first KVM_RUN"},
};

std::string StageKey(const std::string& stage) {
  std::string key = "stage_" + stage + "_ms";
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

void MeasureTiming(const Options& o, const Vmm& vmm, VmmResults& out,
                   std::vector<std::string>& failures) {
  if (std::optional<ProbeResult> r = Probe(o, vmm, Mode::kHello, failures)) {
    out.samples["first_serial_byte_ms"].push_back(Ms(*r->first_output_ns - r->start_ns));
    out.samples["boot_to_exit_ms"].push_back(Ms(*r->exit_ns - r->start_ns));
    if (!vmm.is_qemu) {
      if (std::optional<int64_t> t = HullFirstRunNs(r->err)) {
        out.samples["first_instruction_ms"].push_back(Ms(*t - r->start_ns));
        // Each stage: from the mark before it (the driver's start for the first).
        int64_t previous = r->start_ns;
        for (const auto& [stage, ns] : HullBootMarks(r->err)) {
          out.samples[StageKey(stage)].push_back(Ms(ns - previous));
          previous = ns;
        }
        out.samples[StageKey("first-run")].push_back(Ms(*t - previous));
      } else {
        failures.push_back(vmm.title + ": no boot-trace line on stderr");
      }
    }
  }
  if (!vmm.is_qemu) return;
  if (std::optional<ProbeResult> r = Probe(o, vmm, Mode::kTracedHello, failures)) {
    if (std::optional<int64_t> t = QemuFirstRunNs(r->err, r->realtime_offset_ns)) {
      out.samples["first_instruction_ms"].push_back(Ms(*t - r->start_ns));
    } else {
      failures.push_back(vmm.title + ": no KVM_RUN in its kvm_vcpu_ioctl trace");
    }
  }
}

// --confinement: the guest's drive read, 4 KiB at a time (vmm_commands.h), timed between
// its serial markers: the device path's cost per request, with and without confinement.
void MeasureStream(const Options& o, const Vmm& vmm, VmmResults& out,
                   std::vector<std::string>& failures) {
  std::optional<ProbeResult> r = Probe(o, vmm, Mode::kStream, failures);
  if (!r) return;
  double requests = double{kStreamKib} * 1024 / kStreamRequestBytes;
  out.samples["blk_read_request_us"].push_back(
      static_cast<double>(r->marker_ns[kStreamDone] - r->marker_ns[kStreamStart]) / 1e3 / requests);
}

void MeasureMemory(const Options& o, const Vmm& vmm, VmmResults& out,
                   std::vector<std::string>& failures) {
  std::optional<ProbeResult> r = Probe(o, vmm, Mode::kSpin, failures);
  if (!r) return;
  auto mib = [&](const char* field) { return static_cast<double>(r->memory_kib[field]) / 1024; };
  out.samples["rss_overhead_mib"].push_back(mib("VmRSS") - mib("GuestRamRss"));
  out.samples["rss_anon_file_mib"].push_back(mib("RssAnon") + mib("RssFile"));
  out.samples["rss_anon_mib"].push_back(mib("RssAnon"));
  out.samples["anon_huge_pages_mib"].push_back(mib("AnonHugePages"));
  out.samples["rss_file_mib"].push_back(mib("RssFile"));
  out.samples["rss_shmem_mib"].push_back(mib("RssShmem"));
  out.samples["guest_ram_rss_mib"].push_back(mib("GuestRamRss"));
  for (const std::string& name : r->guest_ram_mappings) out.guest_ram_mappings.insert(name);
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string CommandOutput(const std::vector<std::string>& argv) {
  base::Result<ProbeResult> r = RunProbe({.argv = argv, .extra_env = {},
                                          .kill_after_first_output_ms = {}, .timeout_ms = 10000});
  return r.ok() ? FirstLine(r->out) : "unknown (" + r.status().message() + ")";
}

std::string CpuModel(int* count) {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown";
  *count = 0;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    ++*count;
    model = line.substr(line.find(':') + 2);
  }
  return model;
}

void DescribeEnvironment(const Options& o, BootReport& report) {
  time_t now = time(nullptr);
  char date[64];
  strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
  utsname u{};
  uname(&u);
  int cpus = 0;
  std::string model = CpuModel(&cpus);
  auto& env = report.environment;
  env.emplace_back("date", date);
  report.runs = {date};
  env.emplace_back("machine running the VMMs", std::to_string(cpus) + " × " + model + ", Linux " +
                                                   u.release + " " + u.machine);
  for (const std::string& e : o.environment) {
    size_t eq = e.find('=');
    env.emplace_back(e.substr(0, eq), eq == std::string::npos ? "" : e.substr(eq + 1));
  }
  const VmmSetup& setup = o.setup;
  env.emplace_back("hull-vmm", CommandOutput({setup.hull_vmm, "--version"}) + " (" +
                                   setup.hull_vmm + ")");
  if (!o.confinement) {
    env.emplace_back("QEMU", CommandOutput({setup.qemu, "--version"}) + " (" + setup.qemu + ")");
  }
  {
    std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string modes;
    std::getline(thp, modes);
    env.emplace_back("transparent huge pages", modes.empty() ? "unknown" : modes);
  }
  env.emplace_back("guest", "tests/guests hull-test-guest, " + std::to_string(o.setup.memory_mib) +
                                " MiB, 1 vCPU");
  env.emplace_back("repetitions", std::to_string(o.repetitions) + " timed (+" +
                                      std::to_string(o.warmup) + " warm-up, discarded), " +
                                      std::to_string(o.memory_repetitions) + " memory");
  report.warnings = o.warnings;
  if (model.find("QEMU TCG") != std::string::npos && o.warnings.empty()) {
    report.warnings.push_back(
        "the machine running the VMMs is itself a QEMU/TCG guest (nested KVM): absolute "
        "times are not representative of hardware; only the side-by-side ratios are");
  }
}

// --confinement: what seccomp and the jailer cost at boot, against unconfined hull-vmm.
void DescribeConfinementMethod(BootReport& report) {
  report.metrics = {
      {"first_instruction_ms", "start → first guest instruction", "ms"},
      {"first_serial_byte_ms", "start → first serial byte", "ms"},
      {"boot_to_exit_ms", "start → exit (boot + shutdown)", "ms"},
      {"blk_read_request_us", "guest drive read, per 4 KiB request", "µs"},
  };
  for (auto [stage, title] : kBootStages) report.metrics.push_back({StageKey(stage), title, "ms"});
  report.peer_key = "hull_vmm_unconfined";
  for (auto [key, what] :
       {std::pair{"hull_vmm_seccomp", "seccomp"},
        std::pair{"hull_vmm_jailed_unconfined", "the jail (hull-vmm --jail --no-supervisor)"},
        std::pair{"hull_vmm_jailed_seccomp", "seccomp + the jail (what hull runs)"},
        std::pair{"hull_vmm_supervised_seccomp",
                  "seccomp + the jail with its supervisor (not what hull runs)"},
        std::pair{"hull_vmm_jailer_seccomp", "seccomp + hull-jailer's exec (not what hull runs)"}}) {
    report.targets.push_back({.title = std::string(what) + " costs ≤ 5 % to the first instruction",
                              .vmm_key = key, .metric_key = "first_instruction_ms",
                              .limit = 1.05, .ratio_to_peer = true});
    report.targets.push_back({.title = std::string(what) + " costs ≤ 5 % per drive request",
                              .vmm_key = key, .metric_key = "blk_read_request_us",
                              .limit = 1.05, .ratio_to_peer = true});
  }
  report.notes = {
      "the same hull-vmm and `hello` guest (ELF) six ways: --no-seccomp (the peer every ratio "
      "is taken against); with its seccomp filters (the default); each of those in the jail "
      "`hull-vmm --jail --no-supervisor` builds around itself when started as PID 1 of a new "
      "PID namespace (uid/gid 4242, a new mount namespace, pivot_root into a tmpfs root with "
      "the kernel and the drive bound read-only at /kernel and /drive; no cgroup) — how hull "
      "starts every hull-vmm; "
      "and, with seccomp, the same jail two other ways: `hull-vmm --jail` with its "
      "supervisor (it clones the jailed VMM and stays outside to forward signals and clean "
      "up), and hull-jailer, which execs hull-vmm in the jail as Firecracker's jailer execs "
      "Firecracker. Target: confinement costs ≤ 5 %, i.e. a ratio ≤ 1.05.",
      "start: CLOCK_MONOTONIC in the driver just before vfork()+execve() of hull-vmm or of "
      "hull-jailer — for --no-supervisor, before clone(CLONE_VM | CLONE_VFORK | CLONE_NEWPID)"
      "+execve(), so the PID namespace and the jail's whole set-up count; the jail's "
      "directory is removed after each such run by `hull-vmm --jail --cleanup` (untimed, as "
      "hull does once the VM has ended); first guest instruction: hull-vmm's "
      "HULL_VMM_BOOT_TRACE line (passed through the jail's environment filter).",
      "device throughput: the guest's `blk` mode reads " + std::to_string(kStreamKib) +
          " KiB from a read-only virtio-blk drive (a 1 MiB file, bound into the jail) in 4 KiB "
          "requests, one in flight; the time from its serial line `blk.stream=start` to "
          "`blk.stream=done` (as the driver reads them from the VMM's stdout) over the request "
          "count. Every request is an MMIO notify exit, a pread, and an interrupt: the syscalls "
          "seccomp filters and the jail's mounts could slow.",
      "each repetition runs every configuration once, in a rotating order; median and p90 "
      "(nearest rank) over the repetitions. The VMM's stderr goes to a file the driver reads "
      "once it has ended, so that the driver is not woken while the VMM boots (on one CPU "
      "that would charge --no-seccomp's warning, for one, with the driver's work).",
      "stages: hull-vmm notes the time at fixed points of its start-up (base/boot_trace.h) "
      "and prints them with the first-instruction line; each `stage:` row times the stretch "
      "from the previous point (from the driver's start for the first) to its own, so the "
      "rows of one configuration add up to its first instruction (medians do not add "
      "exactly). n/a: that configuration does not pass that point.",
  };
}

void DescribeMethod(const Options& o, BootReport& report) {
  if (o.confinement) return DescribeConfinementMethod(report);
  report.metrics = {
      {"first_instruction_ms", "start → first guest instruction", "ms"},
      {"first_serial_byte_ms", "start → first serial byte", "ms"},
      {"boot_to_exit_ms", "start → exit (boot + shutdown)", "ms"},
      {"rss_overhead_mib", "resident overhead: VmRSS − guest RAM", "MiB"},
      {"rss_anon_file_mib", "RssAnon + RssFile", "MiB"},
      {"rss_anon_mib", "RssAnon", "MiB"},
      {"anon_huge_pages_mib", "… of which transparent huge pages", "MiB"},
      {"rss_file_mib", "RssFile", "MiB"},
      {"rss_shmem_mib", "RssShmem", "MiB"},
      {"guest_ram_rss_mib", "guest RAM resident (not overhead)", "MiB"},
  };
  report.peer_key = "qemu_microvm";
  report.targets = {{"first guest instruction ≤ 5 ms", "hull_vmm_elf", "first_instruction_ms", 5},
                    {"resident overhead ≤ 3 MiB", "hull_vmm_elf", "rss_overhead_mib", 3}};
  report.notes = {
      "start: CLOCK_MONOTONIC in the driver just before vfork()+execve() of the VMM.",
      "first guest instruction: hull-vmm prints CLOCK_MONOTONIC just before vCPU 0's first "
      "KVM_RUN (HULL_VMM_BOOT_TRACE=1); QEMU's is the first `kvm_vcpu_ioctl ... type 0xae80` "
      "(KVM_RUN) of its log trace backend (`-msg timestamp=on -trace "
      "enable=kvm_vcpu_ioctl`, CLOCK_REALTIME in µs, converted). QEMU's first instruction "
      "comes from separate traced runs, because its tracing slows every later exit; its "
      "first instruction is its firmware's (qboot), hull-vmm's is the kernel's.",
      "first serial byte: the driver's poll() on the VMM's stdout pipe (the guest's 8250 "
      "console) wakes up; `hello` guest.",
      "exit: the driver's poll() on a pidfd of the VMM wakes up; the exit status is checked "
      "(hull-vmm 0, QEMU 1 = isa-debug-exit's (0 << 1) | 1).",
      "resident overhead: `spin` guest with memfd-backed guest RAM; " +
          std::to_string(o.settle_ms) +
          " ms after the first serial byte the driver reads /proc/PID/status and "
          "/proc/PID/smaps, then SIGKILLs the VMM. Overhead = VmRSS minus the Rss of the "
          "guest RAM mappings (memfd mappings of ≥ 1 MiB). On an ordinary host that equals "
          "RssAnon + RssFile (guest RAM being the only shmem); where the VMM's binary and "
          "libraries live on tmpfs (the nested VM) their pages count as RssShmem instead of "
          "RssFile, so RssAnon + RssFile would miss them. Both include the resident pages "
          "of the binary and its shared libraries.",
      "each repetition runs every VMM once, in a rotating order; median and p90 (nearest "
      "rank) over the repetitions.",
  };
}

base::Result<Options> ParseFlags(int argc, char** argv) {
  Options o;
  po::options_description desc("Options");
  desc.add_options()
      ("hull-vmm", po::value(&o.setup.hull_vmm)->default_value(o.setup.hull_vmm), "hull-vmm binary")
      ("guest-elf", po::value(&o.setup.guest_elf)->default_value(o.setup.guest_elf),
       "test guest, ELF")
      ("guest-bzimage", po::value(&o.setup.guest_bzimage)->default_value(o.setup.guest_bzimage),
       "test guest, bzImage")
      ("qemu", po::value(&o.setup.qemu)->default_value(o.setup.qemu), "qemu-system-x86_64 binary")
      ("qemu-bios", po::value(&o.setup.qemu_bios), "firmware for QEMU's -bios (default: its own, "
       "bios-microvm.bin = qboot)")
      ("repetitions,n", po::value(&o.repetitions)->default_value(o.repetitions),
       "timed repetitions per VMM")
      ("memory-repetitions", po::value(&o.memory_repetitions)->default_value(o.memory_repetitions),
       "memory measurements per VMM")
      ("warmup", po::value(&o.warmup)->default_value(o.warmup), "discarded repetitions first")
      ("settle-ms", po::value(&o.settle_ms)->default_value(o.settle_ms),
       "memory: wait after the first serial byte")
      ("memory-mib", po::value(&o.setup.memory_mib)->default_value(o.setup.memory_mib), "guest RAM")
      ("timeout", po::value(&o.timeout_s)->default_value(o.timeout_s), "seconds per VMM run")
      ("json", po::value(&o.json_path), "also write the report as JSON to this file")
      ("markdown", po::value(&o.markdown_path), "also write the Markdown report to this file")
      ("warning", po::value(&o.warnings)->composing(), "a caveat for the report's header "
       "(repeatable)")
      ("environment", po::value(&o.environment)->composing(), "LABEL=VALUE for the report's "
       "environment section (repeatable)")
      ("confinement", po::bool_switch(&o.confinement), "measure what seccomp and hull-jailer "
       "cost instead of comparing with QEMU (needs root)")
      ("hull-jailer", po::value(&o.jailer)->default_value(o.jailer), "hull-jailer binary")
      ("jail-base", po::value(&o.jail_base)->default_value(o.jail_base), "--chroot-base for it")
      ("merge", po::value(&o.merge)->multitoken(), "run nothing: pool the samples of these "
       "JSON reports (of runs with the same other flags) into one report")
      ("help,h", "print this help");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return base::Status::Error(e.what());
  }
  if (vm.count("help")) {
    std::cout << "Usage: vmm_boot_bench [OPTIONS]\n\n" << desc;
    std::exit(0);
  }
  if (o.repetitions < 1 || o.memory_repetitions < 0 || o.warmup < 0 || o.settle_ms < 0 ||
      o.setup.memory_mib < 2 || o.timeout_s < 1) {
    return base::Status::Error("repetitions ≥ 1, memory-mib ≥ 2, timeout ≥ 1, others ≥ 0");
  }
  if (!o.merge.empty()) return o;  // nothing runs
  if (o.confinement) {
    o.memory_repetitions = 0;
    o.setup.qemu = o.jailer;  // checked below instead of QEMU, which this mode does not run
  } else {
    std::optional<std::string> qemu = FindInPath(o.setup.qemu);
    if (!qemu) return base::Status::Error(o.setup.qemu + " not found in PATH");
    o.setup.qemu = *qemu;
  }
  for (const std::string* path :
       {&o.setup.hull_vmm, &o.setup.guest_elf, &o.setup.guest_bzimage, &o.setup.qemu}) {
    if (access(path->c_str(), R_OK) != 0) return base::Status::Errno("cannot read " + *path);
  }
  if (access("/dev/kvm", R_OK | W_OK) != 0) {
    return base::Status::Errno("no usable /dev/kvm (benchmarks/run.sh runs this benchmark "
                               "under KVM nested inside QEMU/TCG where the host has none)");
  }
  return o;
}

// The drive the --confinement stream reads: 1 MiB of a pattern, readable by the jail's
// user; removed when this goes away.
class StreamDisk {
 public:
  explicit StreamDisk(std::string path) : path_(std::move(path)) {
    std::string data(1 << 20, '\0');
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + (i >> 12));
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << data;
    ::chmod(path_.c_str(), 0644);
  }
  ~StreamDisk() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Run(const Options& o, BootReport& report) {
  std::optional<StreamDisk> disk;
  if (o.confinement) disk.emplace(o.jail_base + "-stream-" + std::to_string(getpid()) + ".img");
  std::vector<Vmm> vmms = o.confinement
                              ? BuildConfinementVmms(o.setup, o.jailer, o.jail_base, disk->path())
                              : BuildVmms(o.setup);
  for (const Vmm& vmm : vmms) {
    VmmResults results;
    results.key = vmm.key;
    results.title = vmm.title;
    std::string env = vmm.env.empty() ? "" : JoinCommand(vmm.env) + " ";
    results.commands.push_back(env + JoinCommand(vmm.hello));
    if (!vmm.traced_hello.empty()) results.commands.push_back(JoinCommand(vmm.traced_hello));
    if (!vmm.stream.empty()) results.commands.push_back(JoinCommand(vmm.stream));
    if (!vmm.spin.empty()) results.commands.push_back(JoinCommand(vmm.spin));
    report.vmms.push_back(results);
  }
  int total = o.warmup + std::max(o.repetitions, o.memory_repetitions);
  for (int rep = 0; rep < total; ++rep) {
    bool warmup = rep < o.warmup;
    int timed = rep - o.warmup;
    std::fprintf(stderr, "vmm_boot_bench: %s %d/%d\n", warmup ? "warm-up" : "repetition",
                 warmup ? rep + 1 : timed + 1, warmup ? o.warmup : total - o.warmup);
    for (size_t i = 0; i < vmms.size(); ++i) {
      size_t k = (i + static_cast<size_t>(rep)) % vmms.size();  // rotate who goes first
      VmmResults scratch;  // warm-up results are dropped, its failures are not
      VmmResults& out = warmup ? scratch : report.vmms[k];
      if (warmup || timed < o.repetitions) MeasureTiming(o, vmms[k], out, report.failures);
      if (!vmms[k].stream.empty() && (warmup || timed < o.repetitions)) {
        MeasureStream(o, vmms[k], out, report.failures);
      }
      if (!vmms[k].spin.empty() && (warmup || timed < o.memory_repetitions)) {
        MeasureMemory(o, vmms[k], out, report.failures);
      }
      // Which repetition each new sample came from, for paired ratios.
      for (auto& [metric, samples] : out.samples) {
        std::vector<int>& reps = out.sample_reps[metric];
        reps.resize(samples.size(), timed);
      }
    }
  }
}

}  // namespace
// --merge: the samples of several runs' JSON reports, pooled per VMM and metric, with the
// first report's environment; the runs' own summaries are recomputed from the pool.
base::Status MergeReports(const std::vector<std::string>& files, BootReport& report) {
  for (const std::string& file : files) {
    std::ifstream in(file);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.contains("vmms")) return base::Status::Error(file + ": not a vmm_boot_bench JSON report");
    bool first = &file == &files.front();
    if (j.contains("runs")) {
      for (const auto& run : j["runs"]) report.runs.push_back(run.get<std::string>());
    }
    if (first && j.contains("environment")) {
      for (const auto& [label, value] : j["environment"].items()) {
        if (label != "date" && label != "repetitions" && label != "pooled")
          report.environment.emplace_back(label, value.get<std::string>());
      }
    }
    if (first && j.contains("warnings")) report.warnings = j["warnings"].get<std::vector<std::string>>();
    // The configurations in the order the runs had them (JSON objects keep none).
    std::vector<std::string> order = j.value("vmm_order", std::vector<std::string>{});
    for (const auto& [key, v] : j["vmms"].items()) {
      if (std::find(order.begin(), order.end(), key) == order.end()) order.push_back(key);
    }
    for (const std::string& key : order) {
      if (!j["vmms"].contains(key)) continue;
      const nlohmann::json& v = j["vmms"][key];
      VmmResults* vmm = nullptr;
      for (VmmResults& r : report.vmms) {
        if (r.key == key) vmm = &r;
      }
      if (vmm == nullptr) {
        report.vmms.push_back({.key = key, .title = v.value("title", key),
                               .commands = v.value("commands", std::vector<std::string>{}),
                               .samples = {}, .sample_reps = {}, .not_available = {},
                               .guest_ram_mappings = {}});
        vmm = &report.vmms.back();
      }
      if (!v.contains("metrics")) continue;
      for (const auto& [metric, m] : v["metrics"].items()) {
        if (!m.contains("samples")) continue;
        std::vector<double>& pool = vmm->samples[metric];
        std::vector<int>& reps = vmm->sample_reps[metric];
        for (double x : m["samples"]) pool.push_back(x);
        // Repetitions of different files never pair: each file's are numbered apart.
        int offset = static_cast<int>(&file - &files.front()) * 100000000;
        if (m.contains("repetitions")) {
          for (int r : m["repetitions"]) reps.push_back(r < 0 ? -1 : offset + r);
        }
        reps.resize(pool.size(), -1);
      }
    }
    if (j.contains("failures")) {
      for (const auto& f : j["failures"]) report.failures.push_back(file + ": " + f.get<std::string>());
    }
  }
  std::string when;
  for (const std::string& d : report.runs) when += (when.empty() ? "" : ", ") + d;
  report.environment.insert(report.environment.begin(),
                            {"pooled", std::to_string(report.runs.size()) + " runs (" + when +
                                           "); every sample of every run, summarized together"});
  return base::Status::Ok();
}

}  // namespace hull::benchmarks

int main(int argc, char** argv) {
  using namespace hull::benchmarks;
  hull::base::Result<Options> options = ParseFlags(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "vmm_boot_bench: %s\n", options.status().message().c_str());
    return 2;
  }
  BootReport report;
  DescribeMethod(*options, report);
  if (!options->merge.empty()) {
    if (hull::base::Status s = MergeReports(options->merge, report); !s.ok()) {
      std::fprintf(stderr, "vmm_boot_bench: %s\n", s.message().c_str());
      return 2;
    }
  } else {
    DescribeEnvironment(*options, report);
    Run(*options, report);
  }
  std::string markdown = RenderMarkdown(report);
  std::cout << markdown << std::flush;
  if (!options->markdown_path.empty()) std::ofstream(options->markdown_path) << markdown;
  if (!options->json_path.empty()) {
    std::ofstream(options->json_path) << RenderJson(report).dump(2) << "\n";
  }
  return report.failures.empty() ? 0 : 1;
}
