#include "bench/bench_command.h"

#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/bench_network.h"
#include "bench/child_process.h"
#include "bench/image_timing.h"
#include "bench/suite.h"
#include "bench/report_files.h"
#include "bench/vm_on_tap.h"
#include "rootfs-builder/builtin_image.h"
#include "rootfs-builder/image_builder.h"
#include "rootfs-builder/local_sources.h"

namespace hull::bench {

namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

// The benchmark image in the private store.
constexpr const char* kBenchImage = "hull/bench:latest";
constexpr const char* kUsage = "hull bench [--quick] [--out DIR] [--runtimes LIST]";

std::string UtcNow(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string FirstLineOf(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "";
}

std::string HostDescription() {
  utsname u{};
  uname(&u);
  return std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " × " +
         FirstLineOf("/proc/cpuinfo", "model name") + ", " +
         std::to_string(sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) >> 30) + " GiB, Linux " +
         u.release;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// One line, redrawn in place on a terminal; plain lines otherwise.
class ProgressLine {
 public:
  ProgressLine() : tty_(isatty(STDERR_FILENO)), start_(Clock::now()) {}
  void Show(const std::string& text) {
    long s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start_).count();
    char clock[32];
    std::snprintf(clock, sizeof clock, "[%02ld:%02ld] ", s / 60, s % 60);
    std::string line = std::string(clock) + text;
    if (tty_) std::fprintf(stderr, "\r\033[K%s", line.substr(0, 150).c_str());
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
  void Done() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool tty_;
  Clock::time_point start_;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

struct Workspace {
  std::string dir;
  ~Workspace() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

// hull-bench-tool on this host: $HULL_BENCH_TOOL, else the one built with hull.
base::Result<std::string> FindBenchTool() {
  const char* env = std::getenv("HULL_BENCH_TOOL");
  std::string tool = env && *env ? env : HULL_BENCH_TOOL_DEFAULT_PATH;
  if (access(tool.c_str(), X_OK) != 0) {
    return base::Status::Error("no hull-bench-tool at " + tool +
                               ": build it (ninja hull-bench-tool) or set HULL_BENCH_TOOL");
  }
  return tool;
}

// The benchmark image in a private store — hull/busybox with hull-bench-tool added as
// /bin/hull-bench-tool, imported as kBenchImage — and that tree, which the OCI bundles
// and the plain qemu peer use (their containers write into it; hull's stays as built).
base::Status PrepareImage(BenchEnvironment& env) {
  ASSIGN_OR_RETURN(rootfs::ContentStore store, rootfs::ContentStore::Open(env.store));
  ASSIGN_OR_RETURN(rootfs::ImageRecord record, rootfs::EnsureBuiltinBusyboxImage(store));
  ASSIGN_OR_RETURN(rootfs::StoredImage image, rootfs::ReadStoredImage(store, record.manifest));
  ASSIGN_OR_RETURN(rootfs::RootfsOutputs outputs, rootfs::EnsureRootfs(store, image, false));
  env.tree = env.work + "/tree";
  if (RunQuietly({"cp", "-a", outputs.tree, env.tree}, std::chrono::seconds(120)) != 0 ||
      RunQuietly({"cp", env.tool, env.tree + "/bin/hull-bench-tool"}, std::chrono::seconds(60)) != 0) {
    return base::Status::Error("copying the image tree and hull-bench-tool to " + env.tree + " failed");
  }
  RETURN_IF_ERROR(rootfs::ImportRootfs(store, env.tree, kBenchImage).status());
  env.image = kBenchImage;
  return base::Status::Ok();
}

}  // namespace

int RunBench(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == kVmOnTapFlag) return RunVmOnTap({args.begin() + 1, args.end()});
  bool quick = false;
  std::string out, runtimes_text, work_parent;
  int timeout_s = 0;
  po::options_description options("Options");
  options.add_options()
      ("quick", po::bool_switch(&quick), "a short run: fewer repetitions, smaller work, fewer measures")
      ("out", po::value(&out), "report directory (default: ./hull-bench-<UTC date and time>)")
      ("runtimes", po::value(&runtimes_text),
       "comma-separated: vm-hull,vm-qemu,qemu-microvm,ns,crun,runc,runsc (default: all)")
      ("work-dir", po::value(&work_parent)->default_value("/var/tmp"),
       "where the private image store and bundles go (removed at the end)")
      ("timeout", po::value(&timeout_s), "seconds one run may take (default 120, 300 without --quick)")
      ("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: " << kUsage << "\n\n"
                << "Runs the same image (hull/busybox) under hull's micro-VM and namespace\n"
                << "runtimes and the peers installed here, and writes results.json, report.md\n"
                << "and charts/*.svg into the report directory.\n\n" << options;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hull: " << e.what() << "\nUsage: " << kUsage << "\n";
    return 2;
  }
  std::vector<std::string> ids = runtimes_text.empty() ? AllRuntimeIds() : SplitList(runtimes_text);
  for (const auto& id : ids) {
    if (std::find(AllRuntimeIds().begin(), AllRuntimeIds().end(), id) == AllRuntimeIds().end()) {
      std::cerr << "hull: --runtimes: unknown runtime \"" << id << "\"\n";
      return 2;
    }
  }
  if (out.empty()) out = "hull-bench-" + UtcNow("%Y%m%dT%H%M%SZ");
  // Whatever an instance leaves behind when its runtime ends comes back to us.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  ProgressLine progress;
  Workspace workspace;
  std::string tmpl = work_parent + "/hull-bench.XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    std::perror(("hull: mkdtemp " + tmpl).c_str());
    return 1;
  }
  workspace.dir = tmpl;
  BenchEnvironment env;
  env.work = workspace.dir;
  env.store = env.work + "/store";
  env.hull = fs::read_symlink("/proc/self/exe").string();
  auto tool = FindBenchTool();
  if (!tool.ok()) {
    std::fprintf(stderr, "hull: bench: %s\n", tool.status().message().c_str());
    return 1;
  }
  env.tool = *tool;

  Report report;
  report.quick = quick;
  report.hull_version = "hull 0.1.0";
  report.date = UtcNow("%Y-%m-%dT%H:%M:%SZ");
  report.host = HostDescription();
  report.load_average = LoadAverage();
  progress.Show("probing how guests execute here");
  GuestExecution guests = ProbeGuestExecution();
  report.guest_execution = guests.text;
  report.hardware_virtualization = guests.hardware;
  report.notes.push_back("image: hull/busybox (Debian's busybox-static) plus hull-bench-tool (static); "
                         "every runtime runs the same tree");
  report.notes.push_back("instances: hull's defaults (VMs 1 vCPU, 256 MiB); no network but for the "
                         "network measures; crun and runc inside `unshare -m` without "
                         "/sys/fs/cgroup/unified (crun 1.8 refuses hybrid cgroups)");

  progress.Show("preparing the image");
  if (base::Status s = PrepareImage(env); !s.ok()) {
    progress.Done();
    std::fprintf(stderr, "hull: bench: %s\n", s.message().c_str());
    return 1;
  }
  progress.Show("setting up the bench network");
  std::optional<BenchNetwork> network;
  if (auto net = BenchNetwork::Create(env.tool); net.ok()) {
    network.emplace(std::move(*net));
    env.host_netns = network->host_netns();
    env.container_netns = network->container_netns();
    env.reset_container_side = [&network] { return network->ResetContainerSide(); };
  } else {
    env.network_error = net.status().message();
  }
  std::vector<Runtime> runtimes = MakeRuntimes(env, guests, ids);
  for (const auto& r : runtimes) report.runtimes.push_back(r.info);

  SuiteOptions suite;
  suite.quick = quick;
  suite.run_timeout = std::chrono::seconds(timeout_s > 0 ? timeout_s : quick ? 120 : 300);
  suite.progress = [&](const std::string& text) { progress.Show(text); };
  report.measures = RunMeasures(runtimes, suite);
  progress.Show("image → rootfs");
  report.measures.push_back(MeasureImageToRootfs(env.work, quick ? 3 : 10, runtimes));
  progress.Done();
  network.reset();

  if (!WriteReportDirectory(report, out)) {
    std::fprintf(stderr, "hull: bench: could not write the report into %s\n", out.c_str());
    return 1;
  }
  std::cout << ReportToMarkdown(report) << "\nreport: " << out << "/report.md\n";
  return 0;
}

}  // namespace hull::bench
