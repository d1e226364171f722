// Rate limiters and metrics under real KVM: the test guest (mode blk) streams 4 KiB
// reads from a drive limited by --drive bw=...; the host times the transfer between
// the guest's blk.stream=start and blk.stream=done console lines, and the achieved
// rate must be within 10 % of the limit. A PATCH /drives/{id} while the guest streams
// lifts a crawling limit at once, and GET /metrics shows the drive's counters, its
// throttled events and the vCPUs' exits, with seccomp on (the default).
#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "devices/block/test_files.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_api_util.h"

namespace hull::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kImageBytes = 1 << 20;

class VmmRateLimit : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_KVM();
    devices::block::testing::WriteFile(dir_.File("disk.img"),
                                       devices::block::testing::PatternBytes(kImageBytes, 3));
  }
  // Boots the guest streaming `stream_kib` from drive "d" limited by `drive_settings`.
  void Start(uint64_t stream_kib, const std::string& drive_settings) {
    vmm_.emplace(std::vector<std::string>{
                     "--api-sock", Sock(), "--serial", "file:" + dir_.File("console"),
                     "--kernel", GuestElf(), "--memory", "32", "--cmdline",
                     "hulltest.mode=blk hulltest.blk.stream_kib=" + std::to_string(stream_kib),
                     "--drive", "id=d,path=" + dir_.File("disk.img") + drive_settings},
                 dir_.path());
    ASSERT_TRUE(WaitForApi(Sock())) << vmm_->Err();
  }
  std::string Sock() const { return dir_.File("api.sock"); }
  std::string Console() const { return ReadWholeFile(dir_.File("console")); }
  bool ConsoleHas(const char* text) const { return Console().find(text) != std::string::npos; }
  // Polls the console every 2 ms; the time `text` first appeared.
  std::optional<Clock::time_point> WaitFor(const char* text, double seconds) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(int64_t(seconds * 1000));
    while (Clock::now() < deadline) {
      if (ConsoleHas(text)) return Clock::now();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return std::nullopt;
  }

  TempDir dir_;
  std::optional<VmmProcess> vmm_;
};

TEST_F(VmmRateLimit, GuestStreamHoldsTheBandwidthLimitWithinTenPercent) {
  // 16 000 bytes/s: one 4 KiB request per 256 ms; 80 KiB take about 5 s. The guest has
  // one request in flight at a time, and under nested KVM on one emulated CPU each costs
  // it ~10-20 ms beyond what the limiter asks (measured: 0.76 of a 256 000 bytes/s limit,
  // 0.85 of 64 000): at 256 ms per request the limiter, not the guest, sets the pace.
  constexpr double kRate = 16000;
  constexpr uint64_t kStreamKib = 80;
  Start(kStreamKib, ",bw=4096:256");
  auto start = WaitFor("blk.stream=start", 120);
  ASSERT_TRUE(start) << "the guest never started streaming: " << Console() << vmm_->Err();
  // Mid-transfer: the limiter has engaged, and the metrics say so.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  nlohmann::json metrics = CallApi(Sock(), "GET", "/metrics").Json();
  EXPECT_GT(metrics["block_d"]["rate_limiter_throttled_events"].get<uint64_t>(), 0u)
      << metrics.dump();
  EXPECT_GT(metrics["block_d"]["read_bytes"].get<uint64_t>(), 0u);
  EXPECT_GT(metrics["vcpu"]["exit_mmio_write"].get<uint64_t>() +
                metrics["vcpu"]["exit_mmio_read"].get<uint64_t>(), 0u) << metrics.dump();
  EXPECT_GT(metrics["vmm"]["resident_memory_bytes"].get<uint64_t>(), 1u << 20);
  auto done = WaitFor("blk.stream=done", 60);
  ASSERT_TRUE(done) << Console() << vmm_->Err();
  const double seconds = std::chrono::duration<double>(*done - *start).count();
  // The requests before the stream emptied the bucket (one request's worth).
  const double achieved = kStreamKib * 1024.0 / seconds;
  const double ratio = achieved / kRate;
  std::printf("rate limiter: %.0f bytes/s over %.2f s against a limit of %.0f: ratio %.3f\n",
              achieved, seconds, kRate, ratio);
  EXPECT_NEAR(ratio, 1.0, 0.10) << seconds << " s";
  EXPECT_EQ(vmm_->Wait(60), 0) << Console() << vmm_->Err();
  EXPECT_TRUE(ConsoleHas("blk.stream_errors=0")) << Console();
}

TEST_F(VmmRateLimit, PatchWhileTheGuestStreamsLiftsTheLimitAtOnce) {
  // 4 KiB/s: 2 MiB would take over eight minutes.
  Start(2048, ",bw=4096:1000");
  ASSERT_TRUE(WaitFor("blk.stream=start", 120)) << Console() << vmm_->Err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(ConsoleHas("blk.stream=done"));
  ApiResponse patch = CallApi(Sock(), "PATCH", "/drives/d",
                              R"({"drive_id": "d", "rate_limiter": {"bandwidth": {"size": 0, "refill_time": 0}}})");
  ASSERT_EQ(patch.status, 204) << patch.body;
  EXPECT_TRUE(WaitFor("blk.stream=done", 60)) << Console() << vmm_->Err();
  EXPECT_EQ(vmm_->Wait(60), 0) << vmm_->Err();
}

}  // namespace
}  // namespace hull::testing
