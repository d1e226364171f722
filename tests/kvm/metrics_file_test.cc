// --metrics-path under real KVM, seccomp on: while the test guest streams from a
// rate-limited drive, hull-vmm appends a metrics line every --metrics-period, one more
// for PUT /actions FlushMetrics, and a last one when it exits; every line is GET
// /metrics's object, and the last one holds the whole transfer.
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "devices/block/test_files.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_api_util.h"

namespace hull::testing {
namespace {

TEST(VmmMetricsFile, LinesArriveEveryPeriodOnFlushAndAtExit) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  devices::block::testing::WriteFile(dir.File("disk.img"),
                                     devices::block::testing::PatternBytes(1 << 20, 5));
  const std::string metrics = dir.File("metrics.json");
  const std::string sock = dir.File("api.sock");
  // 32 KiB at 16 000 bytes/s: about two seconds of streaming.
  VmmProcess vmm({"--api-sock", sock, "--serial", "file:" + dir.File("console"),
                  "--kernel", GuestElf(), "--memory", "32", "--cmdline",
                  "hulltest.mode=blk hulltest.blk.stream_kib=32",
                  "--drive", "id=d,path=" + dir.File("disk.img") + ",bw=4096:256",
                  "--metrics-path", metrics, "--metrics-period", "0.5"},
                 dir.path());
  ASSERT_TRUE(WaitForApi(sock)) << vmm.Err();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ApiResponse flush = CallApi(sock, "PUT", "/actions", R"({"action_type": "FlushMetrics"})");
  EXPECT_EQ(flush.status, 204) << flush.body;
  ASSERT_EQ(vmm.Wait(180), 0) << ReadWholeFile(dir.File("console")) << vmm.Err();

  std::istringstream text(ReadWholeFile(metrics));
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(text, line);) {
    lines.push_back(nlohmann::json::parse(line, nullptr, false));
    ASSERT_TRUE(lines.back().is_object()) << line;
  }
  // Two periods before the flush at least, the flush, and the last line.
  ASSERT_GE(lines.size(), 4u) << ReadWholeFile(metrics);
  int64_t previous = 0;
  for (const auto& line : lines) {
    EXPECT_GE(line["utc_timestamp_ms"].get<int64_t>(), previous);
    previous = line["utc_timestamp_ms"].get<int64_t>();
    EXPECT_TRUE(line.contains("block_d")) << line.dump();
  }
  const nlohmann::json& last = lines.back();
  EXPECT_GE(last["block_d"]["read_bytes"].get<uint64_t>(), 32u * 1024) << last.dump();
  EXPECT_GT(last["block_d"]["rate_limiter_throttled_events"].get<uint64_t>(), 0u);
  EXPECT_GT(last["vcpu"]["exit_io_out"].get<uint64_t>(), 0u) << last.dump();
  EXPECT_GT(last["vmm"]["resident_memory_bytes"].get<uint64_t>(), 1u << 20);
}

}  // namespace
}  // namespace hull::testing
