#include "benchmarks/vmm_commands.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <tuple>

#include <unistd.h>

namespace hull::benchmarks {
namespace {

constexpr const char* kBootTraceKey = "hull-vmm: boot-trace: first-kvm-run-monotonic-ns=";

std::vector<std::string> HullCommand(const VmmSetup& o, const std::string& kernel,
                                     const std::string& mode) {
  std::vector<std::string> argv = {o.hull_vmm, "--kernel", kernel, "--vcpus", "1",
                                   "--memory", std::to_string(o.memory_mib),
                                   "--cmdline", "hulltest.mode=" + mode};
  if (mode == "spin") argv.insert(argv.end(), {"--memory-backing", "memfd"});
  return argv;
}

std::vector<std::string> QemuCommand(const VmmSetup& o, const std::string& mode, bool traced) {
  std::string machine = "microvm,x-option-roms=off,rtc=off,isa-serial=on";
  std::string mem = std::to_string(o.memory_mib);
  std::vector<std::string> argv = {o.qemu};
  if (mode == "spin") {
    argv.insert(argv.end(), {"-object", "memory-backend-memfd,id=mem,size=" + mem + "M"});
    machine += ",memory-backend=mem";
  }
  argv.insert(argv.end(), {"-M", machine, "-accel", "kvm", "-cpu", "host", "-m", mem,
                           "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                           "-serial", "stdio"});
  if (!o.qemu_bios.empty()) argv.insert(argv.end(), {"-bios", o.qemu_bios});
  argv.insert(argv.end(), {"-kernel", o.guest_bzimage, "-append", "hulltest.mode=" + mode,
                           "-device", "isa-debug-exit,iobase=0xf4,iosize=4"});
  if (traced) argv.insert(argv.end(), {"-msg", "timestamp=on", "-trace", "enable=kvm_vcpu_ioctl"});
  return argv;
}

}  // namespace

std::string JoinCommand(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) {
    bool quote = a.find_first_of(" \"'$&;|<>()*?") != std::string::npos;
    s += (s.empty() ? "" : " ") + (quote ? "\"" + a + "\"" : a);
  }
  return s;
}

std::vector<Vmm> BuildVmms(const VmmSetup& o) {
  std::vector<Vmm> vmms;
  for (auto [key, title, kernel] : {std::tuple{"hull_vmm_elf", "hull-vmm (ELF)", o.guest_elf},
                                    std::tuple{"hull_vmm_bzimage", "hull-vmm (bzImage)",
                                               o.guest_bzimage}}) {
    vmms.push_back({.key = key, .title = title, .is_qemu = false, .expected_exit = 0,
                    .hello = HullCommand(o, kernel, "hello"), .traced_hello = {},
                    .spin = HullCommand(o, kernel, "spin"),
                    .env = {"HULL_VMM_BOOT_TRACE=1"}});
  }
  // isa-debug-exit: QEMU exits with (status << 1) | 1.
  vmms.push_back({.key = "qemu_microvm", .title = "QEMU microvm", .is_qemu = true,
                  .expected_exit = 1, .hello = QemuCommand(o, "hello", false),
                  .traced_hello = QemuCommand(o, "hello", true),
                  .spin = QemuCommand(o, "spin", false), .env = {}});
  return vmms;
}

std::vector<Vmm> BuildConfinementVmms(const VmmSetup& o, const std::string& jailer,
                                      const std::string& jail_base, const std::string& stream_disk) {
  std::string id = "bench-" + std::to_string(getpid());
  // The jail every way: uid/gid 4242, the kernel and the stream's disk bound read-only
  // at flat places (/kernel, /drive: as hull binds a VM's files), no cgroup. The
  // boot-trace variable passes the jail's environment filter (HULL_VMM_*).
  std::vector<std::string> jail = {"--id", id, "--uid", "4242", "--gid", "4242", "--chroot-base",
                                   jail_base, "--bind", o.guest_elf + ":/kernel:ro", "--bind",
                                   stream_disk + ":/drive:ro"};
  enum class Jail { kNone, kInPlace, kSupervised, kJailer };
  struct Shape {
    const char* key;
    const char* title;
    bool seccomp;
    Jail jail;
  };
  const Shape shapes[] = {
      {"hull_vmm_unconfined", "hull-vmm --no-seccomp", false, Jail::kNone},
      {"hull_vmm_seccomp", "hull-vmm + seccomp", true, Jail::kNone},
      {"hull_vmm_jailed_unconfined", "hull-vmm --jail --no-supervisor --no-seccomp", false,
       Jail::kInPlace},
      {"hull_vmm_jailed_seccomp", "hull-vmm --jail --no-supervisor + seccomp", true, Jail::kInPlace},
      {"hull_vmm_supervised_seccomp", "hull-vmm --jail (supervised) + seccomp", true,
       Jail::kSupervised},
      {"hull_vmm_jailer_seccomp", "hull-jailer + hull-vmm + seccomp", true, Jail::kJailer},
  };
  std::vector<Vmm> vmms;
  for (const Shape& shape : shapes) {
    // hull-vmm's argv for one guest mode, confined as `shape` says.
    auto confined = [&](std::vector<std::string> argv) {
      if (!shape.seccomp) argv.push_back("--no-seccomp");
      if (shape.jail == Jail::kNone) return argv;
      std::vector<std::string> vmm_args(argv.begin() + 1, argv.end());
      argv = shape.jail == Jail::kJailer
                 // the binary is the jail's /hull-vmm
                 ? std::vector<std::string>{jailer, "--exec-file", o.hull_vmm}
                 : std::vector<std::string>{o.hull_vmm, "--jail"};
      if (shape.jail == Jail::kInPlace) argv.push_back("--no-supervisor");
      argv.insert(argv.end(), jail.begin(), jail.end());
      argv.push_back("--");
      argv.insert(argv.end(), vmm_args.begin(), vmm_args.end());
      return argv;
    };
    // Where the VMM finds the kernel and the drive: in the jail, where it binds them.
    bool jailed = shape.jail != Jail::kNone;
    std::string kernel = jailed ? "/kernel" : o.guest_elf;
    std::string drive = jailed ? "/drive" : stream_disk;
    std::vector<std::string> stream = HullCommand(o, kernel, "blk");
    stream.back() += " hulltest.blk.stream_kib=" + std::to_string(kStreamKib);
    stream.insert(stream.end(), {"--drive", "id=stream,path=" + drive + ",ro"});
    Vmm vmm{.key = shape.key, .title = shape.title, .is_qemu = false, .expected_exit = 0,
            .hello = confined(HullCommand(o, kernel, "hello")), .traced_hello = {},
            .spin = {}, .stream = confined(stream), .env = {"HULL_VMM_BOOT_TRACE=1"}};
    if (shape.jail == Jail::kInPlace) {
      // As hull does: the caller makes the PID namespace, and removes the jail after.
      vmm.new_pid_namespace = true;
      vmm.after = {o.hull_vmm, "--jail", "--cleanup", "--id", id, "--chroot-base", jail_base};
    }
    vmms.push_back(std::move(vmm));
  }
  return vmms;
}

std::optional<int64_t> HullFirstRunNs(const std::string& err) {
  size_t at = err.find(kBootTraceKey);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoll(err.c_str() + at + strlen(kBootTraceKey), nullptr, 10);
}

std::vector<std::pair<std::string, int64_t>> HullBootMarks(const std::string& err) {
  std::vector<std::pair<std::string, int64_t>> marks;
  size_t at = err.find(kBootTraceKey);
  if (at == std::string::npos) return marks;
  std::istringstream line(err.substr(at + strlen(kBootTraceKey), err.find('\n', at) - at));
  std::string word;
  line >> word;  // the first run's own time
  while (line >> word) {
    size_t eq = word.find("-ns=");
    if (eq == std::string::npos) continue;
    marks.emplace_back(word.substr(0, eq), std::strtoll(word.c_str() + eq + 4, nullptr, 10));
  }
  return marks;
}

// QEMU's log trace backend with -msg timestamp=on prints
// "PID@SEC.USEC:kvm_vcpu_ioctl cpu_index 0, type 0xae80, arg (nil)", timed before the
// ioctl; 0xae80 is KVM_RUN.
std::optional<int64_t> QemuFirstRunNs(const std::string& err, int64_t realtime_offset_ns) {
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(":kvm_vcpu_ioctl cpu_index 0, type 0xae80,") == std::string::npos) continue;
    size_t at = line.find('@');
    if (at == std::string::npos) continue;
    long long sec = 0, usec = 0;
    if (std::sscanf(line.c_str() + at + 1, "%lld.%lld:", &sec, &usec) != 2) continue;
    return sec * 1000000000LL + usec * 1000LL - realtime_offset_ns;
  }
  return std::nullopt;
}

}  // namespace hull::benchmarks
