// hull-vmm in its jail, as the VM runner starts it by default (docs/vm-runtime.md,
// "The VMM's jail"): `hull-vmm --jail`'s command line (hull-jailer's jail, built by
// hull-vmm around itself: an unprivileged uid/gid, the VM's files bound in, cgroup
// limits from the container's --memory and --cpus, the jail's directory inside the VM's
// own work directory), what the host must hand the jail's user before it starts (file
// owners, the tap's owner), and the clean-up of a jail whose supervisor did not end by
// itself. Called by the VM runner (vm_runner.cc) on its thread; the argv
// builders are pure and unit-tested in vm_unittest.cc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/vm/vmm_command.h"

namespace hull::runtime::vm {

// The user and group every jailed hull-vmm runs as unless told otherwise: a dedicated
// id that no login user or system package owns (Firecracker leaves the choice to its
// caller and suggests one unprivileged id for VMMs; Debian's 60000-64999 is allocated
// only on request). HULL_JAIL_UID / HULL_JAIL_GID override it.
inline constexpr uid_t kDefaultJailUid = 64123;
inline constexpr gid_t kDefaultJailGid = 64123;

// The VMM's memory limit above the guest's RAM: its own heap, the kernel and initramfs
// it reads, thread stacks, KVM's page tables and the page cache of the disks it writes.
inline constexpr uint64_t kVmmOverheadMib = 128;

struct JailSettings {
  bool enabled = true;          // false: --no-jail (hull warns on stderr)
  uid_t uid = kDefaultJailUid;
  gid_t gid = kDefaultJailGid;
  std::string cgroup_root = "/sys/fs/cgroup";
  bool limit_memory = false;    // the container has --memory: memory.max for the VMM
  double cpus = 0;              // the container's --cpus; 0: no cpu.max
};

// Reads HULL_NO_JAIL (=1: off), HULL_JAIL_UID, HULL_JAIL_GID and HULL_CGROUP_ROOT over
// `settings`.
base::Result<JailSettings> JailSettingsFromEnv(JailSettings settings);

// One file or directory the VMM needs, bound into the jail at `target`.
struct JailBind {
  std::string source;  // on the host
  std::string target;  // in the jail
  bool read_only = true;
};

// Where the jailed VMM finds the VM's files: the VM's own directory at /vm, the kernel
// at /kernel, the image disk at /image, a writable layer from elsewhere at /rw and
// volume disk i at /volume-i. Flat, so that the jail is built without recreating host
// directories inside it, and the VMM never learns the host's paths.
inline constexpr const char* kJailVmDir = "/vm";
struct JailedFiles {
  VmFiles vmm_files;                      // the VMM's view, for its command line and config
  std::vector<std::string> volume_paths;  // the VMM's view of shape.volume_disks, in order
  std::vector<JailBind> binds;            // what makes those paths real
};
JailedFiles JailedVmFiles(const std::string& files_dir, const VmFiles& files, const VmShape& shape);

// Where one VM's jail lives: <work dir>/jail/hull-vmm/<id>, removed with the work dir
// (hull-vmm --jail names its jails "hull-vmm" whatever the binary is called).
struct JailLayout {
  std::string id;           // the work directory's name (hull-vm-XXXXXX)
  std::string chroot_base;  // <work dir>/jail
  std::string dir;          // chroot_base + "/<exec name>/" + id
  std::string pid_file;     // dir + "/<exec name>.pid": the VMM's host pid
};
JailLayout JailLayoutFor(const std::string& work_dir);

// memory.max for a guest of `guest_mib`: its RAM, kVmmOverheadMib and 1/8 of the RAM
// again (KVM's page tables and dirty page cache grow with it).
uint64_t VmmMemoryLimitBytes(uint32_t guest_mib);
// cpu.max for --cpus N: "N*100000 100000" (µs), at least the jailer's 1000 µs quota.
std::string VmmCpuMax(double cpus);

// `hull-vmm --jail --no-supervisor`'s argv: vmm_argv[0], "--jail", the jail, then "--",
// then hull-vmm's own arguments (the rest of vmm_argv).
std::vector<std::string> JailedVmmArgv(const JailSettings& settings, const JailLayout& layout,
                                    uint32_t guest_mib, const std::vector<JailBind>& binds,
                                    const std::vector<std::string>& vmm_argv);

// Makes `path` (a file or directory hull made for this VM) the jail user's.
base::Status GiveToJailUser(const std::string& path, const JailSettings& settings);

// A file hull does not own (the image disk, the kernel, a volume) that the VMM must open
// read-only or read-write: refused with a clear error unless its mode lets the jail's
// user do so; a volume (`may_chown`) is instead lent to the user: chowned, and given back
// when the returned guard goes.
class LentFile {
 public:
  LentFile() = default;
  LentFile(LentFile&& other) noexcept;
  LentFile& operator=(LentFile&&) = delete;
  ~LentFile();
  static base::Result<LentFile> Lend(const std::string& path, bool writable, bool may_chown,
                                     const JailSettings& settings);

 private:
  std::string path_;  // "" : nothing to give back
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

// The tap `name` (persistent, in our network namespace) becomes attachable by the jail's
// user, who has no CAP_NET_ADMIN: TUNSETOWNER/TUNSETGROUP, as `ip tuntap add ... user U`.
base::Status GiveTapToJailUser(const std::string& name, const JailSettings& settings);

// The line the jail's supervisor printed when it could not make the jail ("hull-vmm
// --jail: error: ..." or hull-jailer's), from the VMM's log; "" when there is none.
std::string JailerError(const std::string& vmm_log);

// hull starts its VMM as `hull-vmm --jail --no-supervisor`, PID 1 of a new PID namespace
// (VmmProcess::Start), and records the VMM's host pid in the jail's pid file
// (layout.pid_file) for a later hull to find if this one is killed.
base::Status WriteJailPidFile(const JailLayout& layout, pid_t pid);

// The jail's part of the clean-up once the VMM is gone: the pid file and its directory,
// and the VMM's cgroup when the jail had one (`hull-vmm --jail --cleanup`, `hull_vmm`,
// which also kills a VMM still running there — for a stale jail a killed hull left).
class JailCleanup {
 public:
  JailCleanup(std::string hull_vmm, JailLayout layout, std::string cgroup_root, bool has_cgroup)
      : hull_vmm_(std::move(hull_vmm)), layout_(std::move(layout)),
        cgroup_root_(std::move(cgroup_root)), has_cgroup_(has_cgroup) {}
  JailCleanup(JailCleanup&& other) noexcept
      : hull_vmm_(std::move(other.hull_vmm_)), layout_(other.layout_),
        cgroup_root_(other.cgroup_root_), has_cgroup_(other.has_cgroup_) {
    other.hull_vmm_.clear();
  }
  JailCleanup(const JailCleanup&) = delete;
  ~JailCleanup();

 private:
  std::string hull_vmm_;  // "" : moved from
  JailLayout layout_;
  std::string cgroup_root_;
  bool has_cgroup_ = false;
};

// Whether the jail gets a cgroup of its own (the container has --memory or --cpus).
inline bool JailHasCgroup(const JailSettings& s) { return s.limit_memory || s.cpus > 0; }

// Everything a jailed VMM needs from the host, held until the VM is gone.
struct PreparedJail {
  JailSettings settings;
  JailLayout layout;
  std::vector<LentFile> lent;
  std::vector<std::string> argv;  // hull-vmm --jail ...
};

// Hands the VM's own files in `files_dir` (initramfs, config file, writable layer, the
// channel's listening socket `listen_path`) and the directory itself to the jail's user,
// checks or lends the files it does not own, gives it the tap, and builds the jailed
// command line for `vmm_argv`, with `in_jail`'s binds (JailedVmFiles of the same files:
// `vmm_argv` names them where the VMM sees them).
base::Result<PreparedJail> PrepareJail(const JailSettings& settings, const std::string& work_dir,
                                       const std::string& files_dir, const VmFiles& files,
                                       const std::string& listen_path, const VmShape& shape,
                                       const JailedFiles& in_jail,
                                       const std::vector<std::string>& vmm_argv);

// What a killed hull left in `work_dir` (a stale VM directory being swept): its jail.
void CleanUpStaleJail(const std::string& work_dir);

}  // namespace hull::runtime::vm
