// hull-vmm: the stand-alone VMM. Parses flags and/or a config file, builds the Machine
// and runs it; the exit status says how the guest ended (docs/hull-vmm.md). With
// --api-sock it also serves the per-VM API (vmm/api) on a Unix socket, and without a
// kernel it waits for the configuration there and boots on InstanceStart.
//
// Threads: main() builds and runs the VM (as Firecracker's VMM thread does); the API
// thread only parses requests and applies them through the api::Controller. SIGINT,
// SIGTERM and SIGHUP are blocked before any other thread starts, and are read only
// through signalfds on this thread (here while waiting for InstanceStart, then in
// Machine::Run).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "base/boot_trace.h"
#include "base/logging.h"
#include "devices/rng/rng_device.h"
#include "devices/vsock/vsock_device.h"  // virtio-vsock
#include "jailer/supervisor.h"
#include "vmm/api/controller.h"
#include "vmm/api/server.h"
#include "vmm/block_drives.h"
#include "vmm/config/flags.h"
#include "vmm/cpu/vm_end.h"
#include "vmm/machine.h"
#include "vmm/metrics/device_metrics.h"
#include "vmm/metrics/metrics_file.h"
#include "vmm/net_interfaces.h"
#include "vmm/seccomp/thread_filters.h"

namespace {

using namespace hull;

constexpr const char* kVersionNumber = "0.1.0";

int Fail(const base::Status& status) {
  LOG_ERROR << status.message();
  return vmm::kExitStatusVmmError;
}

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

int ReportEnd(const vmm::VmEnd& end) {
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

// The Machine with the virtio devices `config` asks for, in slot order.
base::Result<std::unique_ptr<vmm::Machine>> CreateMachine(const vmm::VmConfig& config) {
  std::vector<std::shared_ptr<devices::virtio::VirtioDevice>> virtio_devices;
  vmm::VmConfig machine_config = config;
  // --- virtio-blk drives (vmm/block_drives.h): first, in config order, so the guest
  // names them /dev/vda, /dev/vdb, ...; images are opened here, before boot.
  ASSIGN_OR_RETURN(auto drives, vmm::CreateBlockDevices(config));
  virtio_devices.insert(virtio_devices.end(), drives.begin(), drives.end());
  if (std::string root = vmm::RootDeviceArgs(config); !root.empty()) {
    machine_config.boot_args =
        (config.boot_args.empty() ? vmm::VmConfig::default_boot_args() : config.boot_args) + root;
  }
  // --- end of virtio-blk drives
  if (config.entropy) {
    auto limiter = devices::rate_limiter::RateLimiter::Create(config.entropy_rate_limiter);
    if (!limiter.ok()) return base::Status::Error("entropy rate limiter: " + limiter.status().message());
    virtio_devices.push_back(std::make_shared<devices::rng::RngDevice>(
        std::make_unique<devices::rng::GetrandomSource>(), *limiter));
  }
  // --- virtio-net: one device per network interface; taps are opened here, before boot.
  ASSIGN_OR_RETURN(auto net_devices, vmm::CreateNetDevices(config));
  virtio_devices.insert(virtio_devices.end(), net_devices.begin(), net_devices.end());
  // --- end virtio-net
  // --- virtio-vsock (devices/vsock): its Unix socket is bound here, before boot; it is
  // unlinked when the device goes away with the Machine.
  if (config.vsock) {
    ASSIGN_OR_RETURN(auto vsock, devices::vsock::VsockDevice::Create(
                                     {.guest_cid = config.vsock->guest_cid,
                                      .uds_path = config.vsock->uds_path}));
    virtio_devices.push_back(std::move(vsock));
  }
  // --- end virtio-vsock
  return vmm::Machine::Create(machine_config, std::move(virtio_devices));
}

// --metrics-path: the file (opened by main() before any thread starts), hull-vmm's
// resident memory, and the period.
struct MetricsOutput {
  std::unique_ptr<vmm::MetricsFile> file;  // null: no metrics file
  std::optional<vmm::ResidentMemory> rss;
  double period_s = 60;
};

// The running Machine as the API controller sees it.
class MachineVm final : public vmm::api::RunningVm {
 public:
  explicit MachineVm(vmm::Machine& machine) : machine_(machine) {}
  void Pause() override { machine_.Pause(); }
  void Resume() override { machine_.Resume(); }
  base::Status SendCtrlAltDel() override { return machine_.SendCtrlAltDel(); }
  // --- rate limiters and metrics (vmm/metrics/device_metrics.h)
  base::Status UpdateRateLimiters(const vmm::api::UpdateRateLimiters& u) override {
    if (u.kind == vmm::api::ConfigureDevice::Kind::kDrive) {
      return vmm::UpdateDriveRateLimiter(machine_.virtio_devices(), u.id, u.limiter);
    }
    return vmm::UpdateInterfaceRateLimiters(machine_.virtio_devices(), u.id, u.rx, u.tx);
  }
  std::string MetricsJson() override {
    return vmm::MachineMetricsJson(machine_.virtio_devices(), machine_.vcpu_exit_counts());
  }
  // --- end rate limiters and metrics

 private:
  vmm::Machine& machine_;
};

// Runs the VM until it ends. With a controller, the API sees the VM from when its vCPUs
// run until just before it is destroyed.
int RunToEnd(std::unique_ptr<vmm::Machine> machine, vmm::api::Controller* controller,
             MetricsOutput& metrics) {
  MachineVm vm(*machine);
  // Started before Run, which confines this thread so that it can start no more; the
  // flusher needs only write, lseek, read and futex, all in the API thread's filter.
  std::optional<vmm::MetricsFlusher> flusher;
  if (metrics.file) {
    flusher.emplace(
        metrics.file.get(), metrics.period_s,
        [&] { return vmm::ComposeMetrics(metrics.rss ? &*metrics.rss : nullptr, vm.MetricsJson()); },
        [] { vmm::seccomp::EnterThread(vmm::seccomp::ThreadKind::kApi); });
  }
  vmm::VmEnd end = machine->Run([&] {
    if (controller != nullptr) controller->Started(&vm);
  });
  if (flusher) flusher->Stop();  // the last line, while the devices still exist
  if (controller != nullptr) controller->Ended();
  machine.reset();  // joins the vCPU threads before we report
  return ReportEnd(end);
}

// --api-sock: serve the API; boot at once when the flags name a kernel, else on
// InstanceStart. The socket file is removed on every way out (ApiServer's destructor).
int ServeApi(const vmm::VmmCommandLine& flags, MetricsOutput& metrics) {
  base::Result<std::unique_ptr<vmm::api::Controller>> controller =
      vmm::api::Controller::Create(flags.config, {.vmm_version = kVersionNumber});
  if (!controller.ok()) return Fail(controller.status());
  (*controller)->SetMetricsFile(metrics.file.get());
  const bool boot_now = !flags.config.kernel_image_path.empty();
  // Before the API serves, so no pre-boot request slips in and is then ignored.
  if (boot_now) (*controller)->BootingFromConfig();
  base::Result<std::unique_ptr<vmm::api::ApiServer>> server =
      vmm::api::ApiServer::Start(flags.api_sock, **controller);
  if (!server.ok()) return Fail(server.status());

  if (boot_now) {
    base::Result<std::unique_ptr<vmm::Machine>> machine = CreateMachine(flags.config);
    if (!machine.ok()) {
      (*controller)->Ended();
      return Fail(machine.status());
    }
    return RunToEnd(std::move(*machine), controller->get(), metrics);
  }

  sigset_t stop_signals = StopSignals();
  base::UniqueFd signal_fd(signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (signal_fd.get() < 0) return Fail(base::Status::Errno("signalfd"));
  LOG_INFO << "waiting for the VM configuration on " << flags.api_sock;
  for (;;) {
    pollfd fds[2] = {{signal_fd.get(), POLLIN, 0}, {(*controller)->start_fd(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      (*controller)->Ended();
      return Fail(base::Status::Errno("poll"));
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd.get(), &info, sizeof(info)) == sizeof(info)) {
        (*controller)->Ended();
        if (metrics.file) (void)metrics.file->Write([&] { return (*controller)->MetricsText(); });
        return ReportEnd({vmm::VmEndKind::kSignal, info.ssi_signo, "before the VM was started"});
      }
    }
    if (!(fds[1].revents & POLLIN)) continue;
    std::optional<vmm::VmConfig> config = (*controller)->TakeStartRequest();
    if (!config) continue;
    base::Result<std::unique_ptr<vmm::Machine>> machine = CreateMachine(*config);
    if (!machine.ok()) {
      LOG_WARNING << "InstanceStart failed: " << machine.status().message();
      (*controller)->StartFailed(machine.status());
      continue;
    }
    return RunToEnd(std::move(*machine), controller->get(), metrics);
  }
}

int RunVmm(int argc, char** argv) {
  base::SetLogProgramName("hull-vmm");
  base::InitLoggingFromEnv();

  base::Result<vmm::VmmCommandLine> flags = vmm::ParseVmmFlags(argc, argv);
  if (!flags.ok()) return Fail(flags.status());
  if (flags->help) {
    std::cout << flags->help_text;
    return 0;
  }
  if (flags->version) {
    std::cout << "hull-vmm " << kVersionNumber << "\n";
    return 0;
  }
  if (flags->log_level) base::SetLogLevel(*flags->log_level);
  for (const std::string& note : flags->notes) LOG_INFO << note;

  // --- seccomp (vmm/seccomp/thread_filters.h): every filter is compiled before any
  // thread starts; each thread installs its own.
  if (base::Status s = vmm::seccomp::Prepare(flags->seccomp); !s.ok()) return Fail(s);
  // --- end seccomp

  // Before any thread starts (the API thread, vCPU threads): every thread inherits the
  // mask, so only this thread's signalfds ever take a stop signal.
  sigset_t stop_signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // --- metrics file (vmm/metrics/metrics_file.h): opened before any thread starts.
  MetricsOutput metrics;
  if (!flags->config.metrics_path.empty()) {
    auto file = vmm::MetricsFile::Open(flags->config.metrics_path);
    if (!file.ok()) return Fail(file.status().WithContext("--metrics-path"));
    metrics.file = std::move(*file);
    if (auto rss = vmm::ResidentMemory::Open(); rss.ok()) metrics.rss = std::move(*rss);
    metrics.period_s = flags->config.metrics_period_s;
  }
  // --- end metrics file

  if (!flags->api_sock.empty()) return ServeApi(*flags, metrics);
  base::BootMark("vmm-flags");
  base::Result<std::unique_ptr<vmm::Machine>> machine = CreateMachine(flags->config);
  if (!machine.ok()) return Fail(machine.status());
  base::BootMark("machine");
  return RunToEnd(std::move(*machine), nullptr, metrics);
}

}  // namespace

// `hull-vmm --jail JAIL-FLAGS -- VMM-FLAGS`: the jailer (jailer/supervisor.h) builds its
// jail around a child of this process, which then runs the VMM there (no second exec);
// this process stays outside as the jail's supervisor.
int main(int argc, char** argv) {
  base::BootMark("main");
  if (argc > 1 && std::string_view(argv[1]) == "--jail") {
    return jailer::JailerMain(argc - 1, argv + 1, jailer::JailMode::kSelf,
                              [argv](const std::vector<std::string>& vmm_args) {
                                std::vector<std::string> text = vmm_args;
                                std::vector<char*> vmm_argv = {argv[0]};
                                for (std::string& a : text) vmm_argv.push_back(a.data());
                                vmm_argv.push_back(nullptr);
                                return RunVmm(static_cast<int>(vmm_argv.size() - 1), vmm_argv.data());
                              });
  }
  return RunVmm(argc, argv);
}
