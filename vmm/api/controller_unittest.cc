#include "vmm/api/controller.h"

#include <poll.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hull::vmm::api {
namespace {

using json = nlohmann::json;

class FakeVm : public RunningVm {
 public:
  void Pause() override { ++pauses; }
  void Resume() override { ++resumes; }
  base::Status SendCtrlAltDel() override {
    ++ctrl_alt_dels;
    return fail_keys ? base::Status::Error("buffer full") : base::Status::Ok();
  }
  base::Status UpdateRateLimiters(const api::UpdateRateLimiters& update) override {
    if (fail_rate_updates) return base::Status::Error("device busy");
    ++rate_updates;
    last_update = update;
    return base::Status::Ok();
  }
  std::string MetricsJson() override { return R"({"block_rootfs": {"read_count": 3}})"; }
  std::atomic<int> pauses{0}, resumes{0}, ctrl_alt_dels{0}, rate_updates{0};
  bool fail_keys = false, fail_rate_updates = false;
  api::UpdateRateLimiters last_update;
};

std::string Fault(const Reply& reply) {
  if (reply.kind != Reply::Kind::kRefused) return "(not refused)";
  return json::parse(reply.body).at("fault_message").get<std::string>();
}

#define EXPECT_REFUSED(reply, needle)                                              \
  do {                                                                             \
    std::string fault = Fault(reply);                                              \
    EXPECT_NE(fault.find(needle), std::string::npos) << "fault_message: " << fault; \
  } while (0)

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Controller::Create(VmConfig{}, {.vmm_version = "9.9"});
    ASSERT_TRUE(created.ok());
    controller_ = std::move(*created);
  }
  std::string State() {
    Reply reply = controller_->Apply(GetInstanceInfo{});
    return json::parse(reply.body).at("state").get<std::string>();
  }
  Reply SetKernel() { return controller_->Apply(SetBootSource{"/vmlinux", "", ""}); }
  // Plays the main thread: waits for the start request, then starts or fails.
  std::future<Reply> StartWith(std::function<void()> main_thread) {
    auto reply = std::async(std::launch::async,
                            [this] { return controller_->Apply(StartInstance{}); });
    pollfd fd{controller_->start_fd(), POLLIN, 0};
    EXPECT_EQ(poll(&fd, 1, 5000), 1);
    main_thread();
    return reply;
  }
  void Boot() {
    ASSERT_EQ(SetKernel().kind, Reply::Kind::kDone);
    auto reply = StartWith([this] {
      ASSERT_TRUE(controller_->TakeStartRequest().has_value());
      controller_->Started(&vm_);
    });
    ASSERT_EQ(reply.get().kind, Reply::Kind::kDone);
  }

  FakeVm vm_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(ControllerTest, InstanceInfoIsFirecrackersShape) {
  Reply reply = controller_->Apply(GetInstanceInfo{});
  ASSERT_EQ(reply.kind, Reply::Kind::kData);
  json info = json::parse(reply.body);
  EXPECT_EQ(info["id"], "anonymous-instance");
  EXPECT_EQ(info["state"], "Not started");
  EXPECT_EQ(info["vmm_version"], "9.9");
  EXPECT_EQ(info["app_name"], "hull-vmm");
}

TEST_F(ControllerTest, ConfigurationShowsInVmConfig) {
  ASSERT_EQ(SetKernel().kind, Reply::Kind::kDone);
  UpdateMachineConfig update{.vcpu_count = 2, .mem_size_mib = 96};
  ASSERT_EQ(controller_->Apply(update).kind, Reply::Kind::kDone);
  json config = json::parse(controller_->Apply(GetVmConfig{}).body);
  EXPECT_EQ(config["boot-source"]["kernel_image_path"], "/vmlinux");
  EXPECT_EQ(config["machine-config"]["vcpu_count"], 2);
  EXPECT_EQ(config["machine-config"]["mem_size_mib"], 96);
  EXPECT_EQ(config["drives"], json::array());
  json machine = json::parse(controller_->Apply(GetMachineConfig{}).body);
  EXPECT_EQ(machine["vcpu_count"], 2);
}

TEST_F(ControllerTest, InvalidMachineConfigIsRefusedAndChangesNothing) {
  Reply reply = controller_->Apply(UpdateMachineConfig{.vcpu_count = 3, .smt = true});
  EXPECT_REFUSED(reply, "must be 1 or even when smt is enabled");
  json machine = json::parse(controller_->Apply(GetMachineConfig{}).body);
  EXPECT_EQ(machine["vcpu_count"], 1);
  EXPECT_REFUSED(controller_->Apply(UpdateMachineConfig{.mem_size_mib = 0}), "mem_size_mib");
}

TEST_F(ControllerTest, StartWithoutKernelSaysToPutABootSource) {
  EXPECT_REFUSED(controller_->Apply(StartInstance{}), "PUT /boot-source first");
  EXPECT_EQ(State(), "Not started");
}

TEST_F(ControllerTest, ActionsAfterBootAreRefusedBeforeBoot) {
  EXPECT_REFUSED(controller_->Apply(PauseVm{}), "only allowed after boot");
  EXPECT_REFUSED(controller_->Apply(ResumeVm{}), "only allowed after boot");
  EXPECT_REFUSED(controller_->Apply(SendCtrlAltDel{}), "only allowed after boot");
  EXPECT_EQ(vm_.pauses, 0);
}

TEST_F(ControllerTest, FailedStartIsReportedAndTheVmStaysConfigurable) {
  ASSERT_EQ(SetKernel().kind, Reply::Kind::kDone);
  auto reply = StartWith([this] {
    auto config = controller_->TakeStartRequest();
    ASSERT_TRUE(config.has_value());
    EXPECT_EQ(config->kernel_image_path, "/vmlinux");
    controller_->StartFailed(base::Status::Error("/dev/kvm: No such file or directory"));
  });
  EXPECT_REFUSED(reply.get(), "cannot start the microVM: /dev/kvm");
  EXPECT_EQ(State(), "Not started");
  EXPECT_EQ(controller_->Apply(UpdateMachineConfig{.mem_size_mib = 64}).kind, Reply::Kind::kDone);
}

TEST_F(ControllerTest, BootedVmRefusesPreBootActions) {
  Boot();
  EXPECT_EQ(State(), "Running");
  EXPECT_REFUSED(SetKernel(), "PUT /boot-source is only allowed before boot");
  EXPECT_REFUSED(controller_->Apply(UpdateMachineConfig{.vcpu_count = 2}),
                 "only allowed before boot");
  EXPECT_REFUSED(controller_->Apply(StartInstance{}), "InstanceStart is only allowed before boot");
  json config = json::parse(controller_->Apply(GetVmConfig{}).body);
  EXPECT_EQ(config["boot-source"]["kernel_image_path"], "/vmlinux");
}

TEST_F(ControllerTest, PauseAndResumeDriveTheVmAndTheState) {
  Boot();
  ASSERT_EQ(controller_->Apply(PauseVm{}).kind, Reply::Kind::kDone);
  EXPECT_EQ(State(), "Paused");
  EXPECT_EQ(vm_.pauses, 1);
  ASSERT_EQ(controller_->Apply(PauseVm{}).kind, Reply::Kind::kDone);  // already paused
  EXPECT_EQ(vm_.pauses, 1);
  ASSERT_EQ(controller_->Apply(ResumeVm{}).kind, Reply::Kind::kDone);
  EXPECT_EQ(State(), "Running");
  EXPECT_EQ(vm_.resumes, 1);
}

TEST_F(ControllerTest, CtrlAltDelReachesTheVmAndItsFailureIsReported) {
  Boot();
  EXPECT_EQ(controller_->Apply(SendCtrlAltDel{}).kind, Reply::Kind::kDone);
  vm_.fail_keys = true;
  EXPECT_REFUSED(controller_->Apply(SendCtrlAltDel{}), "SendCtrlAltDel failed: buffer full");
  EXPECT_EQ(vm_.ctrl_alt_dels, 2);
}

ConfigureDevice Drive(const std::string& id, const std::string& path, bool root = false) {
  DriveConfig drive;
  drive.drive_id = id;
  drive.path_on_host = path;
  drive.is_root_device = root;
  return ConfigureDevice{ConfigureDevice::Kind::kDrive, id, drive, {}};
}

TEST_F(ControllerTest, DevicesPutBeforeBootReachTheConfigAndReplaceById) {
  EXPECT_EQ(controller_->Apply(Drive("rootfs", "/a", true)).kind, Reply::Kind::kDone);
  EXPECT_EQ(controller_->Apply(Drive("data", "/b")).kind, Reply::Kind::kDone);
  EXPECT_EQ(controller_->Apply(Drive("rootfs", "/c", true)).kind, Reply::Kind::kDone);
  NetworkInterfaceConfig iface{"eth0", "tap0", std::nullopt};
  EXPECT_EQ(controller_->Apply(ConfigureDevice{ConfigureDevice::Kind::kNetworkInterface, "eth0",
                                               iface, {}}).kind,
            Reply::Kind::kDone);
  EXPECT_EQ(controller_->Apply(ConfigureDevice{ConfigureDevice::Kind::kVsock, "",
                                               VsockConfig{3, "/v.sock"}, {}}).kind,
            Reply::Kind::kDone);
  Reply config = controller_->Apply(GetVmConfig{});
  json parsed = json::parse(config.body);
  ASSERT_EQ(parsed["drives"].size(), 2u) << config.body;
  EXPECT_EQ(parsed["drives"][0]["path_on_host"], "/c");
  EXPECT_EQ(parsed["drives"][1]["drive_id"], "data");
  EXPECT_EQ(parsed["network-interfaces"][0]["host_dev_name"], "tap0");
  EXPECT_EQ(parsed["vsock"]["uds_path"], "/v.sock");
}

TEST_F(ControllerTest, InvalidDeviceSetsAreRefusedAndChangeNothing) {
  EXPECT_EQ(controller_->Apply(Drive("rootfs", "/a", true)).kind, Reply::Kind::kDone);
  EXPECT_REFUSED(controller_->Apply(Drive("other", "/b", true)),
                 "are both is_root_device; a VM has one root device");
  EXPECT_REFUSED(controller_->Apply(ConfigureDevice{ConfigureDevice::Kind::kVsock, "",
                                                    VsockConfig{2, "/v.sock"}, {}}),
                 "vsock.guest_cid must be 3 or more");
  json parsed = json::parse(controller_->Apply(GetVmConfig{}).body);
  EXPECT_EQ(parsed["drives"].size(), 1u);
  EXPECT_TRUE(parsed["vsock"].is_null());
}

TEST_F(ControllerTest, DevicesAreRefusedAfterBoot) {
  Boot();
  EXPECT_REFUSED(controller_->Apply(Drive("late", "/a")),
                 "PUT /drives is only allowed before boot");
}

TEST_F(ControllerTest, PatchChangesRateLimitersInTheConfigAndTheRunningVm) {
  ASSERT_EQ(controller_->Apply(Drive("rootfs", "/a", true)).kind, Reply::Kind::kDone);
  const TokenBucketConfig bucket{.size = 1 << 20, .refill_time_ms = 100};
  UpdateRateLimiters update{ConfigureDevice::Kind::kDrive, "rootfs", {.bandwidth = bucket}, {}, {}};
  // Before boot: the configuration only.
  EXPECT_EQ(controller_->Apply(update).kind, Reply::Kind::kDone);
  json config = json::parse(controller_->Apply(GetVmConfig{}).body);
  EXPECT_EQ(config["drives"][0]["rate_limiter"]["bandwidth"]["size"], 1 << 20);
  EXPECT_EQ(vm_.rate_updates, 0);
  Boot();
  update.limiter = {.ops = TokenBucketConfig{.size = 10, .refill_time_ms = 1000}};
  EXPECT_EQ(controller_->Apply(update).kind, Reply::Kind::kDone);
  EXPECT_EQ(vm_.rate_updates, 1);
  EXPECT_EQ(vm_.last_update.limiter.ops->size, 10u);
  config = json::parse(controller_->Apply(GetVmConfig{}).body);
  EXPECT_EQ(config["drives"][0]["rate_limiter"]["bandwidth"]["size"], 1 << 20);  // kept
  EXPECT_EQ(config["drives"][0]["rate_limiter"]["ops"]["size"], 10);
  // A device the VM refuses to change, or that does not exist, changes nothing.
  vm_.fail_rate_updates = true;
  update.limiter = {.ops = TokenBucketConfig{}};
  EXPECT_REFUSED(controller_->Apply(update), "PATCH /drives/rootfs: device busy");
  config = json::parse(controller_->Apply(GetVmConfig{}).body);
  EXPECT_EQ(config["drives"][0]["rate_limiter"]["ops"]["size"], 10);
  EXPECT_REFUSED(controller_->Apply(UpdateRateLimiters{ConfigureDevice::Kind::kNetworkInterface,
                                                       "eth9", {}, {}, {}}),
                 "PATCH /network-interfaces/eth9: there is no network interface \"eth9\"");
}

TEST_F(ControllerTest, MetricsReportResidentMemoryAndOnceBootedTheVmsCounters) {
  json before = json::parse(controller_->Apply(GetMetrics{}).body);
  EXPECT_GT(before["utc_timestamp_ms"].get<int64_t>(), 1'600'000'000'000);
  EXPECT_GT(before["vmm"]["resident_memory_bytes"].get<uint64_t>(), 0u);
  EXPECT_FALSE(before.contains("block_rootfs"));
  Boot();
  json after = json::parse(controller_->Apply(GetMetrics{}).body);
  EXPECT_EQ(after["block_rootfs"]["read_count"], 3);
  EXPECT_TRUE(after.contains("vmm"));
}

TEST_F(ControllerTest, BootFromConfigRefusesPreBootActionsWhileTheVmIsBuilt) {
  controller_->BootingFromConfig();
  EXPECT_EQ(State(), "Not started");
  EXPECT_REFUSED(SetKernel(), "the microVM is starting");
  EXPECT_REFUSED(controller_->Apply(StartInstance{}), "the microVM is starting");
  EXPECT_FALSE(controller_->TakeStartRequest().has_value());
  controller_->Started(&vm_);
  EXPECT_EQ(State(), "Running");
  EXPECT_EQ(controller_->Apply(PauseVm{}).kind, Reply::Kind::kDone);
  EXPECT_EQ(vm_.pauses, 1);
}

TEST_F(ControllerTest, EndedVmTouchesTheVmNoMoreAndAnswersAWaitingStart) {
  ASSERT_EQ(SetKernel().kind, Reply::Kind::kDone);
  auto reply = StartWith([this] { controller_->Ended(); });
  EXPECT_REFUSED(reply.get(), "hull-vmm is exiting");
  EXPECT_FALSE(controller_->TakeStartRequest().has_value());
  EXPECT_REFUSED(controller_->Apply(PauseVm{}), "has ended");
  EXPECT_EQ(vm_.pauses, 0);
}

TEST_F(ControllerTest, FlushMetricsWritesOneLineToTheMetricsFile) {
  EXPECT_REFUSED(controller_->Apply(FlushMetrics{}), "there is no metrics file");
  char dir[] = "/tmp/hull-flush-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/metrics.json";
  auto file = MetricsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  controller_->SetMetricsFile(file->get());
  // Before boot: only the VMM's own numbers.
  EXPECT_EQ(controller_->Apply(FlushMetrics{}).kind, Reply::Kind::kDone);
  FakeVm vm;
  controller_->Started(&vm);
  EXPECT_EQ(controller_->Apply(FlushMetrics{}).kind, Reply::Kind::kDone);
  auto text = base::ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  size_t newline = text->find('\n');
  ASSERT_NE(newline, std::string::npos);
  json first = json::parse(text->substr(0, newline));
  json second = json::parse(text->substr(newline + 1));
  EXPECT_TRUE(first.contains("utc_timestamp_ms"));
  EXPECT_FALSE(first.contains("block_rootfs"));
  EXPECT_EQ(second["block_rootfs"]["read_count"], 3);
  controller_->Ended();
  controller_->SetMetricsFile(nullptr);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hull::vmm::api
