// hull-jailer's command line (jailer_args.h): what is accepted, what is refused and
// why, and where the jail of an id lives. The jail itself is tested end to end under
// KVM (tests/kvm/jailer_test.cc).
#include "jailer/jailer_args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jailer/jail_setup.h"

namespace hull::jailer {
namespace {

base::Result<JailerArgs> Parse(std::vector<std::string> flags) {
  flags.insert(flags.begin(), "hull-jailer");
  std::vector<const char*> argv;
  for (const std::string& f : flags) argv.push_back(f.c_str());
  return ParseJailerArgs(static_cast<int>(argv.size()), argv.data());
}

std::vector<std::string> Minimal() {
  return {"--id", "vm-1", "--exec-file", "/usr/bin/hull-vmm", "--uid", "1000", "--gid", "1000"};
}

std::vector<std::string> With(std::vector<std::string> extra) {
  std::vector<std::string> flags = Minimal();
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

std::string ErrorOf(std::vector<std::string> flags) {
  base::Result<JailerArgs> r = Parse(flags);
  return r.ok() ? "(accepted)" : r.status().message();
}

TEST(JailerArgs, ParsesEveryFlagAndPassesTheRestToTheVmm) {
  base::Result<JailerArgs> r = Parse(With(
      {"--chroot-base", "/srv/jail", "--netns", "/var/run/netns/vm1", "--cgroup", "memory.max=268435456",
       "--cgroup", "cpu.max=50000 100000", "--cgroup", "pids.max=64", "--resource-limit",
       "fsize=1048576,no-file=128", "--bind", "/var/lib/vm1/disk.img", "--bind", "/boot/vmlinux:ro",
       "--daemonize", "--", "--kernel", "/boot/vmlinux", "--bind", "x"}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->id, "vm-1");
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->chroot_base, "/srv/jail");
  EXPECT_EQ(r->netns, "/var/run/netns/vm1");
  EXPECT_TRUE(r->has_cgroup);
  EXPECT_EQ(r->cgroup.memory_bytes, 268435456);
  EXPECT_EQ(r->cgroup.cpu_quota_us, 50000);
  EXPECT_EQ(r->cgroup.cpu_period_us, 100000);
  EXPECT_EQ(r->cgroup.pids_max, 64);
  EXPECT_EQ(r->rlimit_fsize, 1048576u);
  EXPECT_EQ(r->rlimit_nofile, 128u);
  ASSERT_EQ(r->binds.size(), 2u);
  EXPECT_FALSE(r->binds[0].read_only);
  EXPECT_EQ(r->binds[1].source, "/boot/vmlinux");
  EXPECT_EQ(r->binds[1].target, "/boot/vmlinux") << "at its own path when no target is given";
  EXPECT_TRUE(r->binds[1].read_only);
  EXPECT_TRUE(r->daemonize);
  EXPECT_EQ(r->vmm_args, (std::vector<std::string>{"--kernel", "/boot/vmlinux", "--bind", "x"}));
}

TEST(JailerArgs, DefaultsAreFirecrackersWhereItHasThem) {
  base::Result<JailerArgs> r = Parse(Minimal());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rlimit_nofile, 2048u);
  EXPECT_FALSE(r->rlimit_fsize);
  EXPECT_FALSE(r->has_cgroup);
  EXPECT_FALSE(r->daemonize);
  EXPECT_EQ(r->chroot_base, "/run/hull/jailer");
}

TEST(JailerArgs, IdIsLettersDigitsAndHyphensUpTo64) {
  EXPECT_TRUE(CheckId("abc-DEF-0123").ok());
  EXPECT_TRUE(CheckId(std::string(64, 'a')).ok());
  EXPECT_FALSE(CheckId(std::string(65, 'a')).ok());
  EXPECT_FALSE(CheckId("").ok());
  for (const char* bad : {"../x", "a/b", "a.b", "a_b", "a b", "..", "a\nb"}) {
    EXPECT_FALSE(CheckId(bad).ok()) << bad;
  }
  EXPECT_NE(ErrorOf({"--id", "../../etc", "--exec-file", "/x", "--uid", "1", "--gid", "1"})
                .find("--id"), std::string::npos);
}

TEST(JailerArgs, PathsMustBeAbsoluteWithoutDotDot) {
  EXPECT_TRUE(CheckAbsolutePath("p", "/a/b/c").ok());
  EXPECT_TRUE(CheckAbsolutePath("p", "/a/b/").ok());
  for (const char* bad : {"a/b", "", "/a/../b", "/..", "/a/./b", "/a//b", "./x"}) {
    EXPECT_FALSE(CheckAbsolutePath("p", bad).ok()) << bad;
  }
  EXPECT_NE(ErrorOf({"--id", "x", "--exec-file", "hull-vmm", "--uid", "1", "--gid", "1"})
                .find("absolute"), std::string::npos);
  EXPECT_NE(ErrorOf(With({"--bind", "/srv/../etc/shadow"})).find(".."), std::string::npos);
  EXPECT_NE(ErrorOf(With({"--chroot-base", "jails"})).find("--chroot-base"), std::string::npos);
  EXPECT_NE(ErrorOf(With({"--netns", "vm1"})).find("--netns"), std::string::npos);
}

TEST(JailerArgs, BindsCannotCoverTheJailsOwnPlaces) {
  for (const char* bad : {"/", "/dev", "/dev/kvm", "/proc", "/proc/1", "/hull-vmm", "/hull-vmm.pid"}) {
    EXPECT_FALSE(Parse(With({"--bind", bad})).ok()) << bad;
  }
  EXPECT_TRUE(Parse(With({"--bind", "/devices/x"})).ok());
  EXPECT_NE(ErrorOf(With({"--bind", "/a", "--bind", "/a:ro"})).find("twice"), std::string::npos);
}

TEST(JailerArgs, RootAndMissingIdentitiesAreRefused) {
  EXPECT_NE(ErrorOf({"--id", "x", "--exec-file", "/x", "--uid", "0", "--gid", "1"}).find("--uid"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--id", "x", "--exec-file", "/x", "--uid", "1", "--gid", "0"}).find("--gid"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--id", "x", "--exec-file", "/x", "--uid", "-5", "--gid", "1"}).find("--uid"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--id", "x", "--exec-file", "/x"}).find("required"), std::string::npos);
  EXPECT_NE(ErrorOf({"--id", "x", "--uid", "1", "--gid", "1"}).find("--exec-file"), std::string::npos);
}

TEST(JailerArgs, CgroupAndResourceLimitsAreChecked) {
  EXPECT_NE(ErrorOf(With({"--cgroup", "cpuset.cpus=0"})).find("memory.max, cpu.max and pids.max"),
            std::string::npos);
  EXPECT_FALSE(Parse(With({"--cgroup", "memory.max=12k"})).ok());
  EXPECT_FALSE(Parse(With({"--cgroup", "memory.max=100"})).ok());
  EXPECT_FALSE(Parse(With({"--cgroup", "cpu.max=max"})).ok());
  EXPECT_FALSE(Parse(With({"--cgroup", "pids.max=0"})).ok());
  base::Result<JailerArgs> cpu = Parse(With({"--cgroup", "cpu.max=25000"}));
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  EXPECT_EQ(cpu->cgroup.cpu_period_us, 100000);
  EXPECT_NE(ErrorOf(With({"--resource-limit", "nproc=5"})).find("fsize and no-file"), std::string::npos);
  EXPECT_FALSE(Parse(With({"--resource-limit", "fsize"})).ok());
  EXPECT_FALSE(Parse(With({"--resource-limit", "no-file=3"})).ok());
}

TEST(JailerArgs, UnknownFlagsAndMissingValuesAreErrors) {
  EXPECT_NE(ErrorOf(With({"--kernel", "/boot/vmlinux"})).find("after --"), std::string::npos);
  EXPECT_NE(ErrorOf(With({"--bind"})).find("needs a value"), std::string::npos);
}

TEST(JailerArgs, CleanupNeedsOnlyTheId) {
  base::Result<JailerArgs> r = Parse({"--cleanup", "--id", "vm-1", "--chroot-base", "/srv/jail"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(PathsFor(*r).dir, "/srv/jail/hull-vmm/vm-1");
  EXPECT_FALSE(Parse({"--cleanup", "--id", "a/b"}).ok());
}

// hull-vmm --jail: the same flags but --exec-file (the VMM is the process itself), its
// jails under hull-vmm/, and its own clean-up command named in errors.
TEST(JailerArgs, HullVmmJailTakesNoExecFile) {
  auto parse = [](std::vector<std::string> flags) {
    flags.insert(flags.begin(), "--jail");
    std::vector<const char*> argv;
    for (const std::string& f : flags) argv.push_back(f.c_str());
    return ParseJailerArgs(static_cast<int>(argv.size()), argv.data(), JailMode::kSelf);
  };
  base::Result<JailerArgs> r = parse({"--id", "vm-1", "--uid", "1000", "--gid", "1000", "--chroot-base",
                                      "/srv/jail", "--bind", "/hull-vmm", "--", "--kernel", "/k"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->mode, JailMode::kSelf);
  EXPECT_EQ(r->vmm_args, (std::vector<std::string>{"--kernel", "/k"}));
  JailPaths p = PathsFor(*r);
  EXPECT_EQ(p.dir, "/srv/jail/hull-vmm/vm-1");
  EXPECT_EQ(p.pid_file, "/srv/jail/hull-vmm/vm-1/hull-vmm.pid");
  EXPECT_EQ(p.cleanup_command, "hull-vmm --jail --cleanup");
  EXPECT_EQ(PathsFor(*Parse(Minimal())).cleanup_command, "hull-jailer --cleanup");
  base::Result<JailerArgs> exec = parse({"--id", "vm-1", "--exec-file", "/usr/bin/hull-vmm", "--uid", "1",
                                         "--gid", "1"});
  ASSERT_FALSE(exec.ok());
  EXPECT_NE(exec.status().message().find("hull-vmm --jail jails hull-vmm itself"), std::string::npos);
  EXPECT_FALSE(parse({"--id", "vm-1", "--uid", "1000"}).ok()) << "--gid is still required";
  EXPECT_NE(JailerUsage(JailMode::kSelf).find("hull-vmm --jail --id ID"), std::string::npos);
}

TEST(JailerArgs, BindsTakeATargetInTheJail) {
  base::Result<JailerArgs> r = Parse(With({"--bind", "/var/cache/hull/k/vmlinux:/kernel:ro",
                                           "--bind", "/var/lib/hull/vm-1/files:/vm"}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->binds.size(), 2u);
  EXPECT_EQ(r->binds[0].source, "/var/cache/hull/k/vmlinux");
  EXPECT_EQ(r->binds[0].target, "/kernel");
  EXPECT_TRUE(r->binds[0].read_only);
  EXPECT_EQ(r->binds[1].target, "/vm");
  EXPECT_FALSE(r->binds[1].read_only);
  for (const char* bad : {"/a:b", "/a:/b:/c", "/a:ro:/b", "/a:rw", "/a:/dev/kvm", "/a:/proc/x", "/a:/"}) {
    EXPECT_FALSE(Parse(With({"--bind", bad})).ok()) << bad;
  }
  EXPECT_NE(ErrorOf(With({"--bind", "/x:/vm", "--bind", "/y:/vm:ro"})).find("twice"), std::string::npos);
  // A bind inside another would be made through it, on the host's file system.
  EXPECT_NE(ErrorOf(With({"--bind", "/x:/vm", "--bind", "/y:/vm/disk"})).find("inside /vm"),
            std::string::npos);
  EXPECT_NE(ErrorOf(With({"--bind", "/y:/vm/disk", "--bind", "/x:/vm"})).find("inside /vm"),
            std::string::npos);
}

TEST(JailerArgs, NothingBoundMayLieUnderTheChrootBase) {
  // The jail's root is mounted on --chroot-base in its namespace: it would hide these.
  EXPECT_NE(ErrorOf(With({"--chroot-base", "/srv/jail", "--bind", "/srv/jail/x.img"})).find("inside --chroot-base"),
            std::string::npos);
  EXPECT_NE(ErrorOf(With({"--chroot-base", "/usr/bin"})).find("inside --chroot-base"), std::string::npos)
      << "the --exec-file /usr/bin/hull-vmm";
  EXPECT_NE(ErrorOf(With({"--chroot-base", "/"})).find("--chroot-base /"), std::string::npos);
  EXPECT_EQ(ErrorOf(With({"--chroot-base", "/srv/jail", "--bind", "/srv/jail2/x.img"})), "(accepted)");
}

TEST(JailerArgs, NoSupervisorIsASwitchThatDaemonizeExcludes) {
  base::Result<JailerArgs> r = Parse(With({"--no-supervisor", "--", "--kernel", "/k"}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->no_supervisor);
  EXPECT_FALSE(r->daemonize);
  EXPECT_EQ(r->vmm_args, (std::vector<std::string>{"--kernel", "/k"}));
  EXPECT_FALSE(Parse(Minimal())->no_supervisor);
  EXPECT_NE(ErrorOf(With({"--no-supervisor", "--daemonize"})).find("one or the other"), std::string::npos);
  EXPECT_NE(JailerUsage().find("--no-supervisor"), std::string::npos);
}

TEST(JailPaths, LiveUnderBaseExecNameAndId) {
  base::Result<JailerArgs> r = Parse(With({"--chroot-base", "/srv/jail/"}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  JailPaths p = PathsFor(*r);
  EXPECT_EQ(p.dir, "/srv/jail/hull-vmm/vm-1");
  EXPECT_EQ(p.exec_name, "hull-vmm");
  EXPECT_EQ(p.pid_file, "/srv/jail/hull-vmm/vm-1/hull-vmm.pid");  // outside the VMM's root
  EXPECT_EQ(p.cgroup_name, "hull-jailer/vm-1");
}

TEST(JailEnvironment, KeepsOnlyHullVmmVariables) {
  const char* env[] = {"PATH=/bin", "HULL_LOG=debug", "HULL_VMM_BOOT_TRACE=1", "SECRET=x",
                       "HULL_LOGX=1", "LD_PRELOAD=/tmp/x.so", nullptr};
  EXPECT_EQ(CleanEnvironment(env),
            (std::vector<std::string>{"HULL_LOG=debug", "HULL_VMM_BOOT_TRACE=1"}));
}

}  // namespace
}  // namespace hull::jailer
