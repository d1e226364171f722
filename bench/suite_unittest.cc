// The suite against fake runtimes: a chroot into a busybox tree (a "runtime" that runs
// every measure for real), one that always fails, one that fails one measure only, and
// peers that are not installed. Needs root (chroot) and /bin/busybox.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include <gtest/gtest.h>

#include "bench/bench_network.h"
#include "bench/child_process.h"
#include "bench/suite.h"

namespace hull::bench {
namespace {

namespace fs = std::filesystem;

class BenchSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (the fake runtime chroots)";
    if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "needs /bin/busybox (busybox-static)";
    char tmpl[] = "/tmp/hull-bench-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    tree_ = dir_ + "/tree";
    fs::create_directories(tree_ + "/bin");
    fs::create_directories(tree_ + "/dev");
    fs::copy_file("/bin/busybox", tree_ + "/bin/busybox");
    fs::copy_file(HULL_BENCH_TOOL_PATH, tree_ + "/bin/hull-bench-tool");
    auto list = ChildProcess::Start({"/bin/busybox", "--list"});
    ASSERT_TRUE(list.ok());
    RunResult applets = list->Wait(Clock::now() + std::chrono::seconds(10));
    ASSERT_TRUE(applets.ok());
    std::istringstream names(applets.output);
    for (std::string name; std::getline(names, name);) {
      if (!name.empty() && name != "busybox" && !fs::exists(tree_ + "/bin/" + name)) fs::create_symlink("busybox", tree_ + "/bin/" + name);
    }
    for (const char* dev : {"null", "zero"}) {
      ASSERT_EQ(RunQuietly({"cp", "-a", std::string("/dev/") + dev, tree_ + "/dev/"},
                           std::chrono::seconds(10)), 0);
    }
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Runs the command chrooted into the tree, unless `fail_if` occurs in it.
  Runtime Chroot(const std::string& id, const std::string& fail_if = "") {
    Runtime r;
    r.info = {id, "fake " + id, false, ""};
    r.net_unavailable = "no bench network in this test";
    std::string tree = tree_;
    r.argv = [tree, fail_if](const Argv& command, const std::string&) -> base::Result<Argv> {
      std::string joined;
      for (const auto& a : command) joined += a + " ";
      if (!fail_if.empty() && joined.find(fail_if) != std::string::npos) {
        return Argv{"sh", "-c", "echo 'refused: " + fail_if + "' >&2; exit 4"};
      }
      Argv argv = {"chroot", tree};
      argv.insert(argv.end(), command.begin(), command.end());
      return argv;
    };
    return r;
  }

  SuiteOptions Quick() {
    SuiteOptions o;
    o.quick = true;
    o.run_timeout = std::chrono::seconds(30);
    return o;
  }

  std::string dir_, tree_;
};

const Measure& Find(const std::vector<Measure>& measures, const std::string& id) {
  for (const auto& m : measures) {
    if (m.id == id) return m;
  }
  static Measure none;
  ADD_FAILURE() << "no measure " << id;
  return none;
}

TEST_F(BenchSuite, MeasuresEveryQuickMeasureOnAWorkingRuntime) {
  std::vector<Runtime> runtimes = {Chroot("fake")};
  std::vector<Measure> measures = RunMeasures(runtimes, Quick());
  for (const char* id : {"start_exit", "first_output", "memory_idle", "density", "cpu_sha256",
                         "fork_exec", "syscall", "file_seq_write", "file_seq_read",
                         "file_random_read", "file_random_write"}) {
    const Measure& m = Find(measures, id);
    ASSERT_TRUE(m.cells.count("fake")) << id;
    const Cell& c = m.cells.at("fake");
    ASSERT_TRUE(c.summary.has_value()) << id << ": " << c.note;
    EXPECT_GT(c.summary->median, 0) << id;
    EXPECT_LE(c.summary->low, c.summary->median) << id;
    EXPECT_GE(c.summary->high, c.summary->median) << id;
  }
  EXPECT_EQ(Find(measures, "start_exit").cells.at("fake").summary->n, 5);
  // busybox `sleep` in a chroot is far below the budget: the cap is reached.
  EXPECT_EQ(Find(measures, "density").cells.at("fake").summary->median, 4);
  EXPECT_FALSE(fs::exists(tree_ + "/hull-bench.dat"));
  EXPECT_FALSE(fs::exists(tree_ + "/hull-bench-rand.dat"));
  // No network given: its measures say why instead of a number.
  const Cell& rtt = Find(measures, "net_rtt").cells.at("fake");
  EXPECT_FALSE(rtt.summary.has_value());
  EXPECT_FALSE(rtt.failed);
  EXPECT_EQ(rtt.note, "not measured: no bench network in this test");
}

// The fake runtime on a real bench network: the chroot runs inside the container
// namespace, its veth to the host namespace where hull-bench-tool serves.
TEST_F(BenchSuite, MeasuresTheNetworkOverTheBenchNetworksVeth) {
  auto created = BenchNetwork::Create(HULL_BENCH_TOOL_PATH);
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::optional<BenchNetwork> net;
  net.emplace(std::move(*created));
  std::string host_netns = net->host_netns();
  Runtime rt = Chroot("fake");
  NetworkAccess access;
  access.host_address = kVethHostAddress;
  const BenchNetwork* n = &*net;
  auto prepared = std::make_shared<int>(0);
  access.prepare = [n, prepared] {
    ++*prepared;
    return n->ResetContainerSide();
  };
  std::string netns = net->container_netns(), tree = tree_;
  access.argv = [netns, tree](const Argv& command, const std::string&) -> base::Result<Argv> {
    Argv argv = {"chroot", tree};
    argv.insert(argv.end(), command.begin(), command.end());
    return InNetns(netns, argv);
  };
  rt.net = access;
  std::vector<Measure> measures = RunMeasures({rt}, Quick());
  for (const char* id : {"net_rtt", "net_tx", "net_rx"}) {
    const Cell& c = Find(measures, id).cells.at("fake");
    ASSERT_TRUE(c.summary.has_value()) << id << ": " << c.note << " " << c.error;
    EXPECT_EQ(c.summary->n, 2) << id;
    EXPECT_GT(c.summary->median, 0) << id;
  }
  EXPECT_EQ(*prepared, 2);
  // Mbit/s over a veth is well above a microsecond round trip's scale; a swapped key
  // or unit would show here.
  EXPECT_GT(Find(measures, "net_tx").cells.at("fake").summary->median, 50);
  EXPECT_LT(Find(measures, "net_rtt").cells.at("fake").summary->median, 100000);
  // Gone with the holders: the namespaces and their devices; the host never had them.
  net.reset();
  EXPECT_FALSE(fs::exists(host_netns));
  EXPECT_NE(RunQuietly({"ip", "link", "show", "hbtap0"}, std::chrono::seconds(10)), 0);
  EXPECT_NE(RunQuietly({"ip", "link", "show", "hbveth0"}, std::chrono::seconds(10)), 0);
}

TEST_F(BenchSuite, AFailingRuntimeIsRecordedWithItsErrorAndTheOthersContinue) {
  Runtime broken;
  broken.info = {"broken", "broken", false, ""};
  broken.argv = [](const Argv&, const std::string&) -> base::Result<Argv> {
    return Argv{"sh", "-c", "echo 'cannot start: no such thing' >&2; exit 3"};
  };
  std::vector<Runtime> runtimes = {broken, Chroot("picky", "sha256sum")};
  std::vector<Measure> measures = RunMeasures(runtimes, Quick());
  for (const auto& m : measures) {
    ASSERT_TRUE(m.cells.count("broken")) << m.id;
    const Cell& c = m.cells.at("broken");
    EXPECT_TRUE(c.failed) << m.id;
    EXPECT_NE(c.note.find("exit status 3: cannot start: no such thing"), std::string::npos) << c.note;
  }
  const Cell& cpu = Find(measures, "cpu_sha256").cells.at("picky");
  EXPECT_TRUE(cpu.failed);
  EXPECT_NE(cpu.note.find("exit status 4: refused: sha256sum"), std::string::npos) << cpu.note;
  const Cell& start = Find(measures, "start_exit").cells.at("picky");
  ASSERT_TRUE(start.summary.has_value()) << start.note;
  EXPECT_EQ(start.summary->n, 5);
  EXPECT_TRUE(Find(measures, "fork_exec").cells.at("picky").summary.has_value());
}

TEST_F(BenchSuite, FailedRepetitionsAreCountedAndTheOthersSummarized) {
  Runtime flaky = Chroot("flaky");
  auto calls = std::make_shared<int>(0);
  auto inner = flaky.argv;
  flaky.argv = [inner, calls](const Argv& command, const std::string& name) -> base::Result<Argv> {
    // `true` runs: the warm-up (call 1) works, then every second one fails.
    if (command == Argv{"true"} && ++*calls % 2 == 0) {
      return Argv{"sh", "-c", "echo 'flaked' >&2; exit 5"};
    }
    return inner(command, name);
  };
  std::vector<Measure> measures = RunMeasures({flaky}, Quick());
  const Cell& c = Find(measures, "start_exit").cells.at("flaky");
  ASSERT_TRUE(c.summary.has_value()) << c.note;
  EXPECT_EQ(c.summary->n, 2);
  EXPECT_FALSE(c.failed);
  EXPECT_EQ(c.note, "(3 of 5 runs failed)");
  EXPECT_EQ(c.error, "exit status 5: flaked");
  Report report;
  report.runtimes = {flaky.info};
  report.measures = measures;
  std::string md = ReportToMarkdown(report);
  EXPECT_NE(md.find("- start → exit of `true`, `flaky`: (3 of 5 runs failed) exit status 5: flaked"),
            std::string::npos) << md;
}

TEST_F(BenchSuite, ARuntimeThatIsNotInstalledIsNotRunAndSaysWhy) {
  const char* old = std::getenv("PATH");
  std::string saved = old ? old : "";
  setenv("PATH", dir_.c_str(), 1);  // nothing in there
  BenchEnvironment env;
  env.work = dir_;
  env.tree = tree_;
  GuestExecution guests;
  std::vector<Runtime> runtimes = MakeRuntimes(env, guests, {"crun", "runc", "runsc"});
  setenv("PATH", saved.c_str(), 1);
  ASSERT_EQ(runtimes.size(), 3u);
  for (const auto& r : runtimes) {
    EXPECT_NE(r.info.unavailable.find("not installed"), std::string::npos) << r.info.id;
  }
  std::vector<Measure> measures = RunMeasures(runtimes, Quick());
  for (const auto& m : measures) EXPECT_TRUE(m.cells.empty()) << m.id;
  Report report;
  report.runtimes = {runtimes[0].info};
  report.measures = measures;
  std::string md = ReportToMarkdown(report);
  EXPECT_NE(md.find("| crun | `crun` | not run: not installed (crun not found in PATH) |"),
            std::string::npos) << md;
}

}  // namespace
}  // namespace hull::bench
