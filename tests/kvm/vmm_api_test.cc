// hull-vmm's per-VM API end to end, where no KVM is needed: hull-vmm started with
// --api-sock, configured and questioned over the socket, its 400s, InstanceStart failing
// cleanly without /dev/kvm, and the socket's life cycle. Booting through the API is in
// vmm_api_boot_test.cc (label kvm).
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_api_util.h"

namespace hull::testing {
namespace {

class VmmApi : public ::testing::Test {
 protected:
  std::string Sock() const { return dir_.File("api.sock"); }
  void StartVmm(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--api-sock", Sock(), "--log-level", "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    vmm_.emplace(args, dir_.path());
    ASSERT_TRUE(WaitForApi(Sock())) << "hull-vmm never served its API: " << vmm_->Err();
  }
  ApiResponse Call(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return CallApi(Sock(), method, target, body);
  }

  TempDir dir_;
  std::optional<VmmProcess> vmm_;
};

TEST_F(VmmApi, ConfiguresTheVmAndReadsItBack) {
  StartVmm();
  struct stat st {};
  ASSERT_EQ(lstat(Sock().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the API socket must be private";

  ApiResponse info = Call("GET", "/");
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(info.Json()["state"], "Not started");
  EXPECT_EQ(info.Json()["app_name"], "hull-vmm");
  EXPECT_TRUE(info.Json().contains("id"));
  EXPECT_TRUE(info.Json().contains("vmm_version"));

  ApiResponse boot = Call("PUT", "/boot-source",
                          R"({"kernel_image_path": ")" + GuestElf() +
                              R"(", "boot_args": "hulltest.mode=exit hulltest.status=3"})");
  EXPECT_EQ(boot.status, 204) << boot.body;
  EXPECT_EQ(boot.body, "");
  ApiResponse machine = Call("PUT", "/machine-config", R"({"vcpu_count": 2, "mem_size_mib": 48})");
  EXPECT_EQ(machine.status, 204) << machine.body;

  nlohmann::json config = Call("GET", "/vm/config").Json();
  EXPECT_EQ(config["boot-source"]["kernel_image_path"], GuestElf());
  EXPECT_EQ(config["boot-source"]["boot_args"], "hulltest.mode=exit hulltest.status=3");
  EXPECT_EQ(config["machine-config"]["vcpu_count"], 2);
  EXPECT_EQ(config["machine-config"]["mem_size_mib"], 48);
  EXPECT_EQ(Call("GET", "/machine-config").Json()["mem_size_mib"], 48);
  EXPECT_TRUE(vmm_->Alive());
}

TEST_F(VmmApi, BadRequestsGetA400WithAFaultMessage) {
  StartVmm();
  struct Case {
    std::string method, target, body, fault;
  };
  const Case cases[] = {
      {"PUT", "/machine-config", R"({"vcpu_count": 2,)", "malformed JSON"},
      {"PUT", "/machine-config", R"({"vcpu_count": 2, "mem_size_mib": 64, "cpus": 1})",
       "unknown field \"cpus\""},
      {"PUT", "/machine-config", R"({"vcpu_count": 0, "mem_size_mib": 64})", "vcpu_count"},
      {"PUT", "/boot-source", R"({"initrd_path": "/i"})", "kernel_image_path is required"},
      {"PUT", "/vm", R"({"state": "Paused"})", "Invalid request method and/or path: PUT /vm."},
      {"GET", "/nowhere", "", "Invalid request method and/or path"},
      {"PATCH", "/vm", R"({"state": "Paused"})", "only allowed after boot"},
      {"PUT", "/actions", R"({"action_type": "SendCtrlAltDel"})", "only allowed after boot"},
      {"PUT", "/actions", R"({"action_type": "Explode"})", "unknown action_type"},
      {"PUT", "/actions", R"({"action_type": "InstanceStart"})", "PUT /boot-source first"},
      {"PUT", "/drives/rootfs", R"({"drive_id": "rootfs", "path_on_host": "/r"})",
       "drives[0].is_root_device is required"},
      {"PUT", "/drives/rootfs", R"({"drive_id": "other", "path_on_host": "/r", "is_root_device": true})",
       "does not match the id from the body"},
      {"PUT", "/network-interfaces/eth0", R"({"iface_id": "eth0"})",
       "host_dev_name is required"},
      {"PATCH", "/network-interfaces/eth0", R"({"iface_id": "eth0"})",
       "there is no network interface \"eth0\""},
      {"PATCH", "/drives/rootfs", R"({"drive_id": "rootfs", "path_on_host": "/n"})",
       "path_on_host cannot be changed"},
      {"PUT", "/vsock", R"({"guest_cid": 2, "uds_path": "/v"})",
       "vsock.guest_cid must be 3 or more"},
  };
  for (const Case& c : cases) {
    ApiResponse r = Call(c.method, c.target, c.body);
    EXPECT_EQ(r.status, 400) << c.method << " " << c.target << ": " << r.body;
    EXPECT_NE(r.Fault().find(c.fault), std::string::npos)
        << c.method << " " << c.target << ": " << r.Fault();
  }
  EXPECT_TRUE(vmm_->Alive());
  EXPECT_EQ(Call("GET", "/").Json()["state"], "Not started");
}

TEST_F(VmmApi, PatchSetsRateLimitersAndMetricsAnswerBeforeBoot) {
  StartVmm({"--drive", "id=data,path=/nonexistent.img,bw=1000:10"});
  ApiResponse patch = Call("PATCH", "/drives/data",
                           R"({"drive_id": "data", "rate_limiter": {"ops": {"size": 50, "refill_time": 1000}}})");
  EXPECT_EQ(patch.status, 204) << patch.body;
  nlohmann::json drive = Call("GET", "/vm/config").Json()["drives"][0];
  EXPECT_EQ(drive["rate_limiter"]["bandwidth"]["size"], 1000) << drive.dump();
  EXPECT_EQ(drive["rate_limiter"]["ops"]["size"], 50) << drive.dump();
  ApiResponse bad = Call("PATCH", "/drives/data",
                         R"({"drive_id": "data", "rate_limiter": {"ops": {"size": 50, "refill_time": 0}}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.Fault().find("drive.rate_limiter.ops.refill_time must be at least 1"),
            std::string::npos) << bad.Fault();
  // The API thread runs under its seccomp filter: reading /proc/self/statm there works.
  ApiResponse metrics = Call("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_GT(metrics.Json()["vmm"]["resident_memory_bytes"].get<uint64_t>(), 0u) << metrics.body;
  EXPECT_GT(metrics.Json()["utc_timestamp_ms"].get<int64_t>(), 0);
  EXPECT_TRUE(vmm_->Alive()) << vmm_->Err();
}

TEST_F(VmmApi, InstanceStartWithoutKvmFailsCleanlyAndSigtermRemovesTheSocket) {
  if (KvmUnavailableReason().empty()) GTEST_SKIP() << "this host has /dev/kvm: the VM would boot";
  StartVmm();
  ASSERT_EQ(Call("PUT", "/boot-source", R"({"kernel_image_path": ")" + GuestElf() + "\"}").status,
            204);
  ApiResponse start = Call("PUT", "/actions", R"({"action_type": "InstanceStart"})");
  EXPECT_EQ(start.status, 400);
  EXPECT_NE(start.Fault().find("/dev/kvm"), std::string::npos) << start.Fault();
  EXPECT_TRUE(vmm_->Alive());
  EXPECT_EQ(Call("GET", "/").Json()["state"], "Not started");
  // Still configurable after the failed start.
  EXPECT_EQ(Call("PUT", "/machine-config", R"({"vcpu_count": 1, "mem_size_mib": 32})").status, 204);

  vmm_->Signal(SIGTERM);
  EXPECT_EQ(vmm_->Wait(30), 143) << vmm_->Err();
  EXPECT_FALSE(PathExists(Sock())) << "hull-vmm left its API socket behind";
}

TEST_F(VmmApi, ImmediateBootWithoutKvmFailsAndRemovesTheSocket) {
  if (KvmUnavailableReason().empty()) GTEST_SKIP() << "this host has /dev/kvm: the VM would boot";
  vmm_.emplace(std::vector<std::string>{"--api-sock", Sock(), "--kernel", GuestElf()},
               dir_.path());
  EXPECT_EQ(vmm_->Wait(30), 250);
  EXPECT_NE(vmm_->Err().find("/dev/kvm"), std::string::npos) << vmm_->Err();
  EXPECT_FALSE(PathExists(Sock()));
}

TEST_F(VmmApi, RefusesASocketInUseAndKeepsServingIt) {
  StartVmm();
  TempDir second_dir;
  VmmProcess second({"--api-sock", Sock()}, second_dir.path());
  EXPECT_EQ(second.Wait(30), 250);
  EXPECT_NE(second.Err().find("in use"), std::string::npos) << second.Err();
  EXPECT_TRUE(vmm_->Alive());
  EXPECT_EQ(Call("GET", "/").status, 200);
}

TEST_F(VmmApi, SigintBeforeBootEndsWith130) {
  StartVmm();
  vmm_->Signal(SIGINT);
  EXPECT_EQ(vmm_->Wait(30), 130);
  EXPECT_FALSE(PathExists(Sock()));
}

}  // namespace
}  // namespace hull::testing
