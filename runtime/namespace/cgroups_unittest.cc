// The cgroup code against fake cgroupfs trees (plain directories and files): the v2
// path cannot run for real on hosts that mount v1 controllers, so its writes are checked
// here file by file; the v1 path is checked the same way (and for real by
// tests/namespace).
#include "runtime/namespace/cgroups.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "rootfs-builder/safe_path.h"

namespace hull::runtime::ns {
namespace {

class FakeCgroupfs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-cgfs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { (void)rootfs::RemoveTree(root_); }
  void Write(const std::string& path, const std::string& text) {
    std::string full = root_ + "/" + path;
    ::mkdir(full.substr(0, full.rfind('/')).c_str(), 0755);
    std::ofstream(full) << text;
  }
  std::string Read(const std::string& path) {
    auto text = base::ReadFileToString(root_ + "/" + path);
    return text.ok() ? *text : "<missing>";
  }
  std::string root_;
};

TEST_F(FakeCgroupfs, V2WritesLimitsAndEnablesControllers) {
  Write("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  Write("cgroup.subtree_control", "");
  Write("hull/cgroup.controllers", "cpu memory pids\n");
  Write("hull/cgroup.subtree_control", "");
  CgroupLimits limits;
  limits.memory_bytes = 64 << 20;
  limits.cpu_quota_us = CpuQuotaForCpus(1.5);
  limits.pids_max = 100;
  auto cg = Cgroup::Create(root_, CgroupVersion::kV2, "hull/c1", limits);
  // Create fails on the fake: memory.max does not exist until the kernel makes it.
  ASSERT_FALSE(cg.ok());
  EXPECT_NE(cg.status().message().find("memory.max"), std::string::npos);
  struct stat st {};
  EXPECT_NE(::stat((root_ + "/hull/c1").c_str(), &st), 0) << "a failed Create leaves nothing";
  EXPECT_EQ(Read("cgroup.subtree_control"), "+memory +cpu +pids");
  EXPECT_EQ(Read("hull/cgroup.subtree_control"), "+memory +cpu +pids");
}

// With the files in place (as the kernel would make them), every limit lands in the
// file v2 defines for it, swap in v2's own terms (swap alone, not memory + swap).
TEST_F(FakeCgroupfs, V2LimitFiles) {
  for (const char* f : {"memory.max", "memory.swap.max", "cpu.max", "pids.max"}) Write(std::string("c/") + f, "max");
  CgroupLimits limits;
  limits.memory_bytes = 64 << 20;
  limits.cpu_quota_us = CpuQuotaForCpus(0.5);
  limits.pids_max = 42;
  ASSERT_TRUE(WriteCgroupV2Limits(root_ + "/c", limits).ok());
  EXPECT_EQ(Read("c/memory.max"), std::to_string(64 << 20));
  EXPECT_EQ(Read("c/memory.swap.max"), std::to_string(64 << 20));  // Docker: swap = memory
  EXPECT_EQ(Read("c/cpu.max"), "50000 100000");
  EXPECT_EQ(Read("c/pids.max"), "42");
  limits.memory_swap_bytes = -1;
  ASSERT_TRUE(WriteCgroupV2Limits(root_ + "/c", limits).ok());
  EXPECT_EQ(Read("c/memory.swap.max"), "max");
  EXPECT_EQ(CgroupDirs(root_, CgroupVersion::kV2, "hull/c2"), std::vector<std::string>{root_ + "/hull/c2"});
}

TEST_F(FakeCgroupfs, V2UnlimitedWritesNothing) {
  Write("c/pids.max", "max");
  ASSERT_TRUE(WriteCgroupV2Limits(root_ + "/c", {}).ok());
  EXPECT_EQ(Read("c/pids.max"), "max");
  EXPECT_EQ(Read("c/memory.max"), "<missing>");
}

TEST_F(FakeCgroupfs, V1LimitFiles) {
  for (const char* f : {"memory/hull/c/memory.limit_in_bytes", "memory/hull/c/memory.memsw.limit_in_bytes",
                        "cpu/hull/c/cpu.cfs_period_us", "cpu/hull/c/cpu.cfs_quota_us",
                        "pids/hull/c/pids.max", "devices/hull/c/devices.deny", "devices/hull/c/devices.allow"}) {
    std::string path = root_ + "/" + f;
    for (size_t p = root_.size() + 1; (p = path.find('/', p)) != std::string::npos; ++p) {
      ::mkdir(path.substr(0, p).c_str(), 0755);
    }
    std::ofstream(path) << "";
  }
  CgroupLimits limits;
  limits.memory_bytes = 32 << 20;
  limits.cpu_quota_us = CpuQuotaForCpus(2);
  limits.pids_max = 7;
  ASSERT_TRUE(WriteCgroupV1Limits(root_, "hull/c", limits).ok());
  EXPECT_EQ(Read("memory/hull/c/memory.limit_in_bytes"), std::to_string(32 << 20));
  EXPECT_EQ(Read("memory/hull/c/memory.memsw.limit_in_bytes"), std::to_string(64 << 20));
  EXPECT_EQ(Read("cpu/hull/c/cpu.cfs_quota_us"), "200000");
  EXPECT_EQ(Read("cpu/hull/c/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Read("pids/hull/c/pids.max"), "7");
  EXPECT_EQ(Read("devices/hull/c/devices.deny"), "a");
}

TEST_F(FakeCgroupfs, V1UsesOneDirectoryPerController) {
  auto dirs = CgroupDirs(root_, CgroupVersion::kV1, "hull/c3");
  EXPECT_EQ(dirs, (std::vector<std::string>{root_ + "/memory/hull/c3", root_ + "/cpu/hull/c3",
                                            root_ + "/pids/hull/c3", root_ + "/devices/hull/c3"}));
  auto cg = Cgroup::Create(root_, CgroupVersion::kV1, "hull/c3", {});
  ASSERT_FALSE(cg.ok());
  EXPECT_NE(cg.status().message().find("not mounted"), std::string::npos);
}

TEST_F(FakeCgroupfs, RefusesNamesThatLeaveTheParent) {
  for (const char* bad : {"", "../x", "a/b/c", "..", "noparent", "hull/.x"}) {
    EXPECT_FALSE(Cgroup::Create(root_, CgroupVersion::kV2, bad, {}).ok()) << bad;
  }
}

TEST(DetectCgroupVersion, PlainDirectoryIsNeither) {
  EXPECT_FALSE(DetectCgroupVersion("/tmp").ok());
}

}  // namespace
}  // namespace hull::runtime::ns
