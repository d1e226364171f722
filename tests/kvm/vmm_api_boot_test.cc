// hull-vmm booted and driven through its per-VM API under real KVM: configure, start,
// pause and resume, the states GET / reports, pre-boot actions refused after boot, and
// the exit status when the guest exits. Every test skips, saying why, without KVM.
#include <signal.h>

#include <gtest/gtest.h>

#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_api_util.h"

namespace hull::testing {
namespace {

class VmmApiBoot : public ::testing::Test {
 protected:
  void SetUp() override { SKIP_WITHOUT_KVM(); }
  std::string Sock() const { return dir_.File("api.sock"); }
  void StartVmm(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--api-sock", Sock(), "--serial",
                                     "file:" + dir_.File("console")};
    args.insert(args.end(), extra.begin(), extra.end());
    vmm_.emplace(args, dir_.path());
    ASSERT_TRUE(WaitForApi(Sock())) << "hull-vmm never served its API: " << vmm_->Err();
  }
  ApiResponse Call(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return CallApi(Sock(), method, target, body);
  }
  void Configure(const std::string& boot_args) {
    ApiResponse boot = Call("PUT", "/boot-source", R"({"kernel_image_path": ")" + GuestElf() +
                                                       R"(", "boot_args": ")" + boot_args + "\"}");
    ASSERT_EQ(boot.status, 204) << boot.body;
    ApiResponse machine =
        Call("PUT", "/machine-config", R"({"vcpu_count": 1, "mem_size_mib": 32})");
    ASSERT_EQ(machine.status, 204) << machine.body;
  }
  std::string Console() const { return ReadWholeFile(dir_.File("console")); }
  // CPU time hull-vmm uses over `seconds`: a running ticker vCPU burns a core, a
  // parked one nothing.
  double CpuOver(double seconds) {
    double before = vmm_->CpuSeconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(seconds * 1000)));
    return vmm_->CpuSeconds() - before;
  }

  TempDir dir_;
  std::optional<VmmProcess> vmm_;
};

TEST_F(VmmApiBoot, StartsPausesAndResumesTheGuestThroughTheApi) {
  StartVmm();
  Configure("hulltest.mode=ticker");
  EXPECT_EQ(InstanceState(Sock()), "Not started");
  ApiResponse start = Call("PUT", "/actions", R"({"action_type": "InstanceStart"})");
  ASSERT_EQ(start.status, 204) << start.body << vmm_->Err();
  EXPECT_EQ(InstanceState(Sock()), "Running");
  ASSERT_TRUE(PollUntil([&] { return Console().find("ticking") != std::string::npos; }))
      << "the guest did not start: " << Console() << vmm_->Err();

  ApiResponse pause = Call("PATCH", "/vm", R"({"state": "Paused"})");
  ASSERT_EQ(pause.status, 204) << pause.body;
  EXPECT_EQ(InstanceState(Sock()), "Paused");
  EXPECT_LT(CpuOver(1.0), 0.2) << "hull-vmm kept burning CPU while paused";

  ApiResponse resume = Call("PATCH", "/vm", R"({"state": "Resumed"})");
  ASSERT_EQ(resume.status, 204) << resume.body;
  EXPECT_EQ(InstanceState(Sock()), "Running");
  EXPECT_GT(CpuOver(1.0), 0.3) << "the ticker vCPU did not run again";

  vmm_->Signal(SIGTERM);
  EXPECT_EQ(vmm_->Wait(60), 143) << vmm_->Err();
  EXPECT_FALSE(PathExists(Sock())) << "hull-vmm left its API socket behind";
}

TEST_F(VmmApiBoot, PreBootActionsAreRefusedAfterBoot) {
  StartVmm();
  Configure("hulltest.mode=spin");
  ASSERT_EQ(Call("PUT", "/actions", R"({"action_type": "InstanceStart"})").status, 204)
      << vmm_->Err();
  ApiResponse boot = Call("PUT", "/boot-source", R"({"kernel_image_path": "/other"})");
  EXPECT_EQ(boot.status, 400);
  EXPECT_NE(boot.Fault().find("PUT /boot-source is only allowed before boot"), std::string::npos)
      << boot.Fault();
  ApiResponse machine = Call("PUT", "/machine-config", R"({"vcpu_count": 2, "mem_size_mib": 64})");
  EXPECT_EQ(machine.status, 400);
  EXPECT_NE(machine.Fault().find("only allowed before boot"), std::string::npos);
  ApiResponse again = Call("PUT", "/actions", R"({"action_type": "InstanceStart"})");
  EXPECT_EQ(again.status, 400);
  EXPECT_NE(again.Fault().find("only allowed before boot"), std::string::npos);
  // The configuration the VM booted with is unchanged.
  EXPECT_EQ(Call("GET", "/vm/config").Json()["boot-source"]["kernel_image_path"], GuestElf());
  // Ctrl+Alt+Del is typed (the test guest has no keyboard driver and keeps spinning).
  ApiResponse keys = Call("PUT", "/actions", R"({"action_type": "SendCtrlAltDel"})");
  EXPECT_EQ(keys.status, 204) << keys.body;
  EXPECT_TRUE(vmm_->Alive());

  vmm_->Signal(SIGTERM);
  EXPECT_EQ(vmm_->Wait(60), 143) << vmm_->Err();
}

TEST_F(VmmApiBoot, HullVmmExitsWithTheGuestsStatus) {
  StartVmm();
  Configure("hulltest.mode=exit hulltest.status=7");
  ASSERT_EQ(Call("PUT", "/actions", R"({"action_type": "InstanceStart"})").status, 204)
      << vmm_->Err();
  EXPECT_EQ(vmm_->Wait(60), 7) << vmm_->Err();
  EXPECT_NE(Console().find("exiting 7"), std::string::npos) << Console();
  EXPECT_FALSE(PathExists(Sock()));
}

TEST_F(VmmApiBoot, BootsAtOnceWhenTheFlagsDescribeTheVmAndServesWhileItRuns) {
  StartVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=ticker", "--memory", "32"});
  // The API answers while the VM is still being built; pre-boot actions are refused then.
  ApiResponse early = Call("PUT", "/boot-source", R"({"kernel_image_path": "/other"})");
  EXPECT_EQ(early.status, 400);
  EXPECT_NE(early.Fault().find("only allowed before boot"), std::string::npos) << early.Fault();
  ASSERT_TRUE(PollUntil([&] { return InstanceState(Sock()) == "Running"; }))
      << InstanceState(Sock()) << vmm_->Err();
  EXPECT_EQ(Call("PATCH", "/vm", R"({"state": "Paused"})").status, 204);
  EXPECT_EQ(InstanceState(Sock()), "Paused");
  ApiResponse start = Call("PUT", "/actions", R"({"action_type": "InstanceStart"})");
  EXPECT_EQ(start.status, 400);
  EXPECT_NE(start.Fault().find("only allowed before boot"), std::string::npos);
  // A paused VM still ends cleanly on SIGTERM.
  vmm_->Signal(SIGTERM);
  EXPECT_EQ(vmm_->Wait(60), 143) << vmm_->Err();
  EXPECT_FALSE(PathExists(Sock()));
}

}  // namespace
}  // namespace hull::testing
