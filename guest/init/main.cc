// hull-init: the guest's PID 1 (guest/PROTOCOL.md). Mounts the early file systems,
// reads the container's settings from the initramfs, opens the channel to the host
// (vsock, or a virtio-serial port), builds the container's root, starts the process,
// relays its stdio and signals, runs the host's exec sessions meanwhile, reports how it
// ended and powers the VM off.
// Single-threaded; statically linked.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "base/unique_fd.h"
#include "guest/init/exec.h"
#include "guest/init/identity.h"
#include "guest/init/network.h"
#include "guest/init/process.h"
#include "guest/init/relay.h"
#include "guest/init/rootfs.h"
#include "guest/protocol.h"
#include "guest/spec.h"

namespace hull::guest::init {
namespace {

uint64_t BootNs() {
  timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void Log(const std::string& line) {
  std::string text = "hull-init: " + line + "\n";
  (void)!write(2, text.data(), text.size());
}

[[noreturn]] void PowerOff() {
  sync();
  // A reset rather than a power-off: without ACPI there is no power-off on x86, and both
  // QEMU (-no-reboot) and hull-vmm end the VM on a reset.
  reboot(RB_AUTOBOOT);
  reboot(RB_POWER_OFF);
  for (;;) pause();
}

base::Result<base::UniqueFd> OpenSerialPort() {
  // The port appears once its virtio device is probed; give it a moment.
  for (int attempt = 0; attempt < 500; ++attempt) {
    if (DIR* dir = opendir("/sys/class/virtio-ports")) {
      while (dirent* e = readdir(dir)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream name(std::string("/sys/class/virtio-ports/") + e->d_name + "/name");
        std::string text;
        std::getline(name, text);
        if (text == kSerialPortName) {
          std::string dev = std::string("/dev/") + e->d_name;
          closedir(dir);
          return base::OpenFile(dev, O_RDWR);
        }
      }
      closedir(dir);
    }
    usleep(10000);
  }
  return base::Status::Error(std::string("no virtio-serial port named ") + kSerialPortName);
}

base::Result<base::UniqueFd> OpenVsock(uint32_t port) {
  base::UniqueFd fd(socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return base::Status::Errno("vsock socket");
  sockaddr_vm addr{};
  addr.svm_family = AF_VSOCK;
  addr.svm_cid = VMADDR_CID_HOST;
  addr.svm_port = port;
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return base::Status::Errno("vsock connect to port " + std::to_string(port));
  return fd;
}

uint64_t OomKills() {
  std::ifstream vmstat("/proc/vmstat");
  std::string key;
  uint64_t value;
  while (vmstat >> key >> value)
    if (key == "oom_kill") return value;
  return 0;
}

class Host {
 public:
  explicit Host(base::UniqueFd fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_.get(); }
  void Send(const std::string& frame) {
    if (!base::WriteFully(fd_.get(), frame.data(), frame.size()).ok()) Log("lost the host");
  }
  [[noreturn]] void Fail(const std::string& message, int exit_code) {
    Log(message);
    Send(EncodeFrame(FrameType::kError, message));
    SendExitAndPowerOff({.code = exit_code});
  }
  // A virtio-serial write returns once the buffer is queued, not once the host took it:
  // resetting at once could lose the last frames. Wait for the host's EXIT_ACK (or its
  // end, or 10 s), then reset.
  [[noreturn]] void SendExitAndPowerOff(const ExitReport& report) {
    Send(EncodeExit(report));
    FrameDecoder decoder(Direction::kToGuest);
    char buf[4096];
    for (int waited_ms = 0; waited_ms < 10000; waited_ms += 100) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      ssize_t n = read(fd_.get(), buf, sizeof(buf));
      if (n <= 0) break;
      decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
      bool done = false;
      while (true) {
        auto next = decoder.Next();
        if (!next.ok()) {
          done = true;
          break;
        }
        if (!*next) break;
        if ((*next)->type == FrameType::kExitAck) done = true;
      }
      if (done) break;
    }
    PowerOff();
  }

 private:
  base::UniqueFd fd_;
};

[[noreturn]] void Main() {
  uint64_t start_ns = BootNs();
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  base::UniqueFd sigfd(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (auto s = MountEarly(); !s.ok()) {
    Log(s.message());
    PowerOff();
  }
  auto text = base::ReadFileToString(kSpecPath);
  auto spec = text.ok() ? SpecFromJson(*text) : base::Result<GuestSpec>(text.status());
  auto channel = spec.ok() && spec->channel == "vsock" ? OpenVsock(spec->vsock_port)
                                                       : OpenSerialPort();
  if (!channel.ok()) {
    Log("no channel to the host: " + channel.status().message());
    PowerOff();
  }
  Host host(std::move(*channel));
  if (!spec.ok()) host.Fail(spec.status().message(), 125);
  std::ofstream("/proc/self/oom_score_adj") << "-1000\n";
  uint64_t oom_before = OomKills();
  if (spec->wall_clock_ns > 0) {
    timespec now{spec->wall_clock_ns / 1000000000, spec->wall_clock_ns % 1000000000};
    clock_settime(CLOCK_REALTIME, &now);
  }
  if (auto s = SwitchToContainerRoot(); !s.ok()) host.Fail("root file system: " + s.message(), 125);
  if (auto s = MountVolumes(spec->volumes); !s.ok()) host.Fail(s.message(), 125);
  if (auto s = ConfigureNetwork(*spec); !s.ok()) host.Fail("network: " + s.message(), 125);
  auto id = ResolveUser(spec->user);
  if (!id.ok()) host.Fail(id.status().message(), 125);
  uint64_t exec_ns = BootNs();
  StartFailure failure;
  auto child = StartProcess(*spec, *id, &failure);
  if (!child.ok()) host.Fail(failure.message.empty() ? child.status().message() : failure.message,
                             failure.message.empty() ? 125 : failure.exit_code);
  host.Send(EncodeReady({start_ns, exec_ns}));
  ExecSessions execs(*spec, host.fd());
  auto status = Relay(host.fd(), *child, sigfd.get(), execs);
  execs.KillAll();  // as in Docker: the container ends with its main process
  if (!status.ok()) {
    Log(status.status().message());
    PowerOff();
  }
  ExitReport report;
  report.oom = OomKills() > oom_before;
  if (WIFSIGNALED(*status)) {
    report.signaled = true;
    report.code = WTERMSIG(*status);
  } else {
    report.code = WEXITSTATUS(*status);
  }
  host.SendExitAndPowerOff(report);
}

}  // namespace
}  // namespace hull::guest::init

int main() {
  if (getpid() != 1) {
    fprintf(stderr, "hull-init: must run as PID 1 inside a hull micro-VM\n");
    return 1;
  }
  hull::guest::init::Main();
}
