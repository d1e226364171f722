#include "jailer/jail_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/boot_trace.h"
#include "base/unique_fd.h"

namespace hull::jailer {
namespace {

using base::Status;

Status Mount(const std::string& source, const std::string& target, const char* type,
             unsigned long flags, const char* data = nullptr) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(), type, flags, data) != 0) {
    return Status::Errno("mount " + (source.empty() ? std::string(type ? type : "") : source) +
                         " on " + target);
  }
  return Status::Ok();
}

// mkdir -p of `path` below `root` (both absolute), 0755, owned by root.
Status MakeDirs(const std::string& root, const std::string& path) {
  for (size_t pos = 1; pos <= path.size();) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string dir = root + path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Status::Errno("mkdir " + dir);
    pos = slash + 1;
  }
  return Status::Ok();
}

// An empty file or directory at `target`, shaped like `source`, to mount on (a file by
// mknod: one call, no descriptor to open and close).
Status MakeMountPoint(const std::string& source, const std::string& target) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) return Status::Errno("--bind " + source);
  if (S_ISDIR(st.st_mode)) {
    if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST) return Status::Errno("mkdir " + target);
    return Status::Ok();
  }
  if (::mknod(target.c_str(), S_IFREG | 0444, 0) != 0) {
    return Status::Errno("creating mount point " + target);
  }
  return Status::Ok();
}

// `source` (a host path) at `path` inside the jail, nosuid and nodev, read-only if asked.
Status BindInto(const std::string& root, const std::string& source, const std::string& path,
                bool read_only, bool exec) {
  size_t slash = path.rfind('/');
  if (slash > 0) RETURN_IF_ERROR(MakeDirs(root, path.substr(0, slash)));
  std::string target = root + path;
  RETURN_IF_ERROR(MakeMountPoint(source, target));
  RETURN_IF_ERROR(Mount(source, target, nullptr, MS_BIND));
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
  if (read_only) flags |= MS_RDONLY;
  if (!exec) flags |= MS_NOEXEC;
  return Mount("", target, nullptr, flags);
}

// A device node for the VMM. Mode 0666, owned by root: no chown to make per node, and
// no difference to who may open it — only the VMM's processes and the host's root ever
// see the jail's /dev (its root exists in their mount namespace alone, and
// /proc/<pid>/root is closed to all but root once the VMM is not dumpable).
Status MakeDevice(const char* path, unsigned major, unsigned minor) {
  std::string node = std::string(".") + path;
  if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(major, minor)) != 0) {
    return Status::Errno(std::string("mknod ") + path + " in the jail");
  }
  return Status::Ok();
}

// The jail's "/": a tmpfs mounted on --chroot-base in this mount namespace alone (on
// the host that directory stays empty, shared by every jail and made once; no bind
// source may lie below it), which this process works in (its cwd) until SwitchRoot. It
// gets the devices, the binary (kExec), the binds and /proc, and is made read-only once
// filled, so the VMM can write only where a --bind (without :ro) lets it.
Status BuildRoot(const JailerArgs& args, const JailPaths& paths) {
  const char* base = args.chroot_base.c_str();
  const char* options = "mode=0755";
  if (::mount("tmpfs", base, "tmpfs", MS_NOSUID, options) != 0) {
    if (errno != ENOENT) return Status::Errno("mount tmpfs on " + args.chroot_base);
    RETURN_IF_ERROR(MakeDirs("", args.chroot_base));
    RETURN_IF_ERROR(Mount("tmpfs", base, "tmpfs", MS_NOSUID, options));
  }
  if (::chdir(base) != 0) return Status::Errno("entering the jail's tmpfs");
  RETURN_IF_ERROR(MakeDirs(".", "/dev/net"));
  RETURN_IF_ERROR(MakeDevice("/dev/kvm", 10, 232));     // misc KVM_MINOR
  RETURN_IF_ERROR(MakeDevice("/dev/net/tun", 10, 200));  // misc TUN_MINOR
  // The binary is bound read-only (the same inode: no copy to make per VM, and nothing
  // in the jail can write it). kSelf runs from the image it already has: no binary.
  if (args.mode == JailMode::kExec) {
    RETURN_IF_ERROR(BindInto(".", args.exec_file, "/" + paths.exec_name, true, true));
  }
  for (const BindMount& bind : args.binds) {
    RETURN_IF_ERROR(BindInto(".", bind.source, bind.target, bind.read_only, false));
  }
  // This PID namespace's own /proc: the VMM sees itself and nothing of the host.
  if (::mkdir("proc", 0755) != 0) return Status::Errno("mkdir /proc in the jail");
  RETURN_IF_ERROR(Mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  return Mount("", ".", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID);
}

// pivot_root into the jail (the tmpfs, this process's cwd) and detach the old
// root. The initial ramfs cannot be pivoted (EINVAL: a system that runs from its
// initramfs, like the nested test VM), so there the jail is chroot'ed into, as
// switch_root does; without capabilities and open directories the VMM cannot climb out
// of either.
Status SwitchRoot() {
  if (::syscall(SYS_pivot_root, ".", ".") == 0) {
    if (::umount2(".", MNT_DETACH) != 0) return Status::Errno("detaching the old root");
  } else if (errno == EINVAL) {
    if (::chroot(".") != 0) return Status::Errno("chroot into the jail");
  } else {
    return Status::Errno("pivot_root into the jail");
  }
  if (::chdir("/") != 0) return Status::Errno("chdir / in the jail");
  return Status::Ok();
}

Status SetLimit(int resource, uint64_t value, const char* name) {
  rlimit limit{value, value};
  if (::setrlimit(resource, &limit) != 0) return Status::Errno(std::string("setrlimit ") + name);
  return Status::Ok();
}

// Ends with uid/gid, no supplementary groups, an empty bounding set and (as setresuid
// away from 0 clears them) no permitted, effective or ambient capabilities.
Status DropPrivileges(const JailerArgs& args) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Status::Errno("no_new_privs");
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return Status::Errno("dropping capability " + std::to_string(cap) + " from the bounding set");
    }
  }
  if (::setgroups(0, nullptr) != 0) return Status::Errno("setgroups");
  if (::setresgid(args.gid, args.gid, args.gid) != 0) return Status::Errno("setresgid");
  if (::setresuid(args.uid, args.uid, args.uid) != 0) return Status::Errno("setresuid");
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return Status::Errno("capget");
  for (const auto& d : data) {
    if (d.effective || d.permitted || d.inheritable) {
      return Status::Error("capabilities left after dropping to uid " + std::to_string(args.uid));
    }
  }
  return Status::Ok();
}

Status ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) return Status::Errno("sigprocmask");
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);  // errors for KILL/STOP
  return Status::Ok();
}

}  // namespace

std::vector<std::string> CleanEnvironment(const char* const* environ) {
  std::vector<std::string> out;
  for (const char* const* e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view var = *e;
    if (var.starts_with("HULL_LOG=") || var.starts_with("HULL_VMM_")) out.emplace_back(var);
  }
  return out;
}

Status EnterJail(const JailerArgs& args, const JailPaths& paths, int supervisor_pipe) {
  RETURN_IF_ERROR(ResetSignals());
  if (::unshare(CLONE_NEWNS) != 0) return Status::Errno("new mount namespace");
  // Nothing mounted here propagates back to the host, and nothing of the host's later
  // mounts reaches the jail.
  RETURN_IF_ERROR(Mount("", "/", nullptr, MS_REC | MS_PRIVATE));
  base::BootMark("jail-mount-ns");
  if (!args.netns.empty()) {
    auto ns = base::OpenFile(args.netns, O_RDONLY | O_CLOEXEC);
    if (!ns.ok()) return ns.status().WithContext("--netns");
    if (::setns(ns->get(), CLONE_NEWNET) != 0) return Status::Errno("joining --netns " + args.netns);
  }
  mode_t umask = ::umask(0);  // the jail's modes as written here; the VMM gets the caller's
  Status built = BuildRoot(args, paths);
  ::umask(umask);
  RETURN_IF_ERROR(built);
  base::BootMark("jail-root");
  RETURN_IF_ERROR(SwitchRoot());
  base::BootMark("jail-pivot");
  RETURN_IF_ERROR(SetLimit(RLIMIT_NOFILE, args.rlimit_nofile, "no-file"));
  if (args.rlimit_fsize) RETURN_IF_ERROR(SetLimit(RLIMIT_FSIZE, *args.rlimit_fsize, "fsize"));
  RETURN_IF_ERROR(DropPrivileges(args));
  base::BootMark("jail-privileges");
  // The VMM dies with its jailer (and so with whoever started the jailer with a death
  // signal, as hull does): set after the uid change, which clears it.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return Status::Errno("PR_SET_PDEATHSIG");
  // No core file and no ptrace by the jail's uid. It also keeps a dying VMM from taking
  // its supervisor along: before Linux 5.16 a core dump stopped every process that
  // shared the dumper's memory, and the kSelf child shares the supervisor's (clone).
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return Status::Errno("PR_SET_DUMPABLE");
  pollfd supervisor{supervisor_pipe, POLLOUT, 0};
  if (supervisor_pipe >= 0 && ::poll(&supervisor, 1, 0) == 1 && (supervisor.revents & POLLERR))
    return Status::Error("the jailer ended before the VMM started");
  if (args.mode == JailMode::kSelf) {
    // No exec gives this process a new environment block: the caller's strings stay on
    // its stack (and in /proc/<pid>/environ) unless they are wiped where they are.
    std::vector<std::string> keep = CleanEnvironment(environ);
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) ::explicit_bzero(*e, std::strlen(*e));
    if (::clearenv() != 0) return Status::Error("clearing the environment");
    for (std::string& var : keep) {
      size_t eq = var.find('=');
      if (::setenv(var.substr(0, eq).c_str(), var.substr(eq + 1).c_str(), 1) != 0)
        return Status::Errno("setenv");
    }
  }
  return Status::Ok();
}

Status ExecInJail(const JailerArgs& args, const JailPaths& paths) {
  std::vector<std::string> argv_text = {paths.exec_name};
  argv_text.insert(argv_text.end(), args.vmm_args.begin(), args.vmm_args.end());
  std::vector<std::string> env_text = CleanEnvironment(environ);
  std::vector<char*> argv, envp;
  for (std::string& a : argv_text) argv.push_back(a.data());
  for (std::string& e : env_text) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  // Every inherited fd beyond stdio closes at exec; the error pipe to the supervisor
  // stays open until then, so a failing execve can still be reported.
  if (::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0) return Status::Errno("close_range");
  std::string exec_path = "/" + paths.exec_name;
  ::execve(exec_path.c_str(), argv.data(), envp.data());
  return Status::Errno("exec " + exec_path + " in the jail");
}

}  // namespace hull::jailer
