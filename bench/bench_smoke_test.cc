// `hull bench --quick --runtimes ns` end to end: the real CLI, the real namespace
// runtime, into a temporary report directory — the network measures included, on the
// bench's own network namespaces. Root only (hull's namespace runtime).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"

namespace {

namespace fs = std::filesystem;

TEST(BenchSmoke, QuickNamespaceRunWritesTheReportDirectory) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (hull's namespace runtime)";
  char tmpl[] = "/tmp/hull-bench-smoke.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string cmd = std::string(HULL_CLI_PATH) + " bench --quick --runtimes ns --out " + dir +
                    "/report --work-dir " + dir + " > " + dir + "/stdout 2> " + dir + "/stderr";
  int status = std::system(cmd.c_str());
  auto stderr_text = hull::base::ReadFileToString(dir + "/stderr");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << (stderr_text.ok() ? *stderr_text : "");

  auto json_text = hull::base::ReadFileToString(dir + "/report/results.json");
  ASSERT_TRUE(json_text.ok());
  nlohmann::json j = nlohmann::json::parse(*json_text);
  ASSERT_EQ(j["runtimes"].size(), 1u);
  EXPECT_EQ(j["runtimes"][0]["id"], "ns");
  EXPECT_EQ(j["quick"], true);
  EXPECT_FALSE(j["guest_execution"].get<std::string>().empty());
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& m : j["measures"]) by_id[m["id"]] = m;
  for (const char* id : {"start_exit", "first_output", "memory_idle", "cpu_sha256", "fork_exec",
                         "syscall", "file_seq_write", "file_random_read", "file_random_write",
                         "net_rtt", "net_tx", "net_rx", "image_rootfs"}) {
    ASSERT_TRUE(by_id.count(id)) << id;
    const auto& ns = by_id[id]["results"]["ns"];
    ASSERT_TRUE(ns.contains("median")) << id << ": " << ns.dump();
    EXPECT_GT(ns["median"].get<double>(), 0) << id;
  }
  // The bench network is gone with the run, and was never the host's.
  EXPECT_NE(std::system("ip link show hbtap0 >/dev/null 2>&1"), 0);
  EXPECT_NE(std::system("ip link show hbveth0 >/dev/null 2>&1"), 0);

  auto md = hull::base::ReadFileToString(dir + "/report/report.md");
  ASSERT_TRUE(md.ok());
  EXPECT_NE(md->find("| hull ns | `ns` | measured |"), std::string::npos) << *md;
  EXPECT_TRUE(fs::exists(dir + "/report/charts/start_exit.svg"));
  // The private store and bundles are gone; only what the test made is left.
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename();
    EXPECT_TRUE(name == "report" || name == "stdout" || name == "stderr") << name;
  }
  fs::remove_all(dir);
}

}  // namespace
