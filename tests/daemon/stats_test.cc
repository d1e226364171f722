// GET /containers/{id}/stats against hulld: a running namespace container's cgroup
// (memory within its --memory limit, tasks, CPU time growing under a busy loop), one-shot
// vs two samples vs a stream of one object per second, a stopped container's zeros, 404;
// and the clients that read it: docker stats --no-stream, hull stats, and the Python
// SDK's container.stats(stream=False).
#include <chrono>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/daemon/hull_cli_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using json = nlohmann::json;
using hull::rootfs::testing::MissingTools;
using hull::rootfs::testing::RunTool;

constexpr int64_t kLimit = 64 << 20;

class Stats : public HullCliTest {
 protected:
  void SetUp() override {
    std::string missing = MissingTools({"curl"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HullCliTest::SetUp();
  }
  // A started namespace container with a 64 MiB limit running `script`.
  std::string Start(const std::string& name, const std::string& script, bool start = true) {
    json body = {{"Image", "hull/busybox"},
                 {"Cmd", {"sh", "-c", script}},
                 {"HostConfig", {{"Memory", kLimit}, {"Runtime", "ns"}}}};
    auto r = Http("POST", "/containers/create?name=" + name, body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    std::string id = json::parse(r.body, nullptr, false).value("Id", "");
    if (start) EXPECT_EQ(Http("POST", "/containers/" + id + "/start").status, 204);
    return id;
  }
  json Get(const std::string& target) {
    auto r = Http("GET", target);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
};

uint64_t CpuTotal(const json& stats, const char* which = "cpu_stats") {
  return stats[which]["cpu_usage"]["total_usage"].get<uint64_t>();
}

TEST_F(Stats, RunningContainerReportsItsCgroupAndCpuGrowsUnderABusyLoop) {
  std::string id = Start("busy", "while :; do :; done");
  json s = Get("/containers/busy/stats?stream=false");
  EXPECT_EQ(s["id"], id);
  EXPECT_EQ(s["name"], "/busy");
  EXPECT_NE(s["read"], "0001-01-01T00:00:00Z");
  EXPECT_NE(s["preread"], "0001-01-01T00:00:00Z");
  const json& mem = s["memory_stats"];
  EXPECT_GT(mem["usage"].get<uint64_t>(), 0u);
  EXPECT_LE(mem["usage"].get<uint64_t>(), static_cast<uint64_t>(kLimit));
  EXPECT_EQ(mem["limit"].get<int64_t>(), kLimit);
  EXPECT_TRUE(mem["stats"].is_object());
  EXPECT_FALSE(mem["stats"].empty());
  EXPECT_GE(s["pids_stats"]["current"].get<uint64_t>(), 1u);
  EXPECT_GT(s["cpu_stats"]["system_cpu_usage"].get<uint64_t>(),
            s["precpu_stats"]["system_cpu_usage"].get<uint64_t>());
  EXPECT_GE(s["cpu_stats"]["online_cpus"].get<int>(), 1);
  // A second of a busy loop: the container's CPU time grew between the two samples.
  EXPECT_GT(CpuTotal(s), CpuTotal(s, "precpu_stats"));
  json later = Get("/containers/" + id.substr(0, 12) + "/stats?stream=false&one-shot=true");
  EXPECT_GT(CpuTotal(later), CpuTotal(s));
  EXPECT_TRUE(s["blkio_stats"].contains("io_service_bytes_recursive"));
  EXPECT_FALSE(s.contains("hull"));
}

TEST_F(Stats, OneShotAnswersAtOnceAndStreamSendsAnObjectPerSecond) {
  Start("sleeper", "sleep 1000");
  // One sample: no previous one to compare with.
  json one = Get("/v1.41/containers/sleeper/stats?stream=0&one-shot=1");
  EXPECT_EQ(one["preread"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(CpuTotal(one, "precpu_stats"), 0u);
  EXPECT_GE(one["pids_stats"]["current"].get<uint64_t>(), 1u);

  auto begin = std::chrono::steady_clock::now();
  json two = Get("/containers/sleeper/stats?stream=false");
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(900));
  EXPECT_NE(two["preread"], "0001-01-01T00:00:00Z");

  auto r = RunTool({"curl", "-sN", "--unix-socket", socket_, "--max-time", "4.5",
                    "http://hull/containers/sleeper/stats"}, 20);
  std::istringstream lines(r.out);
  std::vector<json> objects;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) objects.push_back(json::parse(line, nullptr, false));
  }
  ASSERT_GE(objects.size(), 3u) << r.out;
  ASSERT_LE(objects.size(), 6u) << r.out;
  EXPECT_EQ(objects[0]["preread"], "0001-01-01T00:00:00Z");
  for (size_t i = 1; i < objects.size(); ++i) {
    ASSERT_TRUE(objects[i].is_object());
    EXPECT_EQ(objects[i]["preread"], objects[i - 1]["read"]);
    EXPECT_EQ(CpuTotal(objects[i], "precpu_stats"), CpuTotal(objects[i - 1]));
  }
}

TEST_F(Stats, StoppedContainerAnswersZerosAndUnknownIs404) {
  std::string id = Start("idle", "true", /*start=*/false);
  json s = Get("/containers/idle/stats?stream=false");
  EXPECT_EQ(s["read"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(s["id"], id);
  EXPECT_TRUE(s["memory_stats"].empty());
  EXPECT_TRUE(s["pids_stats"].empty());
  EXPECT_EQ(CpuTotal(s), 0u);
  auto missing = Http("GET", "/containers/nothing/stats?stream=false");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("No such container: nothing"), std::string::npos) << missing.body;
}

TEST_F(Stats, DockerStatsNoStreamShowsTheContainer) {
  if (std::string m = MissingTools({"docker"}); !m.empty()) GTEST_SKIP() << m;
  Start("web", "while :; do :; done");
  auto r = Docker({"stats", "--no-stream", "--format",
                   "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}", "web"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("web|", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(" / 64MiB|"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("|0.00%|"), std::string::npos) << "busy loop but no CPU: " << r.out;
  auto table = Docker({"stats", "--no-stream", "web"});
  ASSERT_EQ(table.exit_status, 0) << table.err;
  EXPECT_EQ(table.out.rfind("CONTAINER ID", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("web"), std::string::npos) << table.out;
}

TEST_F(Stats, HullStatsNoStreamPrintsDockersColumns) {
  Start("hulls", "sleep 1000");
  auto r = Hull({"stats", "--no-stream"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  for (const char* column : {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
                             "NET I/O", "BLOCK I/O", "PIDS"}) {
    EXPECT_NE(header.find(column), std::string::npos) << header;
  }
  EXPECT_NE(row.find("hulls"), std::string::npos) << r.out;
  EXPECT_NE(row.find(" / 64MiB"), std::string::npos) << r.out;
  auto missing = Hull({"stats", "--no-stream", "nothing"});
  EXPECT_EQ(missing.exit_status, 1);
  EXPECT_NE(missing.err.find("No such container: nothing"), std::string::npos) << missing.err;
}

TEST_F(Stats, HullStatsWithoutHulldSaysItNeedsHulld) {
  ::setenv("HULL_HOST", ("unix://" + dir_ + "/nobody.sock").c_str(), 1);
  auto r = Hull({"stats", "--no-stream"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("needs hulld"), std::string::npos) << r.err;
}

TEST_F(Stats, PythonSdkReadsOneSample) {
  auto probe = RunTool({"python3", "-c", "import docker"});
  if (probe.exit_status != 0) GTEST_SKIP() << "python3 cannot import docker: " << probe.err;
  Start("sdk-stats", "sleep 1000");
  auto r = Python("stats", {"sdk-stats"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "name /sdk-stats\nlimit 67108864\nusage True\npids True\n");
}

}  // namespace
}  // namespace hull::daemon_testing
