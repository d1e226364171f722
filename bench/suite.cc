#include "bench/suite.h"

#include <unistd.h>

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "bench/bench_network.h"
#include "bench/child_process.h"
#include "bench/tool_output.h"

namespace hull::bench {

namespace {

constexpr char kReady[] = "hull-bench-ready";
constexpr char kStart[] = "hull-bench-start";
constexpr char kMid[] = "hull-bench-mid";
constexpr char kEnd[] = "hull-bench-end";
constexpr char kToolInImage[] = "/bin/hull-bench-tool";

using Value = std::function<std::optional<double>(const RunResult&)>;

struct Output {
  Measure measure;  // its cells are filled in
  Value value;
};

// One command run `reps` times per runtime, giving one or more measures.
struct Workload {
  Argv command;
  int reps = 1;
  std::vector<Output> outputs;
  bool network = false;  // run on the bench network (Runtime::net)
};

// Sizes of the work, smaller for --quick.
struct Sizes {
  int reps_start, reps_work, reps_memory;
  int sha_mib, forks, dd_bytes, file_mib;
  int randio_mib, randio_ops;
  int net_mib, net_pings;
  int density_cap, density_budget_mib;
  std::chrono::milliseconds settle;
};

Sizes SizesFor(bool quick) {
  if (quick) return {5, 2, 2, 8, 100, 20000, 16, 16, 2000, 16, 1000, 4, 256, std::chrono::milliseconds(500)};
  return {15, 5, 5, 64, 500, 200000, 64, 64, 20000, 128, 5000, 16, 512, std::chrono::milliseconds(2000)};
}

// A value of the line hull-bench-tool printed (bench/tool_output.h).
Value Tool(const char* tag, const char* key) {
  return [=](const RunResult& r) { return ToolValue(r.output, tag, key); };
}

Measure Make(std::string id, std::string title, std::string unit, bool higher, std::string how) {
  Measure m;
  m.id = std::move(id);
  m.title = std::move(title);
  m.unit = std::move(unit);
  m.higher_is_better = higher;
  m.how = std::move(how);
  return m;
}

Value Between(const char* from, const char* to, std::function<double(double ms)> convert) {
  return [=](const RunResult& r) -> std::optional<double> {
    auto a = r.markers.find(from), b = r.markers.find(to);
    if (a == r.markers.end() || b == r.markers.end()) return std::nullopt;
    return convert(b->second - a->second);
  };
}

Argv Shell(const std::string& script) { return {"sh", "-c", script}; }

std::vector<Workload> Workloads(const Sizes& z) {
  std::vector<Workload> w;
  auto ms = [](double v) { return v; };
  w.push_back({{"true"}, z.reps_start,
               {{Make("start_exit", "start → exit of `true`", "ms", false,
                      "the runtime's own command line runs `true` in a new instance; time from "
                      "starting that command to its exit (setup, run and teardown)"),
                 [](const RunResult& r) { return std::optional<double>(r.exit_ms); }}}});
  w.push_back({{"echo", kReady}, z.reps_start,
               {{Make("first_output", "start → first output", "ms", false,
                      std::string("`echo ") + kReady + "`; time from starting the command to "
                      "that line arriving on its stdout"),
                 [](const RunResult& r) -> std::optional<double> {
                   auto it = r.markers.find(kReady);
                   if (it == r.markers.end()) return std::nullopt;
                   return it->second;
                 }}}});
  std::string sha = std::to_string(z.sha_mib);
  w.push_back({Shell(std::string("echo ") + kStart + "; head -c " + std::to_string(z.sha_mib << 20) +
                     " /dev/zero | sha256sum >/dev/null; echo " + kEnd),
               z.reps_work,
               {{Make("cpu_sha256", "CPU: SHA-256 of " + sha + " MiB", "ms", false,
                      "busybox `head -c " + sha + "MiB /dev/zero | sha256sum` inside the "
                      "container, timed between marker lines it prints before and after"),
                 Between(kStart, kEnd, ms)}}});
  int forks = z.forks;
  w.push_back({Shell(std::string("echo ") + kStart + "; i=0; while [ $i -lt " + std::to_string(forks) +
                     " ]; do /bin/true; i=$((i+1)); done; echo " + kEnd),
               z.reps_work,
               {{Make("fork_exec", "syscalls: fork + exec", "µs per fork+exec", false,
                      "a busybox sh loop running /bin/true " + std::to_string(forks) +
                      " times (fork, exec, exit, wait), between marker lines"),
                 Between(kStart, kEnd, [forks](double v) { return v * 1000 / forks; })}}});
  int bytes = z.dd_bytes;
  w.push_back({Shell(std::string("echo ") + kStart + "; dd if=/dev/zero of=/dev/null bs=1 count=" +
                     std::to_string(bytes) + " 2>/dev/null; echo " + kEnd),
               z.reps_work,
               {{Make("syscall", "syscalls: read + write of 1 byte", "µs per syscall", false,
                      "busybox `dd bs=1 count=" + std::to_string(bytes) + "` from /dev/zero to "
                      "/dev/null: " + std::to_string(2 * bytes) + " cheap system calls (the getpid "
                      "kind), between marker lines"),
                 Between(kStart, kEnd, [bytes](double v) { return v * 1000 / (2.0 * bytes); })}}});
  double mib = z.file_mib;
  std::string file_mib = std::to_string(z.file_mib);
  w.push_back({Shell(std::string("echo ") + kStart + "; dd if=/dev/zero of=/hull-bench.dat bs=1048576 count=" +
                     file_mib + " conv=fsync 2>/dev/null; echo " + kMid +
                     "; dd if=/hull-bench.dat of=/dev/null bs=1048576 2>/dev/null; echo " + kEnd +
                     "; rm -f /hull-bench.dat"),
               z.reps_work,
               {{Make("file_seq_write", "file: sequential write + fsync", "MiB/s", true,
                      "busybox `dd bs=1M count=" + file_mib + " conv=fsync` to a new file in the "
                      "container's root (its writable layer)"),
                 Between(kStart, kMid, [mib](double v) { return mib / (v / 1000); })},
                {Make("file_seq_read", "file: sequential read", "MiB/s", true,
                      "the same file read back with `dd bs=1M` (mostly from the page cache: the "
                      "guest's for VMs, the host's otherwise)"),
                 Between(kMid, kEnd, [mib](double v) { return mib / (v / 1000); })}}});
  std::string rmib = std::to_string(z.randio_mib), ops = std::to_string(z.randio_ops);
  w.push_back({{kToolInImage, "randio", "/hull-bench-rand.dat", rmib, ops},
               z.reps_work,
               {{Make("file_random_read", "file: 4 KiB random reads", "IOPS", true,
                      "hull-bench-tool (static, in the image): " + ops + " `pread`s of 4 KiB at "
                      "random offsets of a new " + rmib + " MiB file in the container's root, one "
                      "process — mostly the page cache (the guest's in a VM)"),
                 Tool(kRandioTag, "read_iops")},
                {Make("file_random_write", "file: 4 KiB random writes + fdatasync", "IOPS", true,
                      "then " + ops + " `pwrite`s of 4 KiB at random offsets of that file and one "
                      "`fdatasync`, all timed"),
                 Tool(kRandioTag, "write_iops")}}});
  std::string nmib = std::to_string(z.net_mib), pings = std::to_string(z.net_pings);
  Workload net{{kToolInImage, "client", kHostAddressArg, std::to_string(kServerPort), nmib, pings},
               z.reps_work,
               {{Make("net_rtt", "network: TCP round trip container ↔ host", "µs", false,
                      "hull-bench-tool in the container: the mean of " + pings + " 1-byte TCP "
                      "ping-pongs (TCP_NODELAY), timed together with hull-bench-tool on the host end, in hull "
                      "bench's own network namespace (a veth for namespace containers and gVisor, "
                      "a tap for VMs)"),
                 Tool(kNetTag, "rtt_us")},
                {Make("net_tx", "network: TCP container → host", "Mbit/s", true,
                      nmib + " MiB sent over one TCP connection to the host end, timed from "
                      "connect until the host confirmed it had all"),
                 Tool(kNetTag, "tx_mbit_s")},
                {Make("net_rx", "network: TCP host → container", "Mbit/s", true,
                      nmib + " MiB from the host end over one TCP connection, timed from connect "
                      "to the end of the stream"),
                 Tool(kNetTag, "rx_mbit_s")}}};
  net.network = true;
  w.push_back(std::move(net));
  return w;
}

std::string NewName() {
  static int counter = 0;
  return "hull-bench-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

// One run of `command` in a new instance; the instance is cleaned up before it returns.
// On the bench network (`network`), the runtime's NetworkAccess runs it, with its host
// end's address in place of kHostAddressArg.
base::Result<RunResult> RunOnce(const Runtime& rt, const Argv& command,
                                const SuiteOptions& options, bool network = false) {
  std::string name = NewName();
  Argv cmd = command;
  if (network) {
    for (auto& arg : cmd) {
      if (arg == kHostAddressArg) arg = rt.net->host_address;
    }
    if (rt.net->prepare) RETURN_IF_ERROR(rt.net->prepare());
  }
  auto argv = network ? rt.net->argv(cmd, name) : rt.argv(cmd, name);
  if (!argv.ok()) return argv.status();
  auto child = ChildProcess::Start(*argv, {kReady, kStart, kMid, kEnd});
  if (!child.ok()) return child.status();
  RunResult r = child->Wait(Clock::now() + options.run_timeout);
  if (rt.cleanup) rt.cleanup(name);
  ReapOrphans();
  if (r.ok() && rt.check) {
    if (std::string error = rt.check(r); !error.empty()) return base::Status::Error(error);
  }
  return r;
}

// An idle instance: started, waited for until it printed kReady.
struct Idle {
  std::string name;
  std::optional<ChildProcess> child;
};

base::Result<Idle> StartIdle(const Runtime& rt, const SuiteOptions& options) {
  Idle idle{NewName(), std::nullopt};
  auto argv = rt.argv(Shell(std::string("echo ") + kReady + "; exec sleep 600"), idle.name);
  if (!argv.ok()) return argv.status();
  auto child = ChildProcess::Start(*argv);
  if (!child.ok()) return child.status();
  idle.child.emplace(std::move(*child));
  if (!idle.child->WaitForMarker(kReady, Clock::now() + options.run_timeout)) {
    RunResult r = idle.child->exited() ? idle.child->Wait(Clock::now()) : idle.child->Stop(std::chrono::seconds(10));
    if (rt.cleanup) rt.cleanup(idle.name);
    return base::Status::Error("the idle instance never printed its ready line: " + r.Describe());
  }
  return idle;
}

void StopIdle(const Runtime& rt, Idle& idle) {
  idle.child->Stop(std::chrono::seconds(15));
  if (rt.cleanup) rt.cleanup(idle.name);
}

double PssMib(const Idle& idle) {
  return static_cast<double>(PssKib(ProcessTree(idle.child->pid()))) / 1024;
}

class Runner {
 public:
  Runner(const std::vector<Runtime>& runtimes, const SuiteOptions& options)
      : options_(options), sizes_(SizesFor(options.quick)) {
    for (const auto& r : runtimes) {
      if (r.info.unavailable.empty()) runtimes_.push_back(&r);
    }
  }

  std::vector<Measure> Run() {
    WarmUp();
    std::vector<Measure> out;
    auto workloads = Workloads(sizes_);
    for (auto& w : workloads) {
      RunWorkload(w);
      if (w.outputs[0].measure.id == "first_output") {  // memory next, as the report lists it
        for (auto& o : w.outputs) out.push_back(std::move(o.measure));
        out.push_back(IdleMemory());
        out.push_back(Density());
        continue;
      }
      for (auto& o : w.outputs) out.push_back(std::move(o.measure));
    }
    return out;
  }

 private:
  void Progress(const std::string& what, const Runtime& rt, int rep, int reps) {
    if (options_.progress) {
      options_.progress(what + " · " + rt.info.label + " · " + std::to_string(rep) + "/" +
                        std::to_string(reps));
    }
  }

  // One discarded run each (caches, page cache); a runtime that cannot run `true` is
  // not asked to do anything else.
  void WarmUp() {
    for (const Runtime* rt : runtimes_) {
      Progress("warm-up", *rt, 1, 1);
      auto r = RunOnce(*rt, {"true"}, options_);
      if (!r.ok()) broken_[rt->info.id] = "warm-up run: " + r.status().message();
      else if (!r->ok()) broken_[rt->info.id] = "warm-up run: " + r->Describe();
    }
  }

  // Fills `m`'s cell for a broken runtime; true if it was.
  bool MarkBroken(const Runtime& rt, Measure& m) {
    auto it = broken_.find(rt.info.id);
    if (it == broken_.end()) return false;
    m.cells[rt.info.id] = Cell{std::nullopt, it->second, true};
    return true;
  }

  void RunWorkload(Workload& w) {
    std::map<std::string, std::vector<std::vector<double>>> samples;
    std::map<std::string, std::string> first_error;
    std::map<std::string, int> failures;
    for (int rep = 1; rep <= w.reps; ++rep) {
      for (const Runtime* rt : runtimes_) {
        const std::string& id = rt->info.id;
        if (broken_.count(id) || (w.network && !rt->net)) continue;
        Progress(w.outputs[0].measure.title, *rt, rep, w.reps);
        auto r = RunOnce(*rt, w.command, options_, w.network);
        std::string error = !r.ok() ? r.status().message() : !r->ok() ? r->Describe() : "";
        std::vector<double> values;
        for (auto& o : w.outputs) {
          if (!error.empty()) break;
          auto v = o.value(*r);
          if (!v) error = "the container did not print its marker lines: " + r->Describe();
          else values.push_back(*v);
        }
        if (!error.empty()) {  // recorded; the other repetitions still run
          if (!failures[id]++) first_error[id] = error;
          continue;
        }
        auto& per_output = samples[id];
        per_output.resize(w.outputs.size());
        for (size_t i = 0; i < values.size(); ++i) per_output[i].push_back(values[i]);
      }
    }
    for (const Runtime* rt : runtimes_) {
      for (size_t i = 0; i < w.outputs.size(); ++i) {
        Measure& m = w.outputs[i].measure;
        const std::string& id = rt->info.id;
        if (MarkBroken(*rt, m)) continue;
        if (w.network && !rt->net) {
          m.cells[id] = Cell{std::nullopt, "not measured: " + rt->net_unavailable, false};
          continue;
        }
        m.cells[id] = WithFailures(samples[id].empty() ? std::vector<double>() : samples[id][i],
                                   failures[id], w.reps, first_error[id]);
        if (w.network && !rt->net->note.empty() && m.cells[id].summary) {
          m.cells[id].note = rt->net->note + (m.cells[id].note.empty() ? "" : " " + m.cells[id].note);
        }
      }
    }
  }

  // The cell for `values` when `failures` of `reps` runs failed with `error` first.
  static Cell WithFailures(const std::vector<double>& values, int failures, int reps,
                           const std::string& error) {
    if (values.empty()) return Cell{std::nullopt, error, true};
    Cell cell{Summarize(values), "", false};
    if (failures > 0) {
      cell.note = "(" + std::to_string(failures) + " of " + std::to_string(reps) + " runs failed)";
      cell.error = error;
    }
    return cell;
  }

  Measure IdleMemory() {
    Measure m = Make("memory_idle", "host memory per idle instance", "MiB", false,
                     "an instance running `sleep`, after it printed a line and " +
                         std::to_string(sizes_.settle.count()) + " ms more: the PSS "
                         "(smaps_rollup) of every host process of the instance — the runtime's, "
                         "the container's, the VMM with the guest memory it touched");
    std::map<std::string, std::vector<double>> samples;
    std::map<std::string, std::string> first_error;
    std::map<std::string, int> failures;
    for (int rep = 1; rep <= sizes_.reps_memory; ++rep) {
      for (const Runtime* rt : runtimes_) {
        const std::string& id = rt->info.id;
        if (MarkBroken(*rt, m)) continue;
        Progress(m.title, *rt, rep, sizes_.reps_memory);
        auto idle = StartIdle(*rt, options_);
        if (!idle.ok()) {
          if (!failures[id]++) first_error[id] = idle.status().message();
          continue;
        }
        std::this_thread::sleep_for(sizes_.settle);
        samples[id].push_back(PssMib(*idle));
        StopIdle(*rt, *idle);
        ReapOrphans();
      }
    }
    for (const Runtime* rt : runtimes_) {
      const std::string& id = rt->info.id;
      if (!broken_.count(id)) m.cells[id] = WithFailures(samples[id], failures[id], sizes_.reps_memory, first_error[id]);
    }
    return m;
  }

  Measure Density() {
    Measure m = Make("density", "density: idle instances in " + std::to_string(sizes_.density_budget_mib) +
                                    " MiB", "instances", true,
                     "idle instances started one after another, all kept running, until their "
                     "summed PSS would pass " + std::to_string(sizes_.density_budget_mib) +
                         " MiB or " + std::to_string(sizes_.density_cap) +
                         " are running (the cap; then the budget over the mean PSS per instance "
                         "estimates how many would fit)");
    for (const Runtime* rt : runtimes_) {
      if (MarkBroken(*rt, m)) continue;
      std::vector<Idle> running;
      std::string error;
      double total = 0;
      int fitting = 0;
      while (fitting < sizes_.density_cap) {
        Progress(m.title, *rt, fitting + 1, sizes_.density_cap);
        auto idle = StartIdle(*rt, options_);
        if (!idle.ok()) {
          error = idle.status().message();
          break;
        }
        running.push_back(std::move(*idle));
        std::this_thread::sleep_for(sizes_.settle / 2);
        total = 0;
        for (const auto& i : running) total += PssMib(i);
        if (total > sizes_.density_budget_mib) break;
        fitting = static_cast<int>(running.size());
      }
      for (auto& i : running) StopIdle(*rt, i);
      ReapOrphans();
      if (fitting == 0 && !error.empty()) {
        m.cells[rt->info.id] = Cell{std::nullopt, error, true};
        continue;
      }
      Cell cell{Summarize({static_cast<double>(fitting)}), "", false};
      double per = running.empty() ? 0 : total / static_cast<double>(running.size());
      if (fitting == sizes_.density_cap && per > 0) {
        cell.note = "(the cap; budget / PSS ≈ " + FormatNumber(std::floor(sizes_.density_budget_mib / per)) + ")";
      }
      if (!error.empty()) cell.note += " then a start failed: " + error;
      m.cells[rt->info.id] = cell;
    }
    return m;
  }

  SuiteOptions options_;
  Sizes sizes_;
  std::vector<const Runtime*> runtimes_;
  std::map<std::string, std::string> broken_;  // runtime id → why it is not asked further
};

}  // namespace

std::vector<Measure> RunMeasures(const std::vector<Runtime>& runtimes, const SuiteOptions& options) {
  return Runner(runtimes, options).Run();
}

}  // namespace hull::bench
