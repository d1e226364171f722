#include "vmm/seccomp/bpf.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

#include "base/unique_fd.h"

namespace hull::vmm::seccomp {
namespace {

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

base::Status Failed(const std::string& what, int rc) {
  return base::Status::Errno("seccomp: " + what, -rc);
}

base::Status AddRule(scmp_filter_ctx ctx, const SyscallRule& rule) {
  int nr = seccomp_syscall_resolve_name(rule.name.c_str());
  if (nr == __NR_SCMP_ERROR) {
    return base::Status::Error("seccomp: unknown system call \"" + rule.name + "\"");
  }
  std::vector<scmp_arg_cmp> cmps;
  for (const ArgCheck& check : rule.all_of) {
    cmps.push_back(SCMP_CMP(check.arg, SCMP_CMP_MASKED_EQ, check.mask, check.expected));
  }
  int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, static_cast<unsigned>(cmps.size()),
                                  cmps.data());
  if (rc < 0) return Failed("allowing " + rule.name, rc);
  return base::Status::Ok();
}

// libseccomp 2.5 exports only to a file descriptor; a memfd keeps it in memory.
base::Result<BpfProgram> Export(scmp_filter_ctx ctx) {
  base::UniqueFd fd(memfd_create("hull-seccomp", MFD_CLOEXEC));
  if (fd.get() < 0) return base::Status::Errno("memfd_create for the seccomp program");
  if (int rc = seccomp_export_bpf(ctx, fd.get()); rc < 0) return Failed("export", rc);
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) {
    return base::Status::Error("seccomp: exported program has " + std::to_string(size) +
                               " bytes");
  }
  BpfProgram program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(fd.get(), program.data(), static_cast<size_t>(size), 0) != size) {
    return base::Status::Errno("reading the seccomp program back");
  }
  return program;
}

}  // namespace

base::Result<BpfProgram> Compile(const Policy& policy, Layout layout) {
  Ctx ctx(seccomp_init(SCMP_ACT_KILL_PROCESS));
  if (!ctx) return base::Status::Error("seccomp_init failed");
  for (const SyscallRule& rule : policy.allow) RETURN_IF_ERROR(AddRule(ctx.get(), rule));
  for (const std::string& name : policy.enosys) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      return base::Status::Error("seccomp: unknown system call \"" + name + "\"");
    }
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), nr, 0); rc < 0) {
      return Failed("ENOSYS for " + name, rc);
    }
  }
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
      rc < 0) {
    return Failed("attribute", rc);
  }
  // A binary tree over the system call numbers instead of a linear list: the hot calls
  // (KVM_RUN's ioctl, pread64/pwrite64, epoll_wait, futex) pass in about a third of the
  // instructions (counted in seccomp_unittest.cc).
  if (layout == Layout::kTree) {
    if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc < 0) {
      return Failed("attribute", rc);
    }
  }
  // The thread sets no_new_privs itself, right before it installs the program.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0) {
    return Failed("attribute", rc);
  }
  return Export(ctx.get());
}

base::Status Install(std::span<const sock_filter> program) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return base::Status::Errno("PR_SET_NO_NEW_PRIVS");
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  const_cast<sock_filter*>(program.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    return base::Status::Errno("installing the seccomp filter");
  }
  return base::Status::Ok();
}

}  // namespace hull::vmm::seccomp
