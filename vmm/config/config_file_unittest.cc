#include "vmm/config/config_file.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hull::vmm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The shape Firecracker's own test framework writes (tests/framework/vm_config.json).
constexpr char kFirecrackerConfig[] = R"({
  "boot-source": {
    "kernel_image_path": "/images/vmlinux.bin",
    "boot_args": "console=ttyS0 reboot=k panic=1 pci=off",
    "initrd_path": "/images/initrd.img"
  },
  "drives": [],
  "machine-config": {
    "vcpu_count": 2,
    "mem_size_mib": 1024,
    "smt": true,
    "track_dirty_pages": false,
    "huge_pages": "2M",
    "cpu_template": "None"
  },
  "cpu-config": null,
  "balloon": null,
  "network-interfaces": [],
  "vsock": null,
  "logger": null,
  "metrics": null,
  "mmds-config": null,
  "entropy": null
})";

std::string ErrorOf(const std::string& json_text) {
  base::Result<VmConfig> config = ParseConfigFile(json_text);
  return config.ok() ? "OK" : config.status().message();
}

TEST(ConfigFile, ParsesFirecrackerConfigIntoTheSharedFields) {
  base::Result<VmConfig> config = ParseConfigFile(kFirecrackerConfig);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->kernel_image_path, "/images/vmlinux.bin");
  EXPECT_EQ(config->initrd_path, "/images/initrd.img");
  EXPECT_EQ(config->boot_args, "console=ttyS0 reboot=k panic=1 pci=off");
  EXPECT_EQ(config->vcpu_count, 2u);
  EXPECT_EQ(config->mem_size_mib, 1024u);
  EXPECT_TRUE(config->smt);
  EXPECT_EQ(config->huge_pages, HugePages::k2M);
  EXPECT_TRUE(ValidateVmConfig(*config).ok());
}

TEST(ConfigFile, NullInitrdPathMeansNoInitrd) {
  base::Result<VmConfig> config = ParseConfigFile(
      R"({"boot-source": {"kernel_image_path": "k", "initrd_path": null, "boot_args": null}})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->initrd_path, "");
  EXPECT_EQ(config->boot_args, "");
}

TEST(ConfigFile, EmptyObjectKeepsDefaults) {
  base::Result<VmConfig> config = ParseConfigFile("{}");
  ASSERT_TRUE(config.ok()) << config.status().message();
  VmConfig defaults;
  EXPECT_EQ(config->vcpu_count, defaults.vcpu_count);
  EXPECT_EQ(config->mem_size_mib, defaults.mem_size_mib);
  EXPECT_EQ(config->serial_output, SerialOutput::kStdout);
}

TEST(ConfigFile, UnknownTopLevelFieldIsAnError) {
  EXPECT_THAT(ErrorOf(R"({"foo": 1})"), HasSubstr("unknown field \"foo\" at the top level"));
  // Firecracker sections hull-vmm does not recognize are unknown too.
  EXPECT_THAT(ErrorOf(R"({"pmem": []})"), HasSubstr("unknown field \"pmem\""));
}

TEST(ConfigFile, UnknownNestedFieldIsAnErrorNamingTheSection) {
  EXPECT_THAT(ErrorOf(R"({"machine-config": {"vcpu_count": 1, "foo": 2}})"),
              HasSubstr("unknown field \"foo\" in machine-config"));
  EXPECT_THAT(ErrorOf(R"({"boot-source": {"kernel_path": "k"}})"),
              HasSubstr("unknown field \"kernel_path\" in boot-source"));
  EXPECT_THAT(ErrorOf(R"({"hull": {"serial": {"output": "pty", "speed": 9600}}})"),
              HasSubstr("unknown field \"speed\" in hull.serial"));
  EXPECT_THAT(ErrorOf(R"({"hull": {"cpuid_masks": [{"leaf": 1, "register": "ecx",
                                     "clear_bits": 1, "mask": 2}]}})"),
              HasSubstr("unknown field \"mask\" in hull.cpuid_masks[0]"));
}

TEST(ConfigFile, WrongTypesNameTheFieldAndTheExpectedType) {
  EXPECT_EQ(ErrorOf(R"({"machine-config": {"vcpu_count": "2"}})"),
            "machine-config.vcpu_count must be an unsigned integer, got string \"2\"");
  EXPECT_EQ(ErrorOf(R"({"machine-config": {"smt": "yes"}})"),
            "machine-config.smt must be true or false, got string \"yes\"");
  EXPECT_EQ(ErrorOf(R"({"boot-source": {"kernel_image_path": 5}})"),
            "boot-source.kernel_image_path must be a string, got number 5");
  EXPECT_EQ(ErrorOf(R"({"machine-config": {"huge_pages": "1G"}})"),
            "machine-config.huge_pages must be one of \"None\", \"2M\", got \"1G\"");
  EXPECT_EQ(ErrorOf(R"({"machine-config": []})"),
            "machine-config must be a JSON object, got array");
  EXPECT_EQ(ErrorOf(R"({"drives": {}})"), "drives must be an array, got object");
  EXPECT_EQ(ErrorOf(R"({"hull": {"timeout_s": "10"}})"),
            "hull.timeout_s must be a number, got string \"10\"");
  EXPECT_EQ(ErrorOf("[]"), "the config file must be a JSON object, got array");
}

TEST(ConfigFile, NumbersOutOfRangeAreErrorsNotTruncated) {
  EXPECT_EQ(ErrorOf(R"({"machine-config": {"vcpu_count": -1}})"),
            "machine-config.vcpu_count must not be negative, got number -1");
  EXPECT_EQ(ErrorOf(R"({"machine-config": {"vcpu_count": 1099511627776}})"),
            "machine-config.vcpu_count is too large: number 1099511627776 (at most 4294967295)");
  EXPECT_THAT(ErrorOf(R"({"machine-config": {"mem_size_mib": 18446744073709551616}})"),
              HasSubstr("machine-config.mem_size_mib is too large"));
  EXPECT_THAT(ErrorOf(R"({"machine-config": {"vcpu_count": 1.5}})"),
              HasSubstr("machine-config.vcpu_count must be an integer"));
  EXPECT_THAT(ErrorOf(R"({"hull": {"cpuid_masks": [{"leaf": 1, "register": "ecx",
                                     "clear_bits": "0x100000000"}]}})"),
              HasSubstr("hull.cpuid_masks[0].clear_bits is too large"));
}

TEST(ConfigFile, MalformedJsonIsOneLineWithTheParserMessage) {
  std::string error = ErrorOf(R"({"machine-config": {"vcpu_count": 1,}})");
  EXPECT_THAT(error, HasSubstr("malformed config file: parse error at line 1"));
  EXPECT_THAT(error, Not(HasSubstr("\n")));
  EXPECT_THAT(ErrorOf(""), HasSubstr("malformed config file"));
}

TEST(ConfigFile, DuplicateFieldIsAnError) {
  EXPECT_EQ(ErrorOf(R"({"machine-config": {"vcpu_count": 1, "vcpu_count": 8}})"),
            "malformed config file: duplicate field \"vcpu_count\"");
}

TEST(ConfigFile, DeeplyNestedValueIsAnErrorNotACrash) {
  std::string deep = R"({"machine-config": {"vcpu_count": )" + std::string(100000, '[') +
                     std::string(100000, ']') + "}}";
  EXPECT_THAT(ErrorOf(deep), HasSubstr("machine-config.vcpu_count must be an unsigned integer"));
}

TEST(ConfigFile, SectionsHullVmmLacksAreErrors) {
  for (const char* section : {"balloon", "mmds-config"}) {
    EXPECT_THAT(ErrorOf(std::string("{\"") + section + "\": {}}"),
                HasSubstr(std::string(section) + " is not supported by this version of hull-vmm"));
  }
  EXPECT_THAT(ErrorOf(R"({"cpu-config": "/etc/template.json"})"),
              HasSubstr("hull-vmm does not implement CPU templates"));
  EXPECT_EQ(ErrorOf(R"({"drives": [], "network-interfaces": null, "vsock": null})"), "OK");
}

TEST(ConfigFile, DrivesAreReadWithFirecrackerFieldsAndOverlay) {
  base::Result<VmConfig> config = ParseConfigFile(R"({"drives": [
      {"drive_id": "rootfs", "path_on_host": "/img/base.ext4", "is_root_device": true,
       "is_read_only": false, "cache_type": "Writeback", "overlay_path": "/vm/1/rw",
       "rate_limiter": null, "io_engine": "Sync"},
      {"drive_id": "data", "path_on_host": "/img/data", "is_root_device": false,
       "is_read_only": true}]})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->drives.size(), 2u);
  const DriveConfig& root = config->drives[0];
  EXPECT_EQ(root.drive_id, "rootfs");
  EXPECT_EQ(root.path_on_host, "/img/base.ext4");
  EXPECT_TRUE(root.is_root_device);
  EXPECT_EQ(root.cache_type, CacheType::kWriteback);
  EXPECT_EQ(root.overlay_path, "/vm/1/rw");
  EXPECT_TRUE(config->drives[1].is_read_only);
  EXPECT_EQ(config->drives[1].cache_type, CacheType::kUnsafe);
}

TEST(ConfigFile, DriveErrorsNameTheField) {
  EXPECT_EQ(ErrorOf(R"({"drives": [{"drive_id": "a", "path_on_host": "/x"}]})"),
            "drives[0].is_root_device is required");
  EXPECT_EQ(ErrorOf(R"({"drives": [{"drive_id": "a", "is_root_device": false}]})"),
            "drives[0].path_on_host is required");
  EXPECT_THAT(ErrorOf(R"({"drives": [{"drive_id": "a", "path_on_host": "/x", "is_root_device": false, "cache_type": "None"}]})"),
              HasSubstr("drives[0].cache_type must be one of \"Unsafe\", \"Writeback\""));
  EXPECT_THAT(ErrorOf(R"({"drives": [{"drive_id": "a", "socket": "/vhost", "is_root_device": false}]})"),
              HasSubstr("vhost-user drives are not supported"));
  EXPECT_THAT(ErrorOf(R"({"drives": {"drive_id": "a"}})"), HasSubstr("drives must be an array"));
  EXPECT_THAT(ErrorOf(R"({"drives": [{"drive_id": "a", "path_on_host": "/x", "is_root_device": false, "io_engine": "Uring"}]})"),
              HasSubstr("drives[0].io_engine must be \"Sync\" or \"Async\""));
}

TEST(ConfigFile, RateLimitersAreReadAndWrittenBack) {
  base::Result<VmConfig> config = ParseConfigFile(R"({
      "drives": [{"drive_id": "a", "path_on_host": "/x", "is_root_device": false,
                  "rate_limiter": {"bandwidth": {"size": 1048576, "one_time_burst": 4096,
                                                 "refill_time": 100},
                                   "ops": {"size": 100, "refill_time": 1000}}}],
      "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0",
                              "rx_rate_limiter": {"bandwidth": {"size": 1000, "refill_time": 10}},
                              "tx_rate_limiter": {"ops": {"size": 5, "refill_time": 1}}}]})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const RateLimiterConfig& drive = config->drives[0].rate_limiter;
  EXPECT_EQ(drive.bandwidth, (TokenBucketConfig{1048576, 4096, 100}));
  EXPECT_EQ(drive.ops, (TokenBucketConfig{100, 0, 1000}));
  EXPECT_EQ(config->network_interfaces[0].rx_rate_limiter.bandwidth, (TokenBucketConfig{1000, 0, 10}));
  EXPECT_FALSE(config->network_interfaces[0].rx_rate_limiter.ops.limited());
  EXPECT_EQ(config->network_interfaces[0].tx_rate_limiter.ops, (TokenBucketConfig{5, 0, 1}));
  // Round trip through the writer (GET /vm/config).
  base::Result<std::string> text = FormatConfigFile(*config);
  ASSERT_TRUE(text.ok());
  base::Result<VmConfig> again = ParseConfigFile(*text);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->drives[0].rate_limiter, drive);
  EXPECT_EQ(again->network_interfaces[0].tx_rate_limiter,
            config->network_interfaces[0].tx_rate_limiter);
  // null and {} are no limit.
  config = ParseConfigFile(R"({"drives": [{"drive_id": "a", "path_on_host": "/x",
      "is_root_device": false, "rate_limiter": {}}], "network-interfaces": [{"iface_id": "e",
      "host_dev_name": "t", "rx_rate_limiter": null}]})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->drives[0].rate_limiter.limited());
}

TEST(ConfigFile, BadRateLimitersAreRefusedNamingTheField) {
  auto drive = [](const std::string& limiter) {
    return ErrorOf(R"({"drives": [{"drive_id": "a", "path_on_host": "/x", "is_root_device": false, "rate_limiter": )" +
                   limiter + "}]}");
  };
  EXPECT_EQ(drive(R"({"bandwidth": {"size": 100}})"),
            "drives[0].rate_limiter.bandwidth.refill_time is required");
  EXPECT_EQ(drive(R"({"ops": {"refill_time": 100}})"), "drives[0].rate_limiter.ops.size is required");
  EXPECT_THAT(drive(R"({"ops": {"size": -1, "refill_time": 100}})"),
              HasSubstr("drives[0].rate_limiter.ops.size must not be negative"));
  EXPECT_THAT(drive(R"({"ops": {"size": 1.5, "refill_time": 100}})"),
              HasSubstr("drives[0].rate_limiter.ops.size must be an integer"));
  EXPECT_THAT(drive(R"({"bandwidth": {"size": 1, "refill_time": 1, "burst": 2}})"),
              HasSubstr("unknown field \"burst\" in drives[0].rate_limiter.bandwidth"));
  EXPECT_THAT(drive(R"({"size": 1})"), HasSubstr("unknown field \"size\" in drives[0].rate_limiter"));
  EXPECT_THAT(drive(R"({"bandwidth": {"size": 1000, "refill_time": 0}})"),
              HasSubstr("drives[0].rate_limiter.bandwidth.refill_time must be at least 1"));
  EXPECT_THAT(drive(R"({"ops": {"size": 0, "one_time_burst": 10, "refill_time": 5}})"),
              HasSubstr("drives[0].rate_limiter.ops.one_time_burst is 10 but size is 0"));
  EXPECT_THAT(ErrorOf(R"({"network-interfaces": [{"iface_id": "eth0", "host_dev_name": "t", "tx_rate_limiter": {"ops": {"size": 3, "refill_time": 0}}}]})"),
              HasSubstr("network-interfaces[0].tx_rate_limiter.ops.refill_time must be at least 1"));
  // Size 0 with a refill time: no limit, not an error.
  EXPECT_EQ(drive(R"({"bandwidth": {"size": 0, "refill_time": 100}})"), "OK");
}

TEST(ConfigFile, AsyncIoEngineIsAcceptedWithANote) {
  ConfigFileExtras extras;
  base::Result<VmConfig> config = ParseConfigFile(
      R"({"drives": [{"drive_id": "a", "path_on_host": "/x", "is_root_device": false, "io_engine": "Async"}]})",
      &extras);
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(extras.notes.size(), 1u);
  EXPECT_THAT(extras.notes[0], HasSubstr("io_engine \"Async\" is ignored"));
}

TEST(ConfigFile, NetworkInterfacesAndVsockAreRead) {
  base::Result<VmConfig> config = ParseConfigFile(R"({
      "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "06:00:AC:10:00:02"},
                             {"iface_id": "eth1", "host_dev_name": "tap1"}],
      "vsock": {"guest_cid": 3, "uds_path": "/run/v.sock"}})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->network_interfaces.size(), 2u);
  EXPECT_EQ(config->network_interfaces[0].host_dev_name, "tap0");
  ASSERT_TRUE(config->network_interfaces[0].guest_mac.has_value());
  EXPECT_EQ(FormatMacAddress(*config->network_interfaces[0].guest_mac), "06:00:ac:10:00:02");
  EXPECT_FALSE(config->network_interfaces[1].guest_mac.has_value());
  ASSERT_TRUE(config->vsock.has_value());
  EXPECT_EQ(config->vsock->guest_cid, 3u);
  EXPECT_EQ(config->vsock->uds_path, "/run/v.sock");
}

TEST(ConfigFile, NetworkAndVsockErrorsNameTheField) {
  EXPECT_THAT(ErrorOf(R"({"network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "06:00:ac:10:00"}]})"),
              HasSubstr("network-interfaces[0].guest_mac must be a MAC address"));
  EXPECT_EQ(ErrorOf(R"({"network-interfaces": [{"iface_id": "eth0"}]})"),
            "network-interfaces[0].host_dev_name is required");
  EXPECT_EQ(ErrorOf(R"({"vsock": {"guest_cid": 3}})"), "vsock.uds_path is required");
  EXPECT_THAT(ErrorOf(R"({"vsock": {"guest_cid": -3, "uds_path": "/v"}})"),
              HasSubstr("vsock.guest_cid must not be negative"));
}

TEST(ConfigFile, DeviceSectionsSurviveFormatAndParse) {
  VmConfig config;
  config.kernel_image_path = "/k";
  config.drives.push_back({"rootfs", "/base", true, false, "", CacheType::kWriteback, "/rw"});
  config.drives.push_back({"data", "/data", false, true, "", CacheType::kUnsafe, ""});
  config.network_interfaces.push_back({"eth0", "tap0", std::array<uint8_t, 6>{6, 0, 1, 2, 3, 4}});
  config.vsock = VsockConfig{42, "/run/v.sock"};
  base::Result<std::string> text = FormatConfigFile(config);
  ASSERT_TRUE(text.ok()) << text.status().message();
  base::Result<VmConfig> back = ParseConfigFile(*text);
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << *text;
  ASSERT_EQ(back->drives.size(), 2u);
  EXPECT_EQ(back->drives[0].overlay_path, "/rw");
  EXPECT_EQ(back->drives[0].cache_type, CacheType::kWriteback);
  EXPECT_TRUE(back->drives[1].is_read_only);
  ASSERT_EQ(back->network_interfaces.size(), 1u);
  EXPECT_EQ(back->network_interfaces[0].guest_mac, config.network_interfaces[0].guest_mac);
  ASSERT_TRUE(back->vsock.has_value());
  EXPECT_EQ(back->vsock->guest_cid, 42u);
}

TEST(ConfigFile, EntropySectionAddsTheRngDevice) {
  base::Result<VmConfig> config = ParseConfigFile(R"({"entropy": {}})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->entropy);
  config = ParseConfigFile(R"({"entropy": {"rate_limiter": null}})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->entropy);
  config = ParseConfigFile(R"({"entropy": null})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->entropy);
}

TEST(ConfigFile, EntropyRateLimiterIsParsedCheckedAndFormattedBack) {
  base::Result<VmConfig> config = ParseConfigFile(
      R"({"entropy": {"rate_limiter": {"bandwidth": {"size": 1000, "one_time_burst": 50, "refill_time": 100},
                                        "ops": {"size": 10, "refill_time": 1000}}}})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->entropy);
  EXPECT_EQ(config->entropy_rate_limiter.bandwidth.size, 1000u);
  EXPECT_EQ(config->entropy_rate_limiter.bandwidth.one_time_burst, 50u);
  EXPECT_EQ(config->entropy_rate_limiter.bandwidth.refill_time_ms, 100u);
  EXPECT_EQ(config->entropy_rate_limiter.ops.size, 10u);
  base::Result<std::string> text = FormatConfigFile(*config);
  ASSERT_TRUE(text.ok()) << text.status().message();
  base::Result<VmConfig> back = ParseConfigFile(*text);
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << *text;
  EXPECT_EQ(back->entropy_rate_limiter, config->entropy_rate_limiter);
  EXPECT_THAT(ErrorOf(R"({"entropy": {"rate_limiter": {"bandwidth": {"size": -1, "refill_time": 100}}}})"),
              HasSubstr("entropy.rate_limiter.bandwidth.size"));
  EXPECT_THAT(ErrorOf(R"({"entropy": {"rate": 1}})"), HasSubstr("unknown field \"rate\" in entropy"));
  EXPECT_THAT(ErrorOf(R"({"entropy": true})"), HasSubstr("entropy must be a JSON object"));
}

TEST(ConfigFile, CpuTemplateOtherThanNoneIsAnError) {
  EXPECT_THAT(ErrorOf(R"({"machine-config": {"cpu_template": "T2"}})"),
              HasSubstr("machine-config.cpu_template \"T2\": hull-vmm does not implement CPU "
                        "templates"));
  EXPECT_EQ(ErrorOf(R"({"machine-config": {"cpu_template": null}})"), "OK");
}

TEST(ConfigFile, LoggerLevelIsReturnedAndIgnoredSettingsAreNoted) {
  ConfigFileExtras extras;
  base::Result<VmConfig> config = ParseConfigFile(
      R"({"logger": {"level": "Trace", "log_path": "/tmp/fc.log", "show_level": true},
          "machine-config": {"track_dirty_pages": true}})",
      &extras);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(extras.log_level, base::LogLevel::kDebug);
  EXPECT_THAT(extras.notes,
              ElementsAre(HasSubstr("machine-config.track_dirty_pages is ignored"),
                          HasSubstr("logger.log_path is ignored")));
  EXPECT_THAT(ErrorOf(R"({"logger": {"level": "loud"}})"),
              HasSubstr("logger.level must be one of"));
}

TEST(ConfigFile, HullSectionSetsHullOnlyFields) {
  base::Result<VmConfig> config = ParseConfigFile(R"({
    "boot-source": {"kernel_image_path": "/k"},
    "hull": {
      "serial": {"output": "file", "path": "/tmp/console.log"},
      "memory_backing": "memfd",
      "cpuid_masks": [
        {"leaf": 1, "register": "ecx", "clear_bits": "0x80000000"},
        {"leaf": "0x7", "subleaf": 0, "register": "ebx", "clear_bits": 512}
      ],
      "timeout_s": 2.5
    }})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->serial_output, SerialOutput::kFile);
  EXPECT_EQ(config->serial_path, "/tmp/console.log");
  EXPECT_EQ(config->memory_backing, MemoryBacking::kMemfd);
  ASSERT_EQ(config->cpuid_masks.size(), 2u);
  EXPECT_EQ(config->cpuid_masks[0].leaf, 1u);
  EXPECT_FALSE(config->cpuid_masks[0].subleaf.has_value());
  EXPECT_EQ(config->cpuid_masks[0].reg, "ecx");
  EXPECT_EQ(config->cpuid_masks[0].clear_bits, 0x80000000u);
  EXPECT_EQ(config->cpuid_masks[1].leaf, 7u);
  EXPECT_EQ(config->cpuid_masks[1].subleaf, 0u);
  EXPECT_EQ(config->cpuid_masks[1].clear_bits, 512u);
  EXPECT_DOUBLE_EQ(config->timeout_seconds, 2.5);
  EXPECT_TRUE(ValidateVmConfig(*config).ok());
}

TEST(ConfigFile, CpuidMaskNeedsLeafRegisterAndBits) {
  EXPECT_EQ(ErrorOf(R"({"hull": {"cpuid_masks": [{"register": "ecx", "clear_bits": 1}]}})"),
            "hull.cpuid_masks[0].leaf is required");
  EXPECT_EQ(ErrorOf(R"({"hull": {"serial": {"output": "tty"}}})"),
            "hull.serial.output must be one of \"stdout\", \"file\", \"pty\", \"none\", got "
            "\"tty\"");
}

TEST(ConfigFile, FormattedConfigParsesBackToTheSameConfig) {
  VmConfig original;
  original.kernel_image_path = "/boot/vmlinux";
  original.initrd_path = "/boot/initrd";
  original.boot_args = "console=ttyS0 quiet";
  original.vcpu_count = 4;
  original.mem_size_mib = 2048;
  original.smt = true;
  original.huge_pages = HugePages::k2M;
  original.memory_backing = MemoryBacking::kMemfd;
  original.serial_output = SerialOutput::kFile;
  original.serial_path = "/tmp/serial";
  original.cpuid_masks.push_back({.leaf = 0x80000001, .subleaf = 3, .reg = "edx",
                                  .clear_bits = 0xffffffff});
  original.timeout_seconds = 30;
  original.entropy = true;
  original.metrics_path = "/run/vm/metrics.json";
  original.metrics_period_s = 0.5;
  base::Result<std::string> text = FormatConfigFile(original);
  ASSERT_TRUE(text.ok()) << text.status().message();
  base::Result<VmConfig> parsed = ParseConfigFile(*text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << *text;
  EXPECT_EQ(parsed->kernel_image_path, original.kernel_image_path);
  EXPECT_EQ(parsed->initrd_path, original.initrd_path);
  EXPECT_EQ(parsed->boot_args, original.boot_args);
  EXPECT_EQ(parsed->vcpu_count, original.vcpu_count);
  EXPECT_EQ(parsed->mem_size_mib, original.mem_size_mib);
  EXPECT_EQ(parsed->smt, original.smt);
  EXPECT_EQ(parsed->huge_pages, original.huge_pages);
  EXPECT_EQ(parsed->memory_backing, original.memory_backing);
  EXPECT_EQ(parsed->serial_output, original.serial_output);
  EXPECT_EQ(parsed->serial_path, original.serial_path);
  ASSERT_EQ(parsed->cpuid_masks.size(), 1u);
  EXPECT_EQ(parsed->cpuid_masks[0].leaf, 0x80000001u);
  EXPECT_EQ(parsed->cpuid_masks[0].subleaf, 3u);
  EXPECT_EQ(parsed->cpuid_masks[0].reg, "edx");
  EXPECT_EQ(parsed->cpuid_masks[0].clear_bits, 0xffffffffu);
  EXPECT_DOUBLE_EQ(parsed->timeout_seconds, 30);
  EXPECT_TRUE(parsed->entropy);
  EXPECT_EQ(parsed->metrics_path, "/run/vm/metrics.json");
  EXPECT_DOUBLE_EQ(parsed->metrics_period_s, 0.5);
}

TEST(ConfigFile, MetricsPathIsFirecrackersSectionAndThePeriodHulls) {
  base::Result<VmConfig> config = ParseConfigFile(
      R"({"metrics": {"metrics_path": "/tmp/m.fifo"}, "hull": {"metrics_period_s": 5}})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->metrics_path, "/tmp/m.fifo");
  EXPECT_DOUBLE_EQ(config->metrics_period_s, 5);
  base::Result<VmConfig> defaults = ParseConfigFile(R"({"metrics": null})");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->metrics_path, "");
  EXPECT_DOUBLE_EQ(defaults->metrics_period_s, 60);
  EXPECT_EQ(ErrorOf(R"({"metrics": {}})"), "metrics.metrics_path is required");
  EXPECT_THAT(ErrorOf(R"({"metrics": {"metrics_path": 3}})"), HasSubstr("metrics.metrics_path"));
  EXPECT_THAT(ErrorOf(R"({"metrics": {"metrics_path": "/m", "extra": 1}})"), HasSubstr("extra"));
}

TEST(ConfigFile, FormatRefusesStringsThatAreNotUtf8) {
  VmConfig config;
  config.kernel_image_path = "/boot/\xff";
  EXPECT_FALSE(FormatConfigFile(config).ok());
}

TEST(ConfigFile, LoadErrorNamesThePath) {
  base::Result<VmConfig> config = LoadConfigFile("/nonexistent/hull-vm.json");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("/nonexistent/hull-vm.json"));
}

}  // namespace
}  // namespace hull::vmm
