#include "runtime/vm/container.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "base/logging.h"
#include "base/terminal.h"
#include "base/unique_fd.h"
#include "runtime/vm/exec_hub.h"
#include "runtime/vm/vm_runner.h"

namespace hull::runtime::vm {
namespace {

constexpr int kExitRunFailure = 125;
constexpr uint32_t kDefaultMemoryMib = 256;

int Fail(const std::string& message, int code = kExitRunFailure) {
  std::fprintf(stderr, "hull: %s\n", message.c_str());
  return code;
}

// The terminal's and a supervisor's signals go to the container, not to hull, while the
// VM runs; restored on the way out.
class ForwardedSignals {
 public:
  ForwardedSignals() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH})
      sigaddset(&set_, s);
    sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_.reset(signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~ForwardedSignals() {
    fd_.reset();
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  int fd() const { return fd_.get(); }

 private:
  sigset_t set_, old_;
  base::UniqueFd fd_;
};

}  // namespace

int RunVmContainer(const VmContainer& c) {
  auto kind = ParseVmmKind(c.vmm);
  if (!kind.ok()) return Fail(kind.status().message());
  if (c.spec.network == NetworkMode::kHost)
    return Fail("--network host: a micro-VM runs its own kernel, whose network stack cannot be "
                "the host's; use --runtime ns to share the host's network");
  VmConfig config;
  config.interface = c.spec.vm_interface;  // --network none: absent, no NIC
  config.volumes = c.spec.volumes;
  config.spec.args = c.process.argv;
  config.spec.env = c.process.env;
  config.spec.cwd = c.process.cwd;
  config.spec.user = c.process.user;
  config.spec.hostname = c.hostname;
  config.spec.tty = c.spec.tty;
  config.spec.stdin_open = c.spec.interactive;
  config.image_disk = c.image_disk;
  config.vmm = *kind;
  // The VMM's jail (vmm_jail.h): cgroup limits only where the container has them.
  config.jail.enabled = !c.no_jail;
  config.jail.limit_memory = c.spec.memory_bytes > 0;
  config.jail.cpus = c.spec.cpus;
  config.shape.memory_mib = c.spec.memory_bytes > 0
                                ? static_cast<uint32_t>(c.spec.memory_bytes >> 20)
                                : kDefaultMemoryMib;
  config.shape.cpus = c.spec.cpus > 0 ? static_cast<uint32_t>(std::ceil(c.spec.cpus)) : 1;
  config.stop_grace_s = c.spec.stop_timeout_s;
  config.work_root = c.work_root;
  config.stdin_fd = c.spec.interactive ? 0 : -1;
  // Debugging and test aids (docs/vm-runtime.md).
  if (const char* t = getenv("HULL_VM_BOOT_TIMEOUT")) config.boot_timeout_s = atof(t);
  if (const char* a = getenv("HULL_VM_KERNEL_ARGS")) config.shape.extra_kernel_args = a;
  if (const char* q = getenv("HULL_QEMU")) config.qemu = q;
  // Exec sessions (hulld's exec into a VM): a socket at a path the engine knows.
  std::unique_ptr<ExecHub> exec_hub;
  if (!c.exec_socket.empty()) {
    auto hub = ExecHub::Listen(c.exec_socket);
    if (!hub.ok()) return Fail("exec socket: " + hub.status().message());
    exec_hub = std::move(*hub);
    config.exec_hub = exec_hub.get();
  }
  ForwardedSignals signals;
  config.signal_fd = signals.fd();
  config.terminal_fd = 0;
  // -it: our terminal is the container's (raw) until the VM is gone, on every path.
  std::optional<base::RawTerminal> raw;
  if (c.spec.tty && c.spec.interactive) raw.emplace(0);
  config.notice = [&raw](const std::string& line) {
    std::fprintf(stderr, "hull: %s%s", line.c_str(), raw && raw->active() ? "\r\n" : "\n");
  };
  auto outcome = RunVm(config);
  raw.reset();
  if (!outcome.ok()) return Fail(outcome.status().message());
  LOG_INFO << "vm: guest kernel reached hull-init after " << outcome->guest_init_ms
           << " ms (guest clock); VMM start to hull-init's report " << outcome->boot_ms << " ms";
  if (!outcome->error.empty()) return Fail(outcome->error, outcome->exit_code);
  if (outcome->killed)
    std::fprintf(stderr, "hull: the container did not stop within %d s of the signal: VM killed\n",
                 c.spec.stop_timeout_s);
  if (outcome->oom)
    std::fprintf(stderr, "hull: the guest's OOM killer killed a process (out of memory)\n");
  return outcome->exit_code;
}

}  // namespace hull::runtime::vm
