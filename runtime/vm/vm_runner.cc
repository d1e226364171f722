#include "runtime/vm/vm_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "base/logging.h"
#include "base/terminal.h"
#include "base/unique_fd.h"
#include "guest/protocol.h"
#include "rootfs-builder/subprocess.h"
#include "runtime/vm/exec_hub.h"
#include "runtime/vm/guest_artifacts.h"
#include "runtime/vm/initramfs.h"
#include "runtime/vm/vm_devices.h"
#include "runtime/vm/vm_files.h"

namespace hull::runtime::vm {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kMinMemoryMib = 64;
// After the guest reported its exit: how long the VMM may take to end by itself.
constexpr auto kExitGrace = std::chrono::seconds(2);
// Stop reading our stdin while this much waits for the guest to take it.
constexpr size_t kMaxOutbox = 1 << 20;

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int MsUntil(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms) + 1;
}

// The VM's state as the relay loop sees it.
struct Session {
  const VmConfig& config;
  VmmProcess& vmm;
  base::UniqueFd listener;
  base::UniqueFd channel;
  guest::FrameDecoder decoder{guest::Direction::kToHost};
  VmOutcome outcome;
  bool ready = false;
  bool exited = false;
  bool stdin_done = false;
  std::string pending_error;
  Clock::time_point started = Clock::now();
  std::optional<Clock::time_point> kill_at;

  // Frames for the guest wait here until the channel takes them. The channel never blocks
  // us: a host blocked writing stdin while the guest is blocked writing stdout (its vsock
  // or serial buffers full because nobody reads them) would be a deadlock.
  std::string outbox;

  base::Status SendToGuest(const std::string& frame) {
    if (!channel) return base::Status::Ok();
    outbox += frame;
    return FlushToGuest();
  }

  base::Status FlushToGuest() {
    while (channel && !outbox.empty()) {
      ssize_t n = send(channel.get(), outbox.data(), outbox.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) {
        outbox.clear();  // the guest went away; its end is noticed by the read side
        break;
      }
      outbox.erase(0, static_cast<size_t>(n));
    }
    return base::Status::Ok();
  }

  base::Status HandleFrame(const guest::Frame& f) {
    using guest::FrameType;
    if (guest::IsExecFrame(f.type)) {
      if (!config.exec_hub) return base::Status::Error("protocol: an exec frame, but no exec was asked for");
      return config.exec_hub->FromGuest(f);
    }
    switch (f.type) {
      case FrameType::kReady: {
        ASSIGN_OR_RETURN(auto r, guest::DecodeReady(f));
        ready = true;
        outcome.boot_ms = MsSince(started);
        outcome.guest_init_ms = static_cast<double>(r.init_start_ns) / 1e6;
        SendWindowSize();
        if (config.exec_hub) config.exec_hub->GuestReady(r.version);
        return base::Status::Ok();
      }
      case FrameType::kStdout:
        return base::WriteFully(config.stdout_fd, f.payload.data(), f.payload.size());
      case FrameType::kStderr:
        return base::WriteFully(config.stderr_fd, f.payload.data(), f.payload.size());
      case FrameType::kError:
        pending_error = f.payload.substr(0, 4096);
        return base::Status::Ok();
      case FrameType::kExit: {
        ASSIGN_OR_RETURN(auto e, guest::DecodeExit(f));
        exited = true;
        outcome.signaled = e.signaled;
        outcome.oom = e.oom;
        outcome.exit_code = e.signaled ? 128 + e.code : e.code;
        outcome.error = pending_error;
        if (config.exec_hub) config.exec_hub->MainExited();
        // The guest resets once it knows the report arrived (guest/PROTOCOL.md).
        (void)SendToGuest(guest::EncodeFrame(guest::FrameType::kExitAck));
        return base::Status::Ok();
      }
      default:
        return base::Status::Error("protocol: unexpected frame from the guest");
    }
  }

  base::Status ReadChannel() {
    char buf[guest::kMaxPayload];
    ssize_t n = read(channel.get(), buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return base::Status::Ok();
    if (n <= 0) {
      channel.reset();  // the guest closed it (or is going away)
      return base::Status::Ok();
    }
    decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
    while (true) {
      ASSIGN_OR_RETURN(auto frame, decoder.Next());
      if (!frame) return base::Status::Ok();
      RETURN_IF_ERROR(HandleFrame(*frame).WithContext("from the guest"));
    }
  }

  base::Status ReadStdin() {
    char buf[guest::kMaxPayload];
    ssize_t n = read(config.stdin_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return base::Status::Ok();
    if (n <= 0) {
      stdin_done = true;
      return SendToGuest(guest::EncodeFrame(guest::FrameType::kStdinClose));
    }
    return SendToGuest(guest::EncodeFrame(guest::FrameType::kStdin,
                                          std::string_view(buf, static_cast<size_t>(n))));
  }

  // The guest's terminal follows ours: its size once the process runs, then on SIGWINCH.
  void SendWindowSize() {
    if (!config.spec.tty || config.terminal_fd < 0) return;
    if (auto size = base::TerminalWindowSize(config.terminal_fd))
      (void)SendToGuest(guest::EncodeResize(size->rows, size->cols));
  }

  void HandleSignals() {
    signalfd_siginfo info;
    while (read(config.signal_fd, &info, sizeof(info)) == sizeof(info)) {
      if (info.ssi_signo == SIGWINCH) {
        if (ready) SendWindowSize();
        continue;
      }
      if (!ready) {  // nothing to forward to yet: end the VM now
        kill_at = Clock::now();
        outcome.exit_code = 128 + static_cast<int>(info.ssi_signo);
        continue;
      }
      (void)SendToGuest(guest::EncodeSignal(info.ssi_signo));
      if (!kill_at)
        kill_at = Clock::now() + std::chrono::milliseconds(
                                     static_cast<int64_t>(config.stop_grace_s * 1000));
    }
  }

  // One round of waiting. Returns false once the VM is over.
  base::Result<bool> Step() {
    Clock::time_point deadline = Clock::time_point::max();
    if (!ready && !exited)
      deadline = started + std::chrono::milliseconds(static_cast<int64_t>(config.boot_timeout_s * 1000));
    if (kill_at) deadline = std::min(deadline, *kill_at);
    if (exited) deadline = std::min(deadline, exit_seen_ + kExitGrace);
    bool want_stdin = config.spec.stdin_open && ready && !stdin_done && !exited && channel &&
                      outbox.size() < kMaxOutbox;
    pollfd fds[6] = {
        {vmm.pidfd(), POLLIN, 0},
        {listener ? listener.get() : -1, POLLIN, 0},
        {channel ? channel.get() : -1, static_cast<short>(POLLIN | (outbox.empty() ? 0 : POLLOUT)), 0},
        {want_stdin ? config.stdin_fd : -1, POLLIN, 0},
        {config.signal_fd, POLLIN, 0},
        {config.exec_hub ? config.exec_hub->poll_fd() : -1, POLLIN, 0},
    };
    int timeout = deadline == Clock::time_point::max() ? -1 : MsUntil(deadline);
    if (poll(fds, 6, timeout) < 0 && errno != EINTR) return base::Status::Errno("poll");
    if (fds[4].revents) HandleSignals();
    if (fds[5].revents) RETURN_IF_ERROR(config.exec_hub->Process());
    if (fds[1].revents) {
      channel.reset(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (channel) listener.reset();
    }
    if ((fds[2].revents & POLLOUT) && channel) RETURN_IF_ERROR(FlushToGuest());
    if ((fds[2].revents & ~POLLOUT) && channel) {
      bool was_exited = exited;
      RETURN_IF_ERROR(ReadChannel());
      if (exited && !was_exited) exit_seen_ = Clock::now();
    }
    if (fds[3].revents) RETURN_IF_ERROR(ReadStdin());
    // Drain the channel before deciding the VM is gone: its last frames may still be
    // in the socket when the VMM exits.
    if (fds[0].revents) {
      while (channel && !exited) {
        pollfd c{channel.get(), POLLIN, 0};
        if (poll(&c, 1, 0) <= 0) break;
        RETURN_IF_ERROR(ReadChannel());
      }
      vmm_status_ = vmm.Wait();
      return false;
    }
    if (Clock::now() >= deadline) {
      if (kill_at && Clock::now() >= *kill_at && !exited) {
        outcome.killed = true;
        if (outcome.exit_code == 0) outcome.exit_code = 137;
        return false;
      }
      if (exited) return false;  // reported; the VMM is just slow to go
      return base::Status::Error("the guest did not report within " +
                                 std::to_string(static_cast<int>(config.boot_timeout_s)) +
                                 " s; the console ends with:\n" + ConsoleTail(files_.console_log));
    }
    return true;
  }

  VmFiles files_;
  Clock::time_point exit_seen_;
  int vmm_status_ = -1;
};

// --no-jail, like hull-vmm's --no-seccomp: on stderr whatever the log level.
void WarnUnjailed(const VmConfig& config) {
  std::string warning =
      "WARNING: the VMM's jail is OFF (--no-jail): hull-vmm runs as root in hull's own "
      "namespaces, with every file and device hull can reach; only its seccomp filters "
      "confine a guest that takes it over";
  if (config.notice) {
    config.notice(warning);
  } else {
    warning = "hull: " + warning + "\n";
    (void)base::WriteFully(STDERR_FILENO, warning.data(), warning.size());
  }
}

base::Result<std::string> FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return name;
  } else if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      size_t end = p.find(':', start);
      if (end == std::string::npos) end = p.size();
      std::string candidate = p.substr(start, end - start) + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
  }
  return base::Status::Error(name + " not found");
}

}  // namespace

base::Result<VmOutcome> RunVm(const VmConfig& config) {
  if (config.shape.memory_mib < kMinMemoryMib)
    return base::Status::Error("--memory " + std::to_string(config.shape.memory_mib) +
                               " MiB is too little for a micro-VM: the guest needs at least " +
                               std::to_string(kMinMemoryMib) + " MiB");
  if (config.shape.cpus < 1 || config.shape.cpus > 64)
    return base::Status::Error("--cpus must be between 1 and 64");
  ASSIGN_OR_RETURN(GuestArtifacts guest, FindGuestArtifacts());
  HardwareVirt hw = ProbeHardwareVirt();
  ASSIGN_OR_RETURN(BackendChoice backend, ChooseBackend(config.vmm, hw));
  std::string vmm_program;
  if (backend.vmm == VmmKind::kQemu) {
    auto found = FindProgram(config.qemu);
    if (!found.ok())
      return base::Status::Error("the qemu backend needs " + config.qemu +
                                 ", which is not installed (apt-get install qemu-system-x86)");
    vmm_program = *found;
  } else {
    std::string path = config.hull_vmm.empty() ? HULL_VMM_DEFAULT_PATH : config.hull_vmm;
    ASSIGN_OR_RETURN(vmm_program, FindProgram(path));
  }
  guest::GuestSpec spec = config.spec;
  VmShape shape = config.shape;
  RETURN_IF_ERROR(AttachNetwork(config.interface, &spec, &shape));
  RETURN_IF_ERROR(AttachVolumes(config.volumes, backend.vmm, &spec, &shape));
  if (config.notice) config.notice("vm: " + backend.Describe() + ": " + backend.reason);

  ASSIGN_OR_RETURN(JailSettings jail, JailSettingsFromEnv(config.jail));
  const bool jailed = backend.vmm == VmmKind::kHull && jail.enabled;
  if (backend.vmm == VmmKind::kHull && !jailed) WarnUnjailed(config);

  ASSIGN_OR_RETURN(WorkDir dir, WorkDir::Create(config.work_root));
  // Jailed, what the VMM may touch is one directory of its own, bound into the jail.
  std::string files_dir = dir.path();
  if (jailed) {
    files_dir += "/vm";
    if (mkdir(files_dir.c_str(), 0700) != 0) return base::Status::Errno("creating " + files_dir);
  }
  VmFiles files;
  files.kernel = guest.vmlinux;
  files.initramfs = files_dir + "/initramfs.cpio";
  files.image_disk = config.image_disk;
  files.writable_disk = config.writable_disk.empty() ? files_dir + "/rw.ext4" : config.writable_disk;
  files.console_log = files_dir + "/console.log";
  files.config_file = files_dir + "/vm.json";
  files.channel_socket = files_dir + "/hull.sock";
  std::string listen_path = files.channel_socket;

  spec.channel = backend.vmm == VmmKind::kHull ? "vsock" : "virtio-serial";
  if (backend.vmm == VmmKind::kHull) listen_path += "_" + std::to_string(spec.vsock_port);
  spec.wall_clock_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  struct stat st;
  if (stat(config.image_disk.c_str(), &st) != 0)
    return base::Status::Errno("image disk " + config.image_disk);
  if (stat(files.writable_disk.c_str(), &st) != 0)
    RETURN_IF_ERROR(CreateWritableLayer(files.writable_disk, config.writable_size_mib));
  RETURN_IF_ERROR(WriteInitramfs(files.initramfs, guest.init, guest::SpecToJson(spec)));
  ASSIGN_OR_RETURN(base::UniqueFd listener, ListenUnix(listen_path));

  std::vector<std::string> argv;
  // Jailed, the VMM's command line and config name the files where it sees them.
  JailedFiles in_jail;
  if (jailed) in_jail = JailedVmFiles(files_dir, files, shape);
  if (backend.vmm == VmmKind::kQemu) {
    argv = QemuArgv(vmm_program, backend.kvm, files, shape);
  } else {
    VmFiles vmm_files = files;
    VmShape vmm_shape = shape;
    if (jailed) {
      vmm_files = in_jail.vmm_files;
      for (size_t i = 0; i < vmm_shape.volume_disks.size(); ++i)
        vmm_shape.volume_disks[i].path = in_jail.volume_paths[i];
    }
    RETURN_IF_ERROR(WriteFile(files.config_file, HullVmmConfig(vmm_files, vmm_shape)));
    argv = HullVmmArgv(vmm_program, vmm_files);
  }
  std::optional<PreparedJail> prepared;
  std::optional<JailCleanup> cleanup;
  if (jailed) {
    ASSIGN_OR_RETURN(prepared, PrepareJail(jail, dir.path(), files_dir, files, listen_path, shape,
                                           in_jail, argv));
    argv = prepared->argv;
    cleanup.emplace(prepared->argv.front(), prepared->layout, prepared->settings.cgroup_root,
                    JailHasCgroup(prepared->settings));
  }
  // Jailed: hull-vmm --jail --no-supervisor, PID 1 of its own PID namespace.
  ASSIGN_OR_RETURN(VmmProcess vmm, VmmProcess::Start(argv, dir.path() + "/vmm.log", jailed));
  if (jailed) RETURN_IF_ERROR(WriteJailPidFile(prepared->layout, vmm.pid()));
  Session s{config, vmm, std::move(listener)};
  s.files_ = files;
  s.outcome.backend = backend;
  if (config.exec_hub)
    config.exec_hub->Attach({[&s](const std::string& frame) { (void)s.SendToGuest(frame); },
                             [&s] { return s.outbox.size(); }});
  // Whatever way this returns, the hub's clients hear that the VM is gone.
  struct EndExecs {
    ExecHub* hub;
    ~EndExecs() { if (hub) hub->VmEnded(); }
  } end_execs{config.exec_hub};
  while (true) {
    auto more = s.Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  if (s.exited || s.outcome.killed) return s.outcome;
  if (s.kill_at) return s.outcome;  // stopped by a signal before hull-init reported in
  std::string console = ConsoleTail(files.console_log);
  if (std::string jail_error = JailerError(dir.path() + "/vmm.log"); !jail_error.empty())
    return base::Status::Error("the VMM's jail could not be made: " + jail_error);
  if (console.find("Kernel panic") != std::string::npos)
    return base::Status::Error("the guest kernel panicked:\n" + console);
  return base::Status::Error("the VM ended without reporting how the process exited (" +
                             DescribeWaitStatus(s.vmm_status_) + "); " +
                             VmmLogTail(dir.path() + "/vmm.log") +
                             "the console ends with:\n" + console);
}

}  // namespace hull::runtime::vm
