// GET /metrics' parts without a VM: resident memory from /proc/self/statm, the JSON of
// drives, interfaces and vCPU exits, and run-time rate limiter updates by id.
#include <gtest/gtest.h>

#include "devices/block/raw_disk.h"
#include "devices/block/block_device.h"
#include "devices/block/test_files.h"
#include "devices/rng/rng_device.h"
#include "devices/net/memory_backend.h"
#include "devices/net/net_device.h"
#include "vmm/metrics/device_metrics.h"
#include "vmm/metrics/resident_memory.h"

namespace hull::vmm {
namespace {

using devices::rate_limiter::TokenBucketConfig;

TEST(ResidentMemory, ParsesStatmAndReadsItAgainAndAgain) {
  auto parsed = ParseStatmResident("1000 250 30 1 0 400 0\n", 4096);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, 250u * 4096);
  EXPECT_FALSE(ParseStatmResident("garbage", 4096).ok());

  auto rss = ResidentMemory::Open();
  ASSERT_TRUE(rss.ok()) << rss.status().message();
  auto before = rss->Bytes();
  ASSERT_TRUE(before.ok()) << before.status().message();
  EXPECT_GT(*before, 0u);
  // Touch 64 MiB: the same fd (no reopening) sees the process grow.
  std::vector<char> big(64 << 20, 1);
  auto after = rss->Bytes();
  ASSERT_TRUE(after.ok());
  EXPECT_GE(*after, *before + (32u << 20)) << big[12345];
}

class DeviceMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    devices::block::testing::WriteFile(dir_.Path("disk"), std::vector<uint8_t>(4096));
    auto disk = devices::block::RawDisk::Open(dir_.Path("disk"), false);
    ASSERT_TRUE(disk.ok());
    auto drive = devices::block::BlockDevice::Create(std::move(*disk), {.id = "rootfs",
                                                                        .worker = false});
    ASSERT_TRUE(drive.ok());
    devices_.push_back(*drive);
    devices_.push_back(std::make_shared<devices::net::NetDevice>(
        std::make_unique<devices::net::MemoryBackend>(), devices::net::MacAddress{2, 0, 0, 0, 0, 1},
        devices::net::NetDevice::Options{.id = "eth0"}));
    devices_.push_back(std::make_shared<devices::rng::RngDevice>());
  }
  devices::block::testing::TempDir dir_;
  VirtioDeviceList devices_;
};

TEST_F(DeviceMetricsTest, NamesEachDriveAndInterfaceByItsId) {
  nlohmann::json metrics = DeviceMetrics(devices_);
  ASSERT_TRUE(metrics.contains("block_rootfs")) << metrics.dump();
  ASSERT_TRUE(metrics.contains("net_eth0")) << metrics.dump();
  for (const char* key : {"read_count", "read_bytes", "write_count", "write_bytes", "flush_count",
                          "errors", "rate_limiter_throttled_events"}) {
    EXPECT_EQ(metrics["block_rootfs"][key], 0) << key;
  }
  for (const char* key : {"rx_packets_count", "rx_bytes_count", "rx_dropped", "tx_packets_count",
                          "tx_bytes_count", "tx_dropped", "rx_rate_limiter_throttled",
                          "tx_rate_limiter_throttled"}) {
    EXPECT_EQ(metrics["net_eth0"][key], 0) << key;
  }
  ASSERT_TRUE(metrics.contains("entropy")) << metrics.dump();
  for (const char* key : {"entropy_event_count", "entropy_bytes", "entropy_rate_limiter_throttled"}) {
    EXPECT_EQ(metrics["entropy"][key], 0) << key;
  }
}

TEST(VcpuMetrics, SumsExitsOverVcpusAndListsEach) {
  cpu::ExitCounts a{}, b{};
  a[static_cast<size_t>(kvm::VcpuExit::Kind::kMmioWrite)] = 5;
  b[static_cast<size_t>(kvm::VcpuExit::Kind::kMmioWrite)] = 7;
  b[static_cast<size_t>(kvm::VcpuExit::Kind::kIoOut)] = 2;
  nlohmann::json vcpu = VcpuMetrics({a, b});
  EXPECT_EQ(vcpu["exit_mmio_write"], 12);
  EXPECT_EQ(vcpu["exit_io_out"], 2);
  EXPECT_EQ(vcpu["exit_io_in"], 0);
  ASSERT_EQ(vcpu["per_vcpu"].size(), 2u);
  EXPECT_EQ(vcpu["per_vcpu"][1]["exit_mmio_write"], 7);
  nlohmann::json all = nlohmann::json::parse(MachineMetricsJson({}, {a}));
  EXPECT_EQ(all["vcpu"]["exit_mmio_write"], 5);
}

TEST_F(DeviceMetricsTest, UpdatesReachTheNamedDeviceOnly) {
  const TokenBucketConfig bucket{.size = 1000, .refill_time_ms = 100};
  ASSERT_TRUE(UpdateDriveRateLimiter(devices_, "rootfs", {.bandwidth = bucket}).ok());
  auto drive = std::dynamic_pointer_cast<devices::block::BlockDevice>(devices_[0]);
  EXPECT_EQ(drive->rate_limiter().config().bandwidth, bucket);
  ASSERT_TRUE(UpdateInterfaceRateLimiters(devices_, "eth0", {}, {.ops = bucket}).ok());
  auto iface = std::dynamic_pointer_cast<devices::net::NetDevice>(devices_[1]);
  EXPECT_EQ(iface->tx_rate_limiter().config().ops, bucket);
  EXPECT_FALSE(iface->rx_rate_limiter().config().limited());

  base::Status missing = UpdateDriveRateLimiter(devices_, "eth0", {.bandwidth = bucket});
  EXPECT_NE(missing.message().find("no drive with drive_id \"eth0\""), std::string::npos);
  EXPECT_FALSE(UpdateInterfaceRateLimiters(devices_, "rootfs", {}, {}).ok());
}

}  // namespace
}  // namespace hull::vmm
