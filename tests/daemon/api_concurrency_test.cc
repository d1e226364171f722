// hulld under concurrent clients (issue 7, item 8): 50 create → start → wait → rm cycles
// of namespace containers on the bridge, from several client threads at once, and then
// nothing left of them: no descriptor or thread hulld did not have before, no child
// process, no mount under the test's root, no cgroup, no veth or tap, no container
// directory, no address held in the pool. hulld runs in a network namespace the test
// creates (unshare -n, as tests/network does) with the bridge, and with a cgroup parent
// of its own so that its cgroups can be told from those of tests running alongside.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using hull::rootfs::testing::RunTool;
using nlohmann::json;
namespace fs = std::filesystem;

size_t CountEntries(const std::string& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++n;
  return n;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// What a container cycle may leave behind, counted; equal snapshots mean nothing leaked.
struct Leftovers {
  size_t fds = 0, threads = 0, children = 0, mounts = 0, cgroups = 0, links = 0, containers = 0,
         runtime_dirs = 0, monitors = 0;
  bool operator==(const Leftovers&) const = default;
  // Descriptors and threads of connections that were just closing when the baseline was
  // taken may be gone by now: fewer is fine, more is a leak.
  bool NoMoreThan(const Leftovers& b) const {
    return fds <= b.fds && threads <= b.threads && children == b.children && mounts == b.mounts &&
           cgroups == b.cgroups && links == b.links && containers == b.containers &&
           runtime_dirs == b.runtime_dirs && monitors == b.monitors;
  }
};

std::ostream& operator<<(std::ostream& os, const Leftovers& l) {
  return os << "fds " << l.fds << ", threads " << l.threads << ", children " << l.children << ", mounts "
            << l.mounts << ", cgroups " << l.cgroups << ", links " << l.links << ", container dirs "
            << l.containers << ", runtime dirs " << l.runtime_dirs << ", monitors " << l.monitors;
}

class ApiConcurrency : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"curl", "ip"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, bridges, cgroups)";
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    ASSERT_EQ(RunTool({"ip", "link", "set", "lo", "up"}).exit_status, 0);
    HulldTest::SetUp();  // a hulld with --bridge none; restarted with the bridge
    if (HasFatalFailure()) return;
    StopHulld(SIGTERM);
    cgroup_parent_ = "hull-test-" + fs::path(dir_).filename().string();
    ASSERT_TRUE(StartHulld({"--bridge", "hull0", "--cgroup-parent", cgroup_parent_}));
  }
  void TearDown() override {
    HulldTest::TearDown();
    if (cgroup_parent_.empty()) return;
    for (const auto& dir : CgroupParents()) {
      if (::rmdir(dir.c_str()) != 0) ADD_FAILURE() << "cgroup " << dir << " could not be removed: " << std::strerror(errno);
    }
  }

  // The cgroup parent's directory in each hierarchy where it exists.
  std::vector<std::string> CgroupParents() const {
    std::vector<std::string> out;
    std::error_code ec;
    if (fs::is_directory("/sys/fs/cgroup/" + cgroup_parent_, ec)) out.push_back("/sys/fs/cgroup/" + cgroup_parent_);
    for (auto it = fs::directory_iterator("/sys/fs/cgroup", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string dir = it->path().string() + "/" + cgroup_parent_;
      if (fs::is_directory(dir, ec)) out.push_back(dir);
    }
    return out;
  }

  Leftovers Count() {
    Leftovers l;
    std::string proc = "/proc/" + std::to_string(hulld_);
    l.fds = CountEntries(proc + "/fd");
    l.threads = CountEntries(proc + "/task");
    for (const auto& entry : fs::directory_iterator("/proc")) {
      std::string name = entry.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string stat = ReadFile(entry.path().string() + "/stat");
      size_t paren = stat.rfind(')');
      if (paren == std::string::npos) continue;
      int ppid = 0;
      char state = 0;
      if (std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) == 2 && ppid == hulld_) ++l.children;
    }
    std::istringstream mountinfo(ReadFile("/proc/self/mountinfo"));
    for (std::string line; std::getline(mountinfo, line);) {
      if (line.find(dir_) != std::string::npos) ++l.mounts;
    }
    for (const auto& dir : CgroupParents()) {
      std::error_code ec;
      for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (it->is_directory()) ++l.cgroups;
      }
    }
    std::istringstream links(RunTool({"ip", "-o", "link", "show"}).out);
    for (std::string line; std::getline(links, line);) {
      // veth host ends hv<id>, taps ht<id>: anything but lo and the bridge.
      if (line.find(": lo:") == std::string::npos && line.find(": hull0:") == std::string::npos) ++l.links;
    }
    l.containers = CountEntries(root_ + "/engine/containers");
    l.runtime_dirs = CountEntries(root_ + "/containers");
    l.monitors = LiveMonitors().size();
    return l;
  }

  // One container's life through the API; "" or what went wrong.
  std::string Cycle(const std::string& name, int code) {
    std::string body = json{{"Image", "hull/busybox"}, {"Cmd", {"sh", "-c", "echo " + name + "; exit " + std::to_string(code)}}}.dump();
    auto create = Http("POST", "/containers/create?name=" + name, body);
    if (create.status != 201) return name + ": create " + std::to_string(create.status) + " " + create.body;
    std::string id = json::parse(create.body, nullptr, false).value("Id", "");
    {
      std::lock_guard lock(mu_);
      ids_.push_back(id);
    }
    auto start = Http("POST", "/containers/" + id + "/start");
    if (start.status != 204) return name + ": start " + std::to_string(start.status) + " " + start.body;
    auto wait = Http("POST", "/containers/" + id + "/wait");
    int status = json::parse(wait.body, nullptr, false).value("StatusCode", -1);
    if (wait.status != 200 || status != code) return name + ": wait " + std::to_string(wait.status) + " " + wait.body;
    auto logs = Http("GET", "/containers/" + id + "/logs?stdout=1");
    if (logs.body.find(name + "\n") == std::string::npos) return name + ": logs " + logs.body;
    auto rm = Http("DELETE", "/containers/" + id);
    if (rm.status != 204) return name + ": rm " + std::to_string(rm.status) + " " + rm.body;
    return "";
  }

  std::string cgroup_parent_;
  std::mutex mu_;
  std::vector<std::string> ids_;  // guarded by mu_
};

TEST_F(ApiConcurrency, FiftyParallelLifecyclesLeaveNothingBehind) {
  // A first cycle opens whatever hulld opens once (the image's tree, the netlink and
  // nftables handles), so the baseline is the steady state.
  ASSERT_EQ(Cycle("warm-up", 0), "");
  Leftovers baseline = Count();
  EXPECT_EQ(baseline.children, 0u);
  EXPECT_EQ(baseline.containers, 0u);
  EXPECT_EQ(baseline.links, 0u);
  EXPECT_EQ(baseline.cgroups, 0u);

  constexpr int kThreads = 5, kCyclesEach = 10;
  std::vector<std::string> failures(kThreads * kCyclesEach);
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kCyclesEach; ++i) {
        int n = t * kCyclesEach + i;
        failures[n] = Cycle("cycle-" + std::to_string(n), n % 7);
      }
    });
  }
  for (auto& c : clients) c.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(ids_.size(), 51u);

  // Exits are recorded and connections end asynchronously: wait (generously) for the
  // counts to settle rather than time anything.
  Leftovers now = Count();
  for (int i = 0; i < 600 && !now.NoMoreThan(baseline); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = Count();
  }
  EXPECT_TRUE(now.NoMoreThan(baseline)) << "after 50 cycles: " << now << "\nbaseline: " << baseline;
  auto list = json::parse(Http("GET", "/containers/json?all=1").body, nullptr, false);
  EXPECT_TRUE(list.is_array() && list.empty()) << list.dump();
  auto pool = json::parse(ReadFile(root_ + "/network/endpoints.json"), nullptr, false);
  ASSERT_TRUE(pool.is_object()) << "no address pool in " << root_ << "/network";
  EXPECT_EQ(pool.value("endpoints", json()), json::object()) << "addresses still held";
  EXPECT_EQ(Http("GET", "/_ping").status, 200);
}

}  // namespace
}  // namespace hull::daemon_testing
