#include "vmm/machine.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/logging.h"
#include "devices/legacy/exit_port.h"
#include "devices/legacy/i8042.h"
#include "vmm/cpu/cpuid.h"
#include "vmm/cpu/msrs.h"
#include "vmm/kvm/kvm_irq_line.h"
#include "vmm/kvm/kvm_vcpu.h"
#include "vmm/seccomp/thread_filters.h"

namespace hull::vmm {
namespace {

constexpr size_t kMaxKernelBytes = 512u << 20;
constexpr size_t kMaxInitrdBytes = 2048u << 20;

double MonotonicSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

base::Result<std::string> ReadInput(const std::string& path, size_t limit, const char* what) {
  base::Result<std::string> data = base::ReadFileToString(path, limit);
  if (!data.ok()) return data.status().WithContext(std::string("cannot read ") + what);
  if (data->empty()) return base::Status::Error(std::string(what) + " " + path + " is empty");
  return data;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Puts a terminal on stdin into character-at-a-time mode for the serial console, and
// restores it. Ctrl-C still reaches hull-vmm (ISIG stays on).
class TerminalMode {
 public:
  TerminalMode() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~TerminalMode() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace

Machine::Machine(VmConfig config, GuestRam ram, kvm::KvmSystem kvm, kvm::KvmVm vm)
    : config_(std::move(config)), ram_(std::move(ram)), kvm_(std::move(kvm)), vm_(std::move(vm)) {}

Machine::~Machine() { StopVcpus(); }

base::Result<std::unique_ptr<Machine>> Machine::Create(
    const VmConfig& config,
    std::vector<std::shared_ptr<devices::virtio::VirtioDevice>> virtio_devices) {
  RETURN_IF_ERROR(ValidateVmConfig(config));
  ASSIGN_OR_RETURN(std::string kernel, ReadInput(config.kernel_image_path, kMaxKernelBytes, "kernel"));
  std::string initrd;
  if (!config.initrd_path.empty()) {
    ASSIGN_OR_RETURN(initrd, ReadInput(config.initrd_path, kMaxInitrdBytes, "initrd"));
  }
  ASSIGN_OR_RETURN(GuestRam ram,
                   GuestRam::Allocate({.size_bytes = config.mem_size_mib << 20,
                                       .memfd = config.memory_backing == MemoryBacking::kMemfd,
                                       .huge_pages = config.huge_pages == HugePages::k2M}));
  boot::BootInputs inputs;
  inputs.kernel = Bytes(kernel);
  inputs.initrd = Bytes(initrd);
  inputs.cmdline = (config.boot_args.empty() ? VmConfig::default_boot_args() : config.boot_args) +
                   VirtioMmioCmdline(virtio_devices.size());
  inputs.vcpu_count = config.vcpu_count;
  ASSIGN_OR_RETURN(boot::BootResult boot, boot::PrepareBoot(inputs, ram.memory()));

  // Only now, with the input known to be good, does hull-vmm need KVM.
  ASSIGN_OR_RETURN(kvm::KvmSystem kvm, kvm::KvmSystem::Open());
  ASSIGN_OR_RETURN(kvm::KvmVm vm, kvm.CreateVm());
  std::unique_ptr<Machine> machine(
      new Machine(config, std::move(ram), std::move(kvm), std::move(vm)));
  machine->boot_ = boot;
  ASSIGN_OR_RETURN(machine->end_event_, base::EventFd::Create(EFD_NONBLOCK));

  uint32_t slot = 0;
  for (const devices::GuestRegion& region : machine->ram_.memory().regions()) {
    RETURN_IF_ERROR(
        machine->vm_.SetUserMemoryRegion(slot++, region.guest_base, region.size, region.host));
  }
  RETURN_IF_ERROR(machine->vm_.CreateIrqchipAndPit());
  RETURN_IF_ERROR(machine->OpenSerialOutput());
  RETURN_IF_ERROR(machine->AddLegacyDevices());
  ASSIGN_OR_RETURN(machine->virtio_,
                   VirtioDevices::Create(machine->vm_, machine->mmio_bus_, machine->ram_.memory(),
                                         virtio_devices));
  machine->virtio_devices_ = std::move(virtio_devices);
  RETURN_IF_ERROR(machine->CreateVcpus());
  LOG_INFO << "kernel " << (boot.bzimage ? "bzImage" : "ELF") << " entry 0x" << std::hex
           << boot.kernel_entry << ", " << std::dec << config.vcpu_count << " vCPU(s), "
           << config.mem_size_mib << " MiB";
  return machine;
}

base::Status Machine::OpenSerialOutput() {
  switch (config_.serial_output) {
    case SerialOutput::kStdout:
      serial_fd_ = STDOUT_FILENO;
      return base::Status::Ok();
    case SerialOutput::kNone:
      serial_fd_ = -1;
      return base::Status::Ok();
    case SerialOutput::kFile: {
      ASSIGN_OR_RETURN(serial_out_,
                       base::OpenFile(config_.serial_path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
      serial_fd_ = serial_out_.get();
      return base::Status::Ok();
    }
    case SerialOutput::kPty: {
      int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (master < 0) return base::Status::Errno("posix_openpt for the serial console");
      serial_out_.reset(master);
      if (grantpt(master) != 0 || unlockpt(master) != 0) {
        return base::Status::Errno("unlocking the serial console pty");
      }
      char name[128];
      if (ptsname_r(master, name, sizeof(name)) != 0) return base::Status::Errno("ptsname");
      serial_fd_ = master;
      LOG_WARNING << "serial console on " << name;
      return base::Status::Ok();
    }
  }
  return base::Status::Error("unknown serial output");
}

base::Status Machine::AddLegacyDevices() {
  using namespace devices::legacy;
  serial_ = std::make_shared<Serial>(std::make_shared<kvm::KvmIrqLine>(vm_, kCom1Irq), serial_fd_);
  RETURN_IF_ERROR(pio_bus_.Insert(serial_, kCom1Base, kSerialLength));
  i8042_ = std::make_shared<I8042>([this] { EndVm({VmEndKind::kReset, 0, "i8042 reset"}); },
                                   std::make_shared<kvm::KvmIrqLine>(vm_, kI8042KeyboardIrq));
  RETURN_IF_ERROR(pio_bus_.Insert(i8042_, kI8042Base, kI8042Length));
  auto exit_port = std::make_shared<ExitPort>(
      [this](uint32_t status) { EndVm({VmEndKind::kExitPort, status, ""}); });
  RETURN_IF_ERROR(pio_bus_.Insert(exit_port, kExitPortBase, kExitPortLength));
  return base::Status::Ok();
}

base::Status Machine::CreateVcpus() {
  ASSIGN_OR_RETURN(std::vector<kvm::CpuidEntry> supported, kvm_.GetSupportedCpuid());
  std::vector<kvm::MsrValue> msrs = cpu::BootMsrs();
  for (uint32_t id = 0; id < config_.vcpu_count; ++id) {
    ASSIGN_OR_RETURN(kvm::KvmVcpu vcpu, vm_.CreateVcpu(id));
    cpu::CpuTopology topology{.vcpu_id = id, .vcpu_count = config_.vcpu_count, .smt = config_.smt};
    RETURN_IF_ERROR(vcpu.SetCpuid(cpu::FilterCpuid(supported, topology, config_.cpuid_masks)));
    RETURN_IF_ERROR(vcpu.SetMsrs(msrs));
    RETURN_IF_ERROR(vcpu.SetupFpu());
    RETURN_IF_ERROR(vcpu.SetupLapic());
    // Application processors wait for INIT/SIPI from the guest, as on a PC.
    if (id == 0) RETURN_IF_ERROR(vcpu.SetBootState(boot_.cpu));
    vcpus_.push_back(std::make_unique<cpu::VcpuThread>(std::move(vcpu), pio_bus_, mmio_bus_, *this));
  }
  return base::Status::Ok();
}

void Machine::EndVm(VmEnd end) {
  {
    std::lock_guard<std::mutex> lock(end_mu_);
    if (end_) return;
    end_ = std::move(end);
  }
  ending_.store(true, std::memory_order_release);
  (void)end_event_.Signal();
}

VmEnd Machine::Run(const std::function<void()>& on_started) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  // Blocked before the vCPU threads start, so they inherit the mask and only the
  // signalfd below ever sees these signals. A no-op where the caller blocked them.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  int sfd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  base::UniqueFd signal_fd(sfd);
  if (sfd < 0) return {VmEndKind::kVmmError, 0, "signalfd: " + std::string(strerror(errno))};
  if (base::Status s = cpu::VcpuThread::InstallKickHandler(); !s.ok()) {
    return {VmEndKind::kVmmError, 0, s.message()};
  }
  if (base::Status s = virtio_->Start(); !s.ok()) return {VmEndKind::kVmmError, 0, s.message()};
  // Every thread exists (parked vCPUs) before this one confines itself: a filter is
  // inherited, and the main thread's allows no new threads. Then the guest runs.
  for (auto& vcpu : vcpus_) {
    if (base::Status s = vcpu->Start(/*parked=*/true); !s.ok()) EndVm({VmEndKind::kVmmError, 0, s.message()});
  }
  seccomp::EnterThread(seccomp::ThreadKind::kMain);
  for (auto& vcpu : vcpus_) vcpu->Resume();
  if (on_started) on_started();

  TerminalMode terminal;
  bool relay_stdin = config_.serial_output == SerialOutput::kStdout;
  double deadline = config_.timeout_seconds > 0 ? MonotonicSeconds() + config_.timeout_seconds : 0;
  while (!Ending()) {
    pollfd fds[3] = {{end_event_.fd(), POLLIN, 0},
                     {sfd, POLLIN, 0},
                     {relay_stdin ? STDIN_FILENO : -1, POLLIN, 0}};
    int timeout_ms = -1;
    if (deadline > 0) {
      double left = deadline - MonotonicSeconds();
      if (left <= 0) {
        EndVm({VmEndKind::kTimeout, 0,
               "the guest was still running after " + std::to_string(config_.timeout_seconds) + " s"});
        break;
      }
      timeout_ms = static_cast<int>(left * 1000) + 1;
    }
    int r = poll(fds, 3, timeout_ms);
    if (r < 0 && errno != EINTR) {
      EndVm({VmEndKind::kVmmError, 0, std::string("poll: ") + strerror(errno)});
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(sfd, &info, sizeof(info)) == sizeof(info)) {
        EndVm({VmEndKind::kSignal, info.ssi_signo, ""});
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      uint8_t buf[4096];
      ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
      if (n > 0) serial_->EnqueueInput({buf, static_cast<size_t>(n)});
      else if (n == 0 || errno != EINTR) relay_stdin = false;  // EOF: keep running
    }
  }
  StopVcpus();
  std::lock_guard<std::mutex> lock(end_mu_);
  return *end_;
}

void Machine::StopVcpus() {
  for (auto& vcpu : vcpus_) vcpu->Stop();
  for (auto& vcpu : vcpus_) vcpu->Join();
  if (virtio_) virtio_->Stop();  // after the vCPUs: no register access races the resets
}

std::vector<cpu::ExitCounts> Machine::vcpu_exit_counts() const {
  std::vector<cpu::ExitCounts> out;
  for (const auto& vcpu : vcpus_) out.push_back(vcpu->exit_counts());
  return out;
}

void Machine::Pause() {
  for (auto& vcpu : vcpus_) vcpu->Pause();
}

void Machine::Resume() {
  for (auto& vcpu : vcpus_) vcpu->Resume();
}

base::Status Machine::SendCtrlAltDel() { return i8042_->SendCtrlAltDel(); }

}  // namespace hull::vmm
