#include "runtime/namespace/seccomp_profile.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "rootfs-builder/safe_path.h"

namespace hull::runtime::ns {
namespace {

// Runs `body` in a child under the filter; returns the child's exit code.
int UnderFilter(const std::vector<sock_filter>& program, int (*body)()) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (!InstallSeccomp(program).ok()) ::_exit(100);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

TEST(SeccompProfile, DeniesWhatTheDefaultCapabilitiesDoNotCover) {
  auto program = CompileDefaultSeccomp(DockerDefaultCaps(), "");
  ASSERT_TRUE(program.ok()) << program.status().message();
  EXPECT_EQ(UnderFilter(*program, [] { return ::getpid() > 0 ? 0 : 1; }), 0);
  EXPECT_EQ(UnderFilter(*program, [] {
              return ::mount("none", "/", "tmpfs", 0, nullptr) != 0 && errno == EPERM ? 0 : 1;
            }), 0);
  EXPECT_EQ(UnderFilter(*program, [] { return ::unshare(CLONE_NEWNS) != 0 && errno == EPERM ? 0 : 1; }), 0);
  EXPECT_EQ(UnderFilter(*program, [] {
              return ::syscall(SYS_clone3, nullptr, 0) != 0 && errno == ENOSYS ? 0 : 1;
            }), 0);
}

TEST(SeccompProfile, SysAdminAllowsMountAndUnshare) {
  auto program = CompileDefaultSeccomp(DockerDefaultCaps() | (CapSet{1} << CAP_SYS_ADMIN), "");
  ASSERT_TRUE(program.ok());
  EXPECT_EQ(UnderFilter(*program, [] { return ::unshare(CLONE_NEWUTS) == 0 ? 0 : 1; }), 0);
}

TEST(SeccompProfile, CachedProgramIsTheCompiledOne) {
  char tmpl[] = "/tmp/hull-seccomp-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = std::string(tmpl) + "/cache";
  auto first = CompileDefaultSeccomp(DockerDefaultCaps(), dir);
  auto second = CompileDefaultSeccomp(DockerDefaultCaps(), dir);
  auto other = CompileDefaultSeccomp(AllCaps(), dir);
  ASSERT_TRUE(first.ok() && second.ok() && other.ok());
  ASSERT_EQ(first->size(), second->size());
  EXPECT_EQ(std::memcmp(first->data(), second->data(), first->size() * sizeof(sock_filter)), 0);
  EXPECT_NE(first->size(), other->size()) << "capability sets get their own cache entries";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.path().extension() == ".bpf";
  EXPECT_EQ(files, 2);
  (void)rootfs::RemoveTree(tmpl);
}

}  // namespace
}  // namespace hull::runtime::ns
