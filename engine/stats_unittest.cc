// Container statistics from fake kernel files and fake hull-vmm metrics: the parsers,
// the cgroup v1/v2 readers on a fake cgroupfs, and Docker's StatsJSON shape.
#include "engine/stats.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/stats_sources.h"

namespace hull::engine {
namespace {

using json = nlohmann::json;

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class FakeCgroupFs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-stats-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST(StatsParsers, NetDevSkipsLoopbackAndHeaders) {
  const std::string text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
      "    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n"
      "  eth0:    5000      40    1    2    0     0          0         0     7000      50    3    4    0     0       0          0\n";
  auto nets = ParseNetDev(text);
  ASSERT_EQ(nets.size(), 1u);
  const NetCounters& e = nets.at("eth0");
  EXPECT_EQ(e.rx_bytes, 5000u);
  EXPECT_EQ(e.rx_packets, 40u);
  EXPECT_EQ(e.rx_errors, 1u);
  EXPECT_EQ(e.rx_dropped, 2u);
  EXPECT_EQ(e.tx_bytes, 7000u);
  EXPECT_EQ(e.tx_packets, 50u);
  EXPECT_EQ(e.tx_errors, 3u);
  EXPECT_EQ(e.tx_dropped, 4u);
}

TEST(StatsParsers, ProcStatTimesSurviveACommandWithSpacesAndParentheses) {
  const std::string text =
      "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 100 1000 10";
  uint64_t user = 0, system = 0;
  ASSERT_TRUE(ParseProcStatTimes(text, &user, &system));
  EXPECT_EQ(user, 257u);
  EXPECT_EQ(system, 53u);
  EXPECT_FALSE(ParseProcStatTimes("garbage", &user, &system));
}

TEST(StatsParsers, HostCpuAndRss) {
  EXPECT_EQ(ParseHostCpuNs("cpu  10 1 5 100 4 0 0 0 7 0\ncpu0 1 1 1 1\n", 100),
            120u * 10000000u);
  EXPECT_EQ(ParseHostCpuNs("intr 1 2 3\n", 100), 0u);
  EXPECT_EQ(ParseVmRssBytes("Name:\tx\nVmRSS:\t  2048 kB\nThreads: 3\n"), 2048u * 1024u);
  EXPECT_EQ(ParseVmRssBytes("Name:\tkthreadd\n"), 0u);
}

TEST(StatsParsers, BlkioV1AndIoStatV2) {
  auto v1 = ParseBlkioV1("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 1\nTotal 4608\n");
  ASSERT_EQ(v1.size(), 3u);
  EXPECT_EQ(v1[0].op, "read");
  EXPECT_EQ(v1[0].value, 4096u);
  EXPECT_EQ(v1[1].major, 8u);
  std::vector<BlkioEntry> bytes, ops;
  ParseIoStat("254:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n", &bytes, &ops);
  ASSERT_EQ(bytes.size(), 2u);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(bytes[1].op, "write");
  EXPECT_EQ(bytes[1].value, 200u);
  EXPECT_EQ(ops[0].value, 3u);
}

TEST_F(FakeCgroupFs, V2ReadsMemoryCpuPidsAndIo) {
  auto dir = root_ / "hull" / "c1";
  WriteFile(dir / "memory.current", "1048576\n");
  WriteFile(dir / "memory.max", "67108864\n");
  WriteFile(dir / "memory.stat", "anon 4096\ninactive_file 8192\n");
  WriteFile(dir / "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"
                              "nr_periods 10\nnr_throttled 2\nthrottled_usec 30\n");
  WriteFile(dir / "pids.current", "3\n");
  WriteFile(dir / "pids.max", "max\n");
  WriteFile(dir / "io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2\n");
  StatsSample s;
  ReadCgroupV2(dir, &s);
  EXPECT_TRUE(s.memory_known);
  EXPECT_EQ(s.memory_usage, 1048576u);
  EXPECT_EQ(s.memory_limit, 67108864u);
  EXPECT_EQ(s.memory_stats.at("inactive_file"), 8192u);
  EXPECT_EQ(s.cpu_total_ns, 1500000u);
  EXPECT_EQ(s.cpu_kernel_ns, 500000u);
  EXPECT_EQ(s.throttled_periods, 2u);
  EXPECT_EQ(s.pids, 3u);
  EXPECT_EQ(s.pids_limit, 0u);
  EXPECT_EQ(s.io_bytes.size(), 2u);
}

TEST_F(FakeCgroupFs, V2WithoutAMemoryLimitShowsTheHostsMemory) {
  auto dir = root_ / "hull" / "c1";
  WriteFile(dir / "memory.current", "4096\n");
  WriteFile(dir / "memory.max", "max\n");
  StatsSample s;
  ReadCgroupV2(dir, &s);
  EXPECT_EQ(s.memory_limit, HostMemoryBytes());
  EXPECT_GT(s.memory_limit, 0u);
}

TEST_F(FakeCgroupFs, V1ReadsEachController) {
  WriteFile(root_ / "memory/hull/c1/memory.usage_in_bytes", "2097152\n");
  WriteFile(root_ / "memory/hull/c1/memory.max_usage_in_bytes", "3145728\n");
  WriteFile(root_ / "memory/hull/c1/memory.limit_in_bytes", "9223372036854771712\n");
  WriteFile(root_ / "memory/hull/c1/memory.stat", "total_inactive_file 4096\n");
  WriteFile(root_ / "cpuacct/hull/c1/cpuacct.usage", "5000\n");
  WriteFile(root_ / "cpuacct/hull/c1/cpuacct.usage_percpu", "2000 3000 \n");
  WriteFile(root_ / "cpu/hull/c1/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 99\n");
  WriteFile(root_ / "pids/hull/c1/pids.current", "2\n");
  WriteFile(root_ / "pids/hull/c1/pids.max", "64\n");
  StatsSample s;
  ReadCgroupV1(root_, "hull/c1", &s);
  EXPECT_EQ(s.memory_usage, 2097152u);
  EXPECT_EQ(s.memory_max_usage, 3145728u);
  EXPECT_EQ(s.memory_limit, HostMemoryBytes());  // v1's "unlimited"
  EXPECT_EQ(s.memory_stats.at("total_inactive_file"), 4096u);
  EXPECT_EQ(s.cpu_total_ns, 5000u);
  EXPECT_EQ(s.percpu_ns, (std::vector<uint64_t>{2000, 3000}));
  EXPECT_EQ(s.throttled_ns, 99u);
  EXPECT_EQ(s.pids, 2u);
  EXPECT_EQ(s.pids_limit, 64u);
  EXPECT_FALSE(s.blkio_known);
}

TEST(DockerStats, StoppedContainerIsZeroedLikeDockers) {
  ContainerRecord r;
  r.id = std::string(64, 'a');
  r.name = "web";
  json j = DockerStatsJson(r, StatsSample{}, StatsSample{});
  EXPECT_EQ(j["read"], kZeroTime);
  EXPECT_EQ(j["preread"], kZeroTime);
  EXPECT_EQ(j["name"], "/web");
  EXPECT_EQ(j["id"], r.id);
  EXPECT_TRUE(j["memory_stats"].empty());
  EXPECT_TRUE(j["pids_stats"].empty());
  EXPECT_EQ(j["cpu_stats"]["cpu_usage"]["total_usage"], 0);
  EXPECT_TRUE(j["blkio_stats"]["io_service_bytes_recursive"].is_null());
  EXPECT_FALSE(j.contains("networks"));
}

TEST(DockerStats, RunningContainerHasDockersFields) {
  ContainerRecord r;
  r.id = std::string(64, 'b');
  r.name = "db";
  StatsSample prev, now;
  prev.running = now.running = true;
  prev.read = "2026-11-29T00:00:00Z";
  now.read = "2026-11-29T00:00:01Z";
  prev.cpu_total_ns = 100;
  now.cpu_total_ns = 600;
  now.system_cpu_ns = 9000;
  now.online_cpus = 2;
  now.memory_known = true;
  now.memory_usage = 10;
  now.memory_limit = 100;
  now.memory_stats["cache"] = 1;
  now.pids = 4;
  now.networks["eth0"].rx_bytes = 77;
  json j = DockerStatsJson(r, now, prev);
  EXPECT_EQ(j["preread"], prev.read);
  EXPECT_EQ(j["cpu_stats"]["cpu_usage"]["total_usage"], 600);
  EXPECT_EQ(j["precpu_stats"]["cpu_usage"]["total_usage"], 100);
  EXPECT_EQ(j["cpu_stats"]["system_cpu_usage"], 9000);
  EXPECT_EQ(j["cpu_stats"]["online_cpus"], 2);
  EXPECT_FALSE(j["cpu_stats"]["cpu_usage"].contains("percpu_usage"));
  EXPECT_EQ(j["memory_stats"]["usage"], 10);
  EXPECT_EQ(j["memory_stats"]["limit"], 100);
  EXPECT_EQ(j["memory_stats"]["stats"]["cache"], 1);
  EXPECT_EQ(j["pids_stats"]["current"], 4);
  EXPECT_EQ(j["networks"]["eth0"]["rx_bytes"], 77);
  EXPECT_FALSE(j.contains("hull"));
}

TEST(DockerStats, HullVmmMetricsBecomeBlkioNetworksAndTheHullExtension) {
  json metrics = json::parse(R"({
    "utc_timestamp_ms": 1, "vmm": {"resident_memory_bytes": 12345},
    "block_image": {"read_count": 3, "read_bytes": 4096, "write_count": 0, "write_bytes": 0,
                    "flush_count": 0, "errors": 0, "rate_limiter_throttled_events": 0},
    "block_rw": {"read_count": 1, "read_bytes": 512, "write_count": 2, "write_bytes": 1024,
                 "flush_count": 1, "errors": 0, "rate_limiter_throttled_events": 5},
    "net_eth0": {"rx_packets_count": 2, "rx_bytes_count": 300, "tx_packets_count": 1,
                 "tx_bytes_count": 100, "rx_dropped": 0, "tx_dropped": 0,
                 "rx_rate_limiter_throttled": 0, "tx_rate_limiter_throttled": 6},
    "vcpu": {"exit_io_out": 10, "exit_hlt": 4, "per_vcpu": [{"exit_io_out": 10}]}})");
  StatsSample s;
  s.running = true;
  ApplyVmmMetrics(metrics, &s);
  ContainerRecord r;
  r.id = std::string(64, 'c');
  json j = DockerStatsJson(r, s, StatsSample{});
  const json& bytes = j["blkio_stats"]["io_service_bytes_recursive"];
  ASSERT_EQ(bytes.size(), 4u);
  uint64_t read = 0, write = 0;
  for (const auto& e : bytes) (e["op"] == "read" ? read : write) += e["value"].get<uint64_t>();
  EXPECT_EQ(read, 4608u);
  EXPECT_EQ(write, 1024u);
  EXPECT_EQ(j["networks"]["eth0"]["rx_bytes"], 300);
  EXPECT_EQ(j["networks"]["eth0"]["tx_bytes"], 100);
  EXPECT_EQ(j["hull"]["vcpu_exits"]["exit_io_out"], 10);
  EXPECT_FALSE(j["hull"]["vcpu_exits"].contains("per_vcpu"));
  EXPECT_EQ(j["hull"]["drives"]["rw"]["rate_limiter_throttled_events"], 5);
  EXPECT_EQ(j["hull"]["net_eth0"]["tx_rate_limiter_throttled"], 6);
  EXPECT_EQ(j["hull"]["vmm_resident_memory_bytes"], 12345);
}

}  // namespace
}  // namespace hull::engine
