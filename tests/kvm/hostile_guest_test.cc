// A compromised guest against hull-vmm (issue 8, item 5): the test guest's `hostile` mode
// (tests/guests/hostile.c) throws wild MMIO and port I/O and malformed virtqueues at
// high rate at every virtio device (blk, rng, vsock), then reports it is alive and
// halts. The VMM must still be running afterwards, every one of its threads that runs
// guest-facing code still under seccomp, the devices must have answered with errors a
// driver sees (DEVICE_NEEDS_RESET, or a used buffer for a request it refused) and
// virtio-rng must still serve a normal request; SIGTERM then ends it as usual (143).
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "devices/block/test_files.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_api_util.h"

namespace hull::testing {
namespace {

using devices::block::testing::PatternBytes;
using devices::block::testing::WriteFile;

TEST(HostileGuest, LeavesTheVmmRunningConfinedAndAnsweringWithErrors) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  WriteFile(dir.File("disk.img"), PatternBytes(1 << 20, 5));
  VmmProcess vmm({"--kernel", GuestElf(), "--memory", "32", "--entropy",
                  "--drive", "id=data,path=" + dir.File("disk.img"),
                  "--vsock", "cid=3,uds=" + dir.File("v.sock"),
                  "--cmdline", "hulltest.mode=hostile hulltest.hostile.spin=1"},
                 dir.path());
  std::map<std::string, std::string> report;
  PollUntil([&] {
    report = ParseReport(vmm.Out());
    return report["hostile.alive"] == "1" || !vmm.Alive();
  }, 240);
  ASSERT_EQ(report["hostile.alive"], "1") << vmm.Out() << vmm.Err().substr(0, 4000);
  // The guest now halts; the VMM must still be there, and still confined.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(vmm.Alive()) << vmm.Err().substr(0, 4000);
  std::string proc = "/proc/" + std::to_string(vmm.pid());
  int threads = 0, filtered = 0;
  for (const auto& task : std::filesystem::directory_iterator(proc + "/task")) {
    std::string status = ReadWholeFile(task.path().string() + "/status");
    ++threads;
    if (status.find("\nSeccomp:\t2\n") != std::string::npos) ++filtered;
  }
  // Every thread has its filter, the main one included (ThreadKind::kMain, installed
  // before the vCPUs enter the guest): main, the vCPU and the device loop at least (the
  // blk worker ended with the guest's last device reset).
  EXPECT_GE(filtered, 3);
  EXPECT_EQ(filtered, threads);

  EXPECT_GE(std::stoul(report["hostile.mmio"]), 1000u);
  EXPECT_GE(std::stoul(report["hostile.pio"]), 1000u);
  int devices = 0;
  for (const auto& [key, value] : report) {
    if (key.rfind("hostile.dev.", 0) != 0) continue;
    ++devices;
    // "0xADDR,TYPE,needs_reset=A,used=B,silent=C": the device said no, one way or another.
    size_t nr = value.find("needs_reset=");
    ASSERT_NE(nr, std::string::npos) << value;
    EXPECT_GT(std::stoul(value.substr(nr + 12)), 0u) << key << "=" << value;
  }
  EXPECT_EQ(devices, 3) << vmm.Out();
  EXPECT_EQ(report["hostile.rng_after"], "ok");
  EXPECT_NE(vmm.Err().find("device needs reset"), std::string::npos);

  vmm.Signal(SIGTERM);
  EXPECT_EQ(vmm.Wait(60), 128 + SIGTERM) << vmm.Err().substr(0, 4000);
}

}  // namespace
}  // namespace hull::testing
