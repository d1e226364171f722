// The Machine in-process, under real KVM: pausing parks every vCPU outside the guest
// (the guest's counter stops), resuming lets it run on, and ending the VM while vCPUs
// are paused or running returns from Run() with the reason.
#include "vmm/machine.h"

#include <signal.h>

#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::vmm {
namespace {

constexpr uint64_t kTickerCounter = 0x80000;  // tests/guests: mode ticker

// Polls `done` until it holds or `limit` passes (a generous bound, not a timing test).
bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

class MachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_KVM();
    VmConfig config;
    config.kernel_image_path = testing::GuestElf();
    config.boot_args = "hulltest.mode=ticker";
    config.mem_size_mib = 32;
    config.vcpu_count = 2;
    config.serial_output = SerialOutput::kNone;
    auto machine = Machine::Create(config);
    ASSERT_TRUE(machine.ok()) << machine.status().message();
    machine_ = std::move(machine).value();
    runner_ = std::thread([this] { end_ = machine_->Run(); });
  }
  void TearDown() override {
    if (machine_) machine_->EndVm({VmEndKind::kSignal, SIGTERM, ""});
    if (runner_.joinable()) runner_.join();
  }
  uint64_t Counter() const { return *machine_->memory().ReadObject<uint64_t>(kTickerCounter); }

  std::unique_ptr<Machine> machine_;
  std::thread runner_;
  VmEnd end_;
};

TEST_F(MachineTest, PausedVcpusDoNotRunAndResumedOnesContinue) {
  ASSERT_TRUE(WaitUntil([&] { return Counter() > 1000; })) << "the guest never started ticking";
  machine_->Pause();
  uint64_t paused_at = Counter();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Counter(), paused_at) << "a paused vCPU ran";
  machine_->Resume();
  EXPECT_TRUE(WaitUntil([&] { return Counter() > paused_at; })) << "the vCPU did not resume";
  machine_->EndVm({VmEndKind::kTimeout, 0, "test"});
  runner_.join();
  EXPECT_EQ(end_.kind, VmEndKind::kTimeout);
}

TEST_F(MachineTest, EndingWhilePausedStopsEveryVcpu) {
  ASSERT_TRUE(WaitUntil([&] { return Counter() > 0; }));
  machine_->Pause();
  machine_->EndVm({VmEndKind::kSignal, SIGINT, ""});
  runner_.join();
  EXPECT_EQ(end_.kind, VmEndKind::kSignal);
  EXPECT_EQ(end_.value, static_cast<uint32_t>(SIGINT));
}

TEST_F(MachineTest, TheFirstEndReportedWins) {
  ASSERT_TRUE(WaitUntil([&] { return Counter() > 0; }));
  machine_->EndVm({VmEndKind::kExitPort, 3, ""});
  machine_->EndVm({VmEndKind::kTripleFault, 0, ""});
  runner_.join();
  EXPECT_EQ(end_.kind, VmEndKind::kExitPort);
  EXPECT_EQ(ExitStatusFor(end_), 3);
}

}  // namespace
}  // namespace hull::vmm
