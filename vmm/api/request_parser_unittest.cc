#include "vmm/api/request_parser.h"

#include <gtest/gtest.h>

namespace hull::vmm::api {
namespace {

base::Result<Action> Parse(const std::string& method, const std::string& path,
                           const std::string& body = "") {
  return ParseRequest({method, path, body});
}

// The request is refused with a message containing `needle`.
void ExpectRefused(const base::Result<Action>& action, const std::string& needle) {
  ASSERT_FALSE(action.ok()) << "expected an error containing \"" << needle << "\"";
  EXPECT_NE(action.status().message().find(needle), std::string::npos)
      << action.status().message();
}

TEST(RequestParser, GetsMapToTheirActions) {
  EXPECT_TRUE(std::holds_alternative<GetInstanceInfo>(*Parse("GET", "/")));
  EXPECT_TRUE(std::holds_alternative<GetVmConfig>(*Parse("GET", "/vm/config")));
  EXPECT_TRUE(std::holds_alternative<GetMachineConfig>(*Parse("GET", "/machine-config")));
}

TEST(RequestParser, BootSourceCarriesItsFields) {
  auto action = Parse("PUT", "/boot-source",
                      R"({"kernel_image_path": "/k", "initrd_path": "/i", "boot_args": "x=1"})");
  ASSERT_TRUE(action.ok()) << action.status().message();
  const auto& boot = std::get<SetBootSource>(*action);
  EXPECT_EQ(boot.kernel_image_path, "/k");
  EXPECT_EQ(boot.initrd_path, "/i");
  EXPECT_EQ(boot.boot_args, "x=1");
}

TEST(RequestParser, BootSourceNeedsAKernel) {
  ExpectRefused(Parse("PUT", "/boot-source", R"({"boot_args": "x"})"),
                "boot-source.kernel_image_path is required");
}

TEST(RequestParser, UnknownFieldIsNamed) {
  ExpectRefused(Parse("PUT", "/boot-source", R"({"kernel_image_path": "/k", "kernel": "/k"})"),
                "unknown field \"kernel\"");
  ExpectRefused(Parse("PUT", "/machine-config", R"({"vcpu_count": 1, "mem_size_mib": 64,
                      "memory": 1})"),
                "unknown field \"memory\"");
  ExpectRefused(Parse("PUT", "/actions", R"({"action_type": "InstanceStart", "now": true})"),
                "unknown field \"now\"");
}

TEST(RequestParser, WrongTypeNamesTheField) {
  ExpectRefused(Parse("PUT", "/machine-config", R"({"vcpu_count": "two", "mem_size_mib": 64})"),
                "machine-config.vcpu_count");
  ExpectRefused(Parse("PUT", "/boot-source", R"({"kernel_image_path": 7})"),
                "boot-source.kernel_image_path");
}

TEST(RequestParser, MalformedJsonIsRefused) {
  ExpectRefused(Parse("PUT", "/boot-source", R"({"kernel_image_path": )"), "malformed JSON");
  ExpectRefused(Parse("PUT", "/boot-source", R"(["/k"])"), "must be a JSON object");
  ExpectRefused(Parse("PATCH", "/vm", R"({"state": "Paused", "state": "Resumed"})"),
                "duplicate field \"state\"");
}

TEST(RequestParser, BodiesAreRequiredOrForbiddenByMethod) {
  ExpectRefused(Parse("PUT", "/boot-source"), "Empty PUT request.");
  ExpectRefused(Parse("PATCH", "/vm"), "Empty PATCH request.");
  ExpectRefused(Parse("GET", "/", "{}"), "GET request cannot have a body.");
}

TEST(RequestParser, PutMachineConfigSetsEveryFieldAndNeedsTheRequiredOnes) {
  auto action = Parse("PUT", "/machine-config", R"({"vcpu_count": 2, "mem_size_mib": 256})");
  ASSERT_TRUE(action.ok()) << action.status().message();
  const auto& update = std::get<UpdateMachineConfig>(*action);
  EXPECT_EQ(update.vcpu_count, 2u);
  EXPECT_EQ(update.mem_size_mib, 256u);
  EXPECT_EQ(update.smt, false);  // back to the default
  EXPECT_EQ(update.huge_pages, HugePages::kNone);
  ExpectRefused(Parse("PUT", "/machine-config", R"({"vcpu_count": 2})"),
                "machine-config.mem_size_mib is required");
}

TEST(RequestParser, PatchMachineConfigSetsOnlyTheFieldsGiven) {
  auto action = Parse("PATCH", "/machine-config", R"({"mem_size_mib": 512})");
  ASSERT_TRUE(action.ok()) << action.status().message();
  const auto& update = std::get<UpdateMachineConfig>(*action);
  EXPECT_FALSE(update.vcpu_count.has_value());
  EXPECT_EQ(update.mem_size_mib, 512u);
  EXPECT_FALSE(update.smt.has_value());
}

TEST(RequestParser, MachineConfigRejectsCpuTemplates) {
  ExpectRefused(Parse("PUT", "/machine-config",
                      R"({"vcpu_count": 1, "mem_size_mib": 64, "cpu_template": "T2"})"),
                "CPU templates");
}

TEST(RequestParser, ActionsAreTheClosedSet) {
  EXPECT_TRUE(std::holds_alternative<StartInstance>(
      *Parse("PUT", "/actions", R"({"action_type": "InstanceStart"})")));
  EXPECT_TRUE(std::holds_alternative<SendCtrlAltDel>(
      *Parse("PUT", "/actions", R"({"action_type": "SendCtrlAltDel"})")));
  ExpectRefused(Parse("PUT", "/actions", R"({"action_type": "Reboot"})"),
                "unknown action_type \"Reboot\"");
  EXPECT_TRUE(std::holds_alternative<FlushMetrics>(
      *Parse("PUT", "/actions", R"({"action_type": "FlushMetrics"})")));
  ExpectRefused(Parse("PUT", "/actions", R"({})"), "action_type is required");
}

TEST(RequestParser, VmStateIsPausedOrResumed) {
  EXPECT_TRUE(std::holds_alternative<PauseVm>(*Parse("PATCH", "/vm", R"({"state": "Paused"})")));
  EXPECT_TRUE(std::holds_alternative<ResumeVm>(*Parse("PATCH", "/vm", R"({"state": "Resumed"})")));
  ExpectRefused(Parse("PATCH", "/vm", R"({"state": "Stopped"})"), "\"Paused\" or \"Resumed\"");
}

TEST(RequestParser, WrongMethodOrUnknownPathIsRefusedLikeFirecracker) {
  ExpectRefused(Parse("PUT", "/vm", R"({"state": "Paused"})"),
                "Invalid request method and/or path: PUT /vm.");
  ExpectRefused(Parse("GET", "/boot-source"),
                "Invalid request method and/or path: GET /boot-source.");
  ExpectRefused(Parse("DELETE", "/"), "Invalid request method and/or path: DELETE /.");
  ExpectRefused(Parse("GET", "/no-such-thing"), "Invalid request method and/or path");
  ExpectRefused(Parse("PUT", "/boot-source/", R"({"kernel_image_path": "/k"})"),
                "Invalid request method and/or path");
}

TEST(RequestParser, DevicesAreParsedAsTheirConfigFileSection) {
  auto drive = Parse("PUT", "/drives/rootfs",
                     R"({"drive_id": "rootfs", "path_on_host": "/r.ext4", "is_root_device": true})");
  ASSERT_TRUE(drive.ok()) << drive.status().message();
  const auto& device = std::get<ConfigureDevice>(*drive);
  EXPECT_EQ(device.kind, ConfigureDevice::Kind::kDrive);
  EXPECT_EQ(device.id, "rootfs");
  EXPECT_EQ(std::get<DriveConfig>(device.device).path_on_host, "/r.ext4");
  auto net = Parse("PUT", "/network-interfaces/eth0",
                   R"({"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "06:00:00:00:00:01"})");
  ASSERT_TRUE(net.ok()) << net.status().message();
  EXPECT_EQ(std::get<NetworkInterfaceConfig>(std::get<ConfigureDevice>(*net).device).host_dev_name,
            "tap0");
  auto vsock = Parse("PUT", "/vsock", R"({"guest_cid": 3, "uds_path": "/v"})");
  ASSERT_TRUE(vsock.ok()) << vsock.status().message();
  EXPECT_EQ(std::get<VsockConfig>(std::get<ConfigureDevice>(*vsock).device).uds_path, "/v");
}

TEST(RequestParser, PatchOfDevicesUpdatesTheirRateLimiters) {
  auto drive = Parse("PATCH", "/drives/rootfs", R"({"drive_id": "rootfs",
      "rate_limiter": {"bandwidth": {"size": 1000, "one_time_burst": 5, "refill_time": 10}}})");
  ASSERT_TRUE(drive.ok()) << drive.status().message();
  const auto& update = std::get<UpdateRateLimiters>(*drive);
  EXPECT_EQ(update.kind, ConfigureDevice::Kind::kDrive);
  EXPECT_EQ(update.id, "rootfs");
  ASSERT_TRUE(update.limiter.bandwidth.has_value());
  EXPECT_EQ(*update.limiter.bandwidth, (TokenBucketConfig{1000, 5, 10}));
  EXPECT_FALSE(update.limiter.ops.has_value());  // left as it is
  auto net = Parse("PATCH", "/network-interfaces/eth0", R"({"iface_id": "eth0",
      "rx_rate_limiter": {"ops": {"size": 0, "refill_time": 0}},
      "tx_rate_limiter": {"bandwidth": {"size": 5, "refill_time": 1}}})");
  ASSERT_TRUE(net.ok()) << net.status().message();
  const auto& iface = std::get<UpdateRateLimiters>(*net);
  EXPECT_EQ(iface.kind, ConfigureDevice::Kind::kNetworkInterface);
  ASSERT_TRUE(iface.rx.ops.has_value());
  EXPECT_FALSE(iface.rx.ops->limited());  // size 0: the limit is lifted
  EXPECT_FALSE(iface.rx.bandwidth.has_value());
  EXPECT_EQ(iface.tx.bandwidth->size, 5u);
  // Only the id: nothing to change, and no error (as in Firecracker).
  EXPECT_TRUE(Parse("PATCH", "/drives/a", R"({"drive_id": "a"})").ok());
}

TEST(RequestParser, BadPatchesAreRefusedWithTheReason) {
  ExpectRefused(Parse("PATCH", "/drives/a", R"({"drive_id": "a", "path_on_host": "/n"})"),
                "drive.path_on_host cannot be changed by PATCH");
  ExpectRefused(Parse("PATCH", "/drives/a", R"({"drive_id": "b"})"),
                "The id from the path (\"a\") does not match the id from the body (\"b\")");
  ExpectRefused(Parse("PATCH", "/drives/a", R"({"rate_limiter": {}})"),
                "drive.drive_id is required");
  ExpectRefused(Parse("PATCH", "/drives/a", R"({"drive_id": "a", "is_read_only": true})"),
                "unknown field \"is_read_only\"");
  ExpectRefused(Parse("PATCH", "/network-interfaces/e", R"({"iface_id": "e", "rate_limiter": {}})"),
                "unknown field \"rate_limiter\"");
  ExpectRefused(Parse("PATCH", "/drives/a",
                      R"({"drive_id": "a", "rate_limiter": {"ops": {"size": 7, "refill_time": 0}}})"),
                "drive.rate_limiter.ops.refill_time must be at least 1");
  ExpectRefused(Parse("PATCH", "/network-interfaces/e",
                      R"({"iface_id": "e", "tx_rate_limiter": {"ops": {"size": "7", "refill_time": 1}}})"),
                "network-interface.tx_rate_limiter.ops.size must be an unsigned integer");
  ExpectRefused(Parse("PATCH", "/drives/a-b", R"({"drive_id": "a-b"})"), "is not a valid ID");
}

TEST(RequestParser, MetricsAreAGet) {
  EXPECT_TRUE(std::holds_alternative<GetMetrics>(*Parse("GET", "/metrics")));
  ExpectRefused(Parse("PUT", "/metrics", "{}"), "Invalid request method and/or path");
  ExpectRefused(Parse("GET", "/metrics", "{}"), "GET request cannot have a body.");
}

TEST(RequestParser, BadDeviceRequestsAreRefusedWithTheReason) {
  ExpectRefused(Parse("PUT", "/drives/a-b", "{}"), "is not a valid ID");
  ExpectRefused(Parse("PUT", "/drives/", "{}"), "Invalid request method and/or path");
  ExpectRefused(Parse("PUT", "/drives/x", "nope"), "malformed JSON");
  ExpectRefused(Parse("PUT", "/drives/x",
                      R"({"drive_id": "y", "path_on_host": "/r", "is_root_device": false})"),
                "The id from the path (\"x\") does not match the id from the body (\"y\")");
  ExpectRefused(Parse("PUT", "/drives/x", R"({"drive_id": "x", "is_root_device": false})"),
                "drives[0].path_on_host is required");
  ExpectRefused(Parse("PUT", "/vsock", R"({"guest_cid": 3, "uds_path": "/v", "port": 1})"),
                "unknown field \"port\" in vsock");
}

}  // namespace
}  // namespace hull::vmm::api
