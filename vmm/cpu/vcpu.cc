#include "vmm/cpu/vcpu.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "base/boot_trace.h"
#include "base/hex.h"
#include "base/logging.h"
#include "base/unique_fd.h"
#include "vmm/seccomp/thread_filters.h"

namespace hull::vmm::cpu {
namespace {

using base::Hex;

int KickSignal() { return SIGRTMIN + 1; }

void OnKick(int) {}

// Benchmark hook (docs/hull-vmm.md, "Benchmark hooks"): with HULL_VMM_BOOT_TRACE set,
// vCPU 0 prints the CLOCK_MONOTONIC time taken just before its first KVM_RUN, so that
// benchmarks/ can time process start -> first guest instruction from outside, and after
// it the start-up stages marked on the way (base/boot_trace.h). One write(2) straight
// to stderr, bypassing the log level, so it costs next to nothing.
void TraceFirstRun(uint32_t vcpu_id) {
  static const bool enabled = std::getenv("HULL_VMM_BOOT_TRACE") != nullptr;
  if (!enabled || vcpu_id != 0) return;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long ns = static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
  std::string line = "hull-vmm: boot-trace: first-kvm-run-monotonic-ns=" + std::to_string(ns) +
                     base::BootMarksText() + "\n";
  (void)base::WriteFully(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

VcpuThread::VcpuThread(kvm::KvmVcpu vcpu, const devices::Bus& pio, const devices::Bus& mmio,
                       VmEndSink& sink)
    : vcpu_(std::move(vcpu)), pio_(pio), mmio_(mmio), sink_(sink) {}

VcpuThread::~VcpuThread() {
  Stop();
  Join();
}

base::Status VcpuThread::InstallKickHandler() {
  struct sigaction action {};
  action.sa_handler = OnKick;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
  if (sigaction(KickSignal(), &action, nullptr) != 0) {
    return base::Status::Errno("installing the vCPU kick signal handler");
  }
  return base::Status::Ok();
}

base::Status VcpuThread::Start(bool parked) {
  if (parked) {
    std::lock_guard<std::mutex> lock(mu_);
    request_ = Request::kPause;
  }
  std::mutex started_mu;
  std::condition_variable started_cv;
  bool started = false;
  try {
    thread_ = std::thread([&, this] {
      {
        std::lock_guard<std::mutex> lock(started_mu);
        native_ = pthread_self();
        started = true;
      }
      started_cv.notify_one();
      seccomp::EnterThread(seccomp::ThreadKind::kVcpu);  // before the first KVM_RUN
      Loop();
    });
  } catch (const std::system_error& e) {
    return base::Status::Error(std::string("starting vCPU thread: ") + e.what());
  }
  std::unique_lock<std::mutex> lock(started_mu);
  started_cv.wait(lock, [&] { return started; });
  return base::Status::Ok();
}

void VcpuThread::Kick() {
  vcpu_.SetImmediateExit(true);
  if (thread_.joinable()) pthread_kill(native_, KickSignal());
}

void VcpuThread::Pause() {
  std::unique_lock<std::mutex> lock(mu_);
  if (request_ != Request::kRun || !thread_.joinable()) return;
  request_ = Request::kPause;
  Kick();
  cv_.wait(lock, [this] { return parked_ || request_ == Request::kStop; });
}

void VcpuThread::Resume() {
  std::lock_guard<std::mutex> lock(mu_);
  if (request_ != Request::kPause) return;
  request_ = Request::kRun;
  cv_.notify_all();
}

void VcpuThread::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  request_ = Request::kStop;
  Kick();
  cv_.notify_all();
}

void VcpuThread::Join() {
  if (thread_.joinable()) thread_.join();
}

bool VcpuThread::WaitWhilePaused() {
  std::unique_lock<std::mutex> lock(mu_);
  if (request_ == Request::kPause) {
    parked_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return request_ != Request::kPause; });
    parked_ = false;
  }
  if (request_ == Request::kStop) return false;
  // Only clear immediate_exit under the lock, so a Pause/Stop that set it after we
  // looked at request_ is never lost.
  vcpu_.SetImmediateExit(false);
  return true;
}

void VcpuThread::Loop() {
  bool first_run = true;
  for (;;) {
    if (!WaitWhilePaused() || sink_.Ending()) return;
    if (first_run) {
      first_run = false;
      TraceFirstRun(vcpu_.id());
    }
    base::Result<kvm::VcpuExit> exit = vcpu_.Run();
    if (!exit.ok()) {
      sink_.EndVm({VmEndKind::kVmmError, 0, exit.status().message()});
      return;
    }
    if (!HandleExit(*exit)) return;
  }
}

const char* ExitKindName(kvm::VcpuExit::Kind kind) {
  using Kind = kvm::VcpuExit::Kind;
  switch (kind) {
    case Kind::kIoIn: return "io_in";
    case Kind::kIoOut: return "io_out";
    case Kind::kMmioRead: return "mmio_read";
    case Kind::kMmioWrite: return "mmio_write";
    case Kind::kHlt: return "hlt";
    case Kind::kShutdown: return "shutdown";
    case Kind::kSystemReset: return "system_reset";
    case Kind::kSystemShutdown: return "system_shutdown";
    case Kind::kInternalError: return "internal_error";
    case Kind::kFailEntry: return "fail_entry";
    case Kind::kInterrupted: return "interrupted";
    case Kind::kUnknown: return "other";
  }
  return "other";
}

ExitCounts VcpuThread::exit_counts() const {
  ExitCounts out{};
  for (size_t i = 0; i < kExitKinds; ++i) out[i] = exits_[i].load(std::memory_order_relaxed);
  return out;
}

bool VcpuThread::HandleExit(const kvm::VcpuExit& exit) {
  using Kind = kvm::VcpuExit::Kind;
  exits_[static_cast<size_t>(exit.kind)].fetch_add(1, std::memory_order_relaxed);
  // Only the exits that end the VM need words; port and MMIO exits are the hot path.
  auto where = [&] { return "vCPU " + std::to_string(vcpu_.id()) + ": " + kvm::DescribeExit(exit); };
  switch (exit.kind) {
    case Kind::kIoIn:
    case Kind::kIoOut:
      HandlePortIo(exit);
      return true;
    case Kind::kMmioRead:
    case Kind::kMmioWrite:
      HandleMmio(exit);
      return true;
    case Kind::kInterrupted:
      return true;  // the loop looks at the request
    case Kind::kHlt:
      // Only reachable without an in-kernel LAPIC, which hull-vmm always creates.
      sink_.EndVm({VmEndKind::kPowerOff, 0, "vCPU halted"});
      return false;
    case Kind::kShutdown:
      sink_.EndVm({VmEndKind::kTripleFault, 0, where()});
      return false;
    case Kind::kSystemReset:
      sink_.EndVm({VmEndKind::kReset, 0, where()});
      return false;
    case Kind::kSystemShutdown:
      sink_.EndVm({VmEndKind::kPowerOff, 0, where()});
      return false;
    case Kind::kInternalError:
      sink_.EndVm({VmEndKind::kInternalError, 0, where()});
      return false;
    case Kind::kFailEntry:
    case Kind::kUnknown:
      sink_.EndVm({VmEndKind::kUnsupported, 0, where()});
      return false;
  }
  return false;
}

void VcpuThread::HandlePortIo(const kvm::VcpuExit& exit) {
  for (uint32_t i = 0; i < exit.count; ++i) {
    std::span<uint8_t> data = exit.data.subspan(size_t{i} * exit.size, exit.size);
    bool mapped = exit.kind == kvm::VcpuExit::Kind::kIoOut
                      ? pio_.Write(exit.address, data)
                      : pio_.Read(exit.address, data);
    if (mapped) continue;
    if (exit.kind == kvm::VcpuExit::Kind::kIoIn) std::memset(data.data(), 0xff, data.size());
    // Guests probe many ports that a micro-VM does not have; that is normal.
    LOG_DEBUG << "vCPU " << vcpu_.id() << ": unmapped port " << Hex(exit.address);
  }
}

void VcpuThread::HandleMmio(const kvm::VcpuExit& exit) {
  bool mapped = exit.kind == kvm::VcpuExit::Kind::kMmioWrite ? mmio_.Write(exit.address, exit.data)
                                                              : mmio_.Read(exit.address, exit.data);
  if (mapped) return;
  if (exit.kind == kvm::VcpuExit::Kind::kMmioRead) {
    std::memset(exit.data.data(), 0xff, exit.data.size());
  }
  if (!warned_unmapped_) {
    warned_unmapped_ = true;
    LOG_WARNING << "vCPU " << vcpu_.id() << ": access to unmapped MMIO address "
                << Hex(exit.address) << " ignored (reported once)";
  }
}

}  // namespace hull::vmm::cpu
