#include "vmm/config/flags.h"

#include <stdlib.h>
#include <unistd.h>

#include <initializer_list>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace hull::vmm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

base::Result<VmmCommandLine> Parse(std::initializer_list<std::string> args) {
  std::vector<std::string> storage = {"hull-vmm"};
  storage.insert(storage.end(), args);
  std::vector<const char*> argv;
  for (const std::string& arg : storage) argv.push_back(arg.c_str());
  return ParseVmmFlags(static_cast<int>(argv.size()), argv.data());
}

std::string ErrorOf(std::initializer_list<std::string> args) {
  base::Result<VmmCommandLine> result = Parse(args);
  return result.ok() ? "OK" : result.status().message();
}

// A config file in the test's temporary directory, removed when the test ends.
class TempConfigFile {
 public:
  explicit TempConfigFile(const std::string& contents) {
    path_ = ::testing::TempDir() + "hull-vmm-config-XXXXXX";
    base::UniqueFd fd(::mkstemp(path_.data()));
    EXPECT_TRUE(fd.valid());
    EXPECT_TRUE(base::WriteFully(fd.get(), contents.data(), contents.size()).ok());
  }
  ~TempConfigFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(VmmFlags, KernelAloneGivesTheDefaults) {
  base::Result<VmmCommandLine> result = Parse({"--kernel", "/boot/vmlinux"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_FALSE(result->help);
  EXPECT_FALSE(result->version);
  EXPECT_FALSE(result->log_level.has_value());
  EXPECT_EQ(result->config.kernel_image_path, "/boot/vmlinux");
  EXPECT_EQ(result->config.vcpu_count, VmConfig().vcpu_count);
  EXPECT_EQ(result->config.mem_size_mib, VmConfig().mem_size_mib);
  EXPECT_FALSE(result->config.entropy);
}

TEST(VmmFlags, EntropyAddsTheRngDeviceAndIsInTheHelp) {
  base::Result<VmmCommandLine> result = Parse({"--kernel", "/k", "--entropy"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->config.entropy);
  EXPECT_NE(result->help_text.find("--entropy"), std::string::npos);
}

TEST(VmmFlags, SeccompIsOnUnlessNoSeccompIsGiven) {
  base::Result<VmmCommandLine> on = Parse({"--kernel", "/k"});
  ASSERT_TRUE(on.ok()) << on.status().message();
  EXPECT_TRUE(on->seccomp);
  base::Result<VmmCommandLine> off = Parse({"--kernel", "/k", "--no-seccomp"});
  ASSERT_TRUE(off.ok()) << off.status().message();
  EXPECT_FALSE(off->seccomp);
  EXPECT_NE(off->help_text.find("--no-seccomp"), std::string::npos);
}

TEST(VmmFlags, EachFlagSetsItsField) {
  base::Result<VmmCommandLine> result =
      Parse({"--kernel", "/k", "--initrd=/i", "--cmdline", "console=ttyS0 quiet", "--vcpus",
             "4", "--memory", "1G", "--huge-pages", "2M", "--memory-backing", "memfd",
             "--serial", "file:/tmp/serial.log", "--cpuid-mask", "0x7.0:ebx:0x200",
             "--timeout", "1.5", "--log-level", "debug"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const VmConfig& config = result->config;
  EXPECT_EQ(config.kernel_image_path, "/k");
  EXPECT_EQ(config.initrd_path, "/i");
  EXPECT_EQ(config.boot_args, "console=ttyS0 quiet");
  EXPECT_EQ(config.vcpu_count, 4u);
  EXPECT_EQ(config.mem_size_mib, 1024u);
  EXPECT_EQ(config.huge_pages, HugePages::k2M);
  EXPECT_EQ(config.memory_backing, MemoryBacking::kMemfd);
  EXPECT_EQ(config.serial_output, SerialOutput::kFile);
  EXPECT_EQ(config.serial_path, "/tmp/serial.log");
  ASSERT_EQ(config.cpuid_masks.size(), 1u);
  EXPECT_EQ(config.cpuid_masks[0].leaf, 7u);
  EXPECT_EQ(config.cpuid_masks[0].subleaf, 0u);
  EXPECT_EQ(config.cpuid_masks[0].reg, "ebx");
  EXPECT_EQ(config.cpuid_masks[0].clear_bits, 0x200u);
  EXPECT_DOUBLE_EQ(config.timeout_seconds, 1.5);
  EXPECT_EQ(result->log_level, base::LogLevel::kDebug);
}

TEST(VmmFlags, BootArgsIsAnotherNameForCmdline) {
  base::Result<VmmCommandLine> result = Parse({"--kernel", "/k", "--boot-args", "quiet"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->config.boot_args, "quiet");
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--boot-args", "a", "--cmdline", "b"}),
              HasSubstr("give one of them"));
}

TEST(VmmFlags, MemoryTakesMibOrBinaryUnits) {
  for (auto [text, mib] : std::initializer_list<std::pair<const char*, uint64_t>>{
           {"64", 64}, {"512M", 512}, {"512MiB", 512}, {"2G", 2048}, {"2gib", 2048},
           {"1T", 1 << 20}}) {
    base::Result<VmmCommandLine> result = Parse({"--kernel", "/k", "--memory", text});
    ASSERT_TRUE(result.ok()) << text << ": " << result.status().message();
    EXPECT_EQ(result->config.mem_size_mib, mib) << text;
  }
  for (const char* text : {"512K", "M", "-1", "1.5G", "", "0x10", "18446744073709551615G"}) {
    EXPECT_THAT(ErrorOf({"--kernel", "/k", "--memory", text}), HasSubstr("--memory"))
        << text;
  }
}

TEST(VmmFlags, BadValuesSayWhatToGive) {
  EXPECT_EQ(ErrorOf({"--kernel", "/k", "--vcpus", "0"}),
            "--vcpus \"0\": give a whole number from 1 to 254");
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--vcpus", "many"}), HasSubstr("give a whole number"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--vcpus=-2"}), HasSubstr("give a whole number"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--vcpus", "1099511627776"}),
              HasSubstr("give a whole number"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--huge-pages", "1G"}), HasSubstr("give none or 2M"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--memory-backing", "shm"}),
              HasSubstr("give anonymous or memfd"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--serial", "file:"}),
              HasSubstr("give stdout, none, pty or file:PATH"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--timeout=-1"}), HasSubstr("--timeout \"-1\""));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--timeout", "inf"}), HasSubstr("--timeout"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--timeout", "10s"}), HasSubstr("--timeout"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--log-level", "loud"}),
              HasSubstr("give debug, info, warning or error"));
}

TEST(VmmFlags, CpuidMaskAcceptsItsFormsAndRepeats) {
  base::Result<VmmCommandLine> result =
      Parse({"--kernel", "/k", "--cpuid-mask", "1:ecx:0x80000000", "--cpuid-mask",
             "0x80000001.2:edx:4096"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const auto& masks = result->config.cpuid_masks;
  ASSERT_EQ(masks.size(), 2u);
  EXPECT_EQ(masks[0].leaf, 1u);
  EXPECT_FALSE(masks[0].subleaf.has_value());
  EXPECT_EQ(masks[0].clear_bits, 0x80000000u);
  EXPECT_EQ(masks[1].leaf, 0x80000001u);
  EXPECT_EQ(masks[1].subleaf, 2u);
  EXPECT_EQ(masks[1].reg, "edx");
  EXPECT_EQ(masks[1].clear_bits, 4096u);
  for (const char* bad : {"1:ecx", "1:ecx:1:2", "1:esp:1", "x:ecx:1", "1.y:ecx:1",
                          "1:ecx:0x100000000", ":ecx:1"}) {
    EXPECT_THAT(ErrorOf({"--kernel", "/k", "--cpuid-mask", bad}), HasSubstr("--cpuid-mask"))
        << bad;
  }
}

TEST(VmmFlags, HelpNeedsNothingElseAndCarriesUsageOptionsAndExample) {
  base::Result<VmmCommandLine> result = Parse({"--help"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->help);
  EXPECT_THAT(result->help_text, HasSubstr("Usage: hull-vmm"));
  EXPECT_THAT(result->help_text, HasSubstr("--cpuid-mask LEAF[.SUBLEAF]:REG:BITS"));
  EXPECT_THAT(result->help_text, HasSubstr("Example:"));
  ASSERT_TRUE(Parse({"-h"}).ok());
  EXPECT_TRUE(Parse({"-h"})->help);
}

TEST(VmmFlags, VersionNeedsNothingElse) {
  base::Result<VmmCommandLine> result = Parse({"--version"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->version);
}

TEST(VmmFlags, CommandLineMistakesAreOneLineErrorsPointingAtHelp) {
  EXPECT_EQ(ErrorOf({"--foo"}), "unknown option --foo; see hull-vmm --help");
  // A prefix is not guessed: --mem could mean --memory or --memory-backing.
  EXPECT_EQ(ErrorOf({"--kernel", "/k", "--mem", "512"}),
            "unknown option --mem; see hull-vmm --help");
  std::string missing = ErrorOf({"--kernel"});
  EXPECT_THAT(missing, HasSubstr("--kernel"));
  EXPECT_THAT(missing, HasSubstr("see hull-vmm --help"));
  EXPECT_THAT(missing, Not(HasSubstr("\n")));
  EXPECT_THAT(ErrorOf({"--kernel", "/a", "--kernel", "/b"}), HasSubstr("--kernel"));
  EXPECT_EQ(ErrorOf({"--kernel", "/k", "vmlinux"}),
            "unexpected argument \"vmlinux\": hull-vmm takes only options; see hull-vmm --help");
}

TEST(VmmFlags, ApiSockMakesTheKernelOptionalButStillChecksTheRest) {
  base::Result<VmmCommandLine> flags = Parse({"--api-sock", "/run/vm.sock"});
  ASSERT_TRUE(flags.ok()) << flags.status().message();
  EXPECT_EQ(flags->api_sock, "/run/vm.sock");
  EXPECT_EQ(flags->config.kernel_image_path, "");
  flags = Parse({"--api-sock", "/run/vm.sock", "--kernel", "/k", "--vcpus", "2"});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->config.vcpu_count, 2u);
  EXPECT_THAT(ErrorOf({"--api-sock", "/run/vm.sock", "--memory", "0"}), HasSubstr("mem_size_mib"));
  EXPECT_THAT(ErrorOf({"--api-sock="}), HasSubstr("--api-sock"));
  EXPECT_THAT(ErrorOf({"--memory", "64"}), HasSubstr("--kernel"));  // without it, still required
  EXPECT_THAT(Parse({"--help"})->help_text, HasSubstr("--api-sock PATH"));
}

TEST(VmmFlags, ValidationRunsOnTheMergedConfig) {
  EXPECT_EQ(ErrorOf({"--vcpus", "2"}),
            "no kernel: give --kernel PATH or boot-source.kernel_image_path");
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--memory", "513", "--huge-pages", "2M"}),
              HasSubstr("multiple of 2"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--memory", "0"}),
              HasSubstr("machine-config.mem_size_mib (--memory)"));
}

TEST(VmmFlags, FlagsOverrideTheConfigFile) {
  TempConfigFile file(R"({
    "boot-source": {"kernel_image_path": "/file/vmlinux", "boot_args": "from-file"},
    "machine-config": {"vcpu_count": 2, "mem_size_mib": 256},
    "logger": {"level": "Info", "log_path": "/tmp/fc.log"},
    "hull": {"serial": {"output": "file", "path": "/tmp/file-serial"},
             "cpuid_masks": [{"leaf": 1, "register": "ecx", "clear_bits": 1}]}})");
  base::Result<VmmCommandLine> result =
      Parse({"--config", file.path(), "--vcpus", "8", "--serial", "pty", "--cpuid-mask",
             "7:ebx:2", "--log-level", "error"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const VmConfig& config = result->config;
  EXPECT_EQ(config.kernel_image_path, "/file/vmlinux");  // from the file
  EXPECT_EQ(config.boot_args, "from-file");
  EXPECT_EQ(config.mem_size_mib, 256u);
  EXPECT_EQ(config.vcpu_count, 8u);  // from the flag
  EXPECT_EQ(config.serial_output, SerialOutput::kPty);
  EXPECT_EQ(config.serial_path, "");
  ASSERT_EQ(config.cpuid_masks.size(), 2u);  // the flag's mask is added to the file's
  EXPECT_EQ(config.cpuid_masks[0].leaf, 1u);
  EXPECT_EQ(config.cpuid_masks[1].leaf, 7u);
  EXPECT_EQ(result->log_level, base::LogLevel::kError);
  EXPECT_THAT(result->notes, testing::ElementsAre(HasSubstr("logger.log_path is ignored")));
}

TEST(VmmFlags, ConfigFileLogLevelAppliesWithoutTheFlag) {
  TempConfigFile file(R"({"logger": {"level": "Warning"}})");
  base::Result<VmmCommandLine> result = Parse({"--config", file.path(), "--kernel", "/k"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->log_level, base::LogLevel::kWarning);
  EXPECT_EQ(result->config.kernel_image_path, "/k");
}

TEST(VmmFlags, ConfigFileErrorsNameTheFile) {
  TempConfigFile file(R"({"machine-config": {"vcpus": 2}})");
  EXPECT_EQ(ErrorOf({"--config", file.path()}),
            file.path() + ": unknown field \"vcpus\" in machine-config (known fields: "
                          "vcpu_count, mem_size_mib, smt, track_dirty_pages, huge_pages, "
                          "cpu_template)");
  EXPECT_THAT(ErrorOf({"--config", "/nonexistent/vm.json"}), HasSubstr("/nonexistent/vm.json"));
}

TEST(Flags, DriveNetAndVsockFlagsAddDevices) {
  auto parsed = Parse({"--kernel", "/k", "--drive", "id=rootfs,path=/base.ext4,root,overlay=/rw",
                       "--drive", "id=data,path=/d,ro,cache=writeback", "--net",
                       "id=eth0,tap=tap0,mac=06:00:00:00:00:01", "--vsock", "cid=7,uds=/v.sock"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const VmConfig& config = parsed->config;
  ASSERT_EQ(config.drives.size(), 2u);
  EXPECT_TRUE(config.drives[0].is_root_device);
  EXPECT_EQ(config.drives[0].overlay_path, "/rw");
  EXPECT_TRUE(config.drives[1].is_read_only);
  EXPECT_EQ(config.drives[1].cache_type, CacheType::kWriteback);
  ASSERT_EQ(config.network_interfaces.size(), 1u);
  EXPECT_EQ(config.network_interfaces[0].host_dev_name, "tap0");
  ASSERT_TRUE(config.network_interfaces[0].guest_mac.has_value());
  ASSERT_TRUE(config.vsock.has_value());
  EXPECT_EQ(config.vsock->guest_cid, 7u);
  EXPECT_EQ(config.vsock->uds_path, "/v.sock");
}

TEST(Flags, DriveFlagReplacesTheConfigFileDriveWithTheSameId) {
  TempConfigFile file(R"({"boot-source": {"kernel_image_path": "/k"},
      "drives": [{"drive_id": "rootfs", "path_on_host": "/old", "is_root_device": true},
                 {"drive_id": "data", "path_on_host": "/data", "is_root_device": false}]})");
  auto parsed = Parse({"--config", file.path(), "--drive", "id=rootfs,path=/new,root"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->config.drives.size(), 2u);
  EXPECT_EQ(parsed->config.drives[0].path_on_host, "/new");
  EXPECT_EQ(parsed->config.drives[1].drive_id, "data");
}

TEST(Flags, RateLimitSettingsOfDrivesAndInterfaces) {
  auto parsed = Parse({"--kernel", "/k", "--drive", "id=d,path=/d,bw=1048576:100:65536,ops=500:1000",
                       "--net", "id=eth0,tap=t0,rx-bw=1000:10,tx-ops=50:100"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const RateLimiterConfig& drive = parsed->config.drives[0].rate_limiter;
  EXPECT_EQ(drive.bandwidth, (TokenBucketConfig{1048576, 65536, 100}));
  EXPECT_EQ(drive.ops, (TokenBucketConfig{500, 0, 1000}));
  const NetworkInterfaceConfig& iface = parsed->config.network_interfaces[0];
  EXPECT_EQ(iface.rx_rate_limiter.bandwidth, (TokenBucketConfig{1000, 0, 10}));
  EXPECT_FALSE(iface.rx_rate_limiter.ops.limited());
  EXPECT_EQ(iface.tx_rate_limiter.ops, (TokenBucketConfig{50, 0, 100}));
  EXPECT_FALSE(iface.tx_rate_limiter.bandwidth.limited());

  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,path=/x,bw=100"}),
              HasSubstr("--drive: bw must be SIZE:REFILL_MS"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,path=/x,ops=1:2:3:4"}),
              HasSubstr("--drive: ops must be SIZE:REFILL_MS"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--net", "id=e,tap=t,rx-bw=x:1"}),
              HasSubstr("--net: rx-bw must be SIZE:REFILL_MS"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,path=/x,bw=100:0"}),
              HasSubstr("rate_limiter.bandwidth.refill_time must be at least 1"));
}

TEST(Flags, BadDeviceFlagsSayWhatToGive) {
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "path=/x"}), HasSubstr("--drive needs id=..."));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,path=/x,rw"}),
              HasSubstr("unknown setting \"rw\"; give id=ID,path=FILE"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,path=/x,ro=yes"}),
              HasSubstr("ro takes no value"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,path="}),
              HasSubstr("path needs a value"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,id=b,path=/x"}),
              HasSubstr("\"id\" given twice"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,path=/x,cache=none"}),
              HasSubstr("cache must be unsafe or writeback"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--drive", "id=a,path=/x,,ro"}),
              HasSubstr("empty setting"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--net", "id=eth0,tap=t,mac=zz"}),
              HasSubstr("mac must look like"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--net", "id=eth0"}), HasSubstr("--net needs tap=..."));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--vsock", "cid=x,uds=/v"}),
              HasSubstr("cid must be a 32-bit number"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--vsock", "cid=2,uds=/v"}),
              HasSubstr("vsock.guest_cid must be 3 or more"));
}

TEST(VmmFlags, MetricsPathAndPeriod) {
  base::Result<VmmCommandLine> result =
      Parse({"--kernel", "/k", "--metrics-path", "/tmp/m.json", "--metrics-period", "0.25"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->config.metrics_path, "/tmp/m.json");
  EXPECT_DOUBLE_EQ(result->config.metrics_period_s, 0.25);
  EXPECT_DOUBLE_EQ(Parse({"--kernel", "/k"})->config.metrics_period_s, 60);
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--metrics-period", "0"}), HasSubstr("metrics-period"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--metrics-period", "soon"}), HasSubstr("metrics-period"));
  EXPECT_THAT(ErrorOf({"--kernel", "/k", "--metrics-path", ""}), HasSubstr("metrics-path"));
}

}  // namespace
}  // namespace hull::vmm
