// VmConfig: everything hull-vmm needs to build and boot one VM, whether it came from
// command-line flags or from a JSON config file (Firecracker's config-file format for
// the parts the two share). Parsing lives in config_file.h and flags.h; this struct is
// plain data, validated by ValidateVmConfig.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "devices/rate_limiter/rate_limiter_config.h"

namespace hull::vmm {

enum class MemoryBacking { kAnonymous, kMemfd };
enum class HugePages { kNone, k2M };
enum class SerialOutput { kStdout, kFile, kPty, kNone };

// Firecracker's rate_limiter object: a bandwidth (bytes) and an ops token bucket, each
// {size, one_time_burst, refill_time (ms)}; a bucket of size 0 is no limit.
using RateLimiterConfig = devices::rate_limiter::RateLimiterConfig;
using TokenBucketConfig = devices::rate_limiter::TokenBucketConfig;

struct CpuidMask {
  uint32_t leaf = 0;
  std::optional<uint32_t> subleaf;  // none: every subleaf of the leaf
  // Register to clear bits in: "eax", "ebx", "ecx" or "edx".
  std::string reg;
  uint32_t clear_bits = 0;
};

// drives[]: a virtio-blk device (Firecracker's drive fields plus overlay_path).
enum class CacheType {
  kUnsafe,     // no VIRTIO_BLK_F_FLUSH: the guest's flushes are not asked for
  kWriteback,  // VIRTIO_BLK_F_FLUSH offered; a flush reaches the disk (fdatasync)
};
struct DriveConfig {
  std::string drive_id;
  std::string path_on_host;  // a raw disk image; with overlay_path, the read-only base
  bool is_root_device = false;  // the guest's root: root=/dev/vdX (or PARTUUID) on the cmdline
  bool is_read_only = false;
  std::string partuuid;  // with is_root_device: root=PARTUUID=<partuuid> instead of /dev/vdX
  CacheType cache_type = CacheType::kUnsafe;
  // hull extension: copy-on-write. path_on_host is opened read-only and shared; this VM's
  // writes land in this sparse overlay file (created when missing). Empty: no overlay.
  std::string overlay_path;
  RateLimiterConfig rate_limiter;  // default: no limit
};

// network-interfaces[]: a virtio-net device on a host tap.
struct NetworkInterfaceConfig {
  std::string iface_id;
  std::string host_dev_name;  // the tap's name; opened, or created when it does not exist
  std::optional<std::array<uint8_t, 6>> guest_mac;  // none: hull-vmm picks one
  RateLimiterConfig rx_rate_limiter;  // frames to the guest; default: no limit
  RateLimiterConfig tx_rate_limiter;  // frames from the guest
};

// vsock: a virtio-vsock device whose host side is a Unix socket (Firecracker's scheme).
struct VsockConfig {
  uint32_t guest_cid = 3;  // 3 or more (0-2 are reserved)
  std::string uds_path;    // host processes connect here; guest connections to port P
                           // reach a listener at <uds_path>_<P>
};

struct VmConfig {
  // boot-source
  std::string kernel_image_path;
  std::string initrd_path;  // empty: none
  std::string boot_args;    // kernel command line; empty: default_boot_args()

  // machine-config
  uint32_t vcpu_count = 1;
  uint64_t mem_size_mib = 128;
  bool smt = false;
  HugePages huge_pages = HugePages::kNone;
  MemoryBacking memory_backing = MemoryBacking::kAnonymous;

  // entropy: a virtio-rng device fed from getrandom(2) (--entropy)
  bool entropy = false;
  RateLimiterConfig entropy_rate_limiter;  // entropy.rate_limiter; default: no limit

  // Devices, in the order the guest sees them (virtio_mmio.device= order): drives,
  // network interfaces, vsock, then entropy.
  std::vector<DriveConfig> drives;
  std::vector<NetworkInterfaceConfig> network_interfaces;
  std::optional<VsockConfig> vsock;

  // hull extensions ("hull" section in the config file)
  SerialOutput serial_output = SerialOutput::kStdout;
  std::string serial_path;            // file path for kFile
  std::vector<CpuidMask> cpuid_masks;
  double timeout_seconds = 0;         // 0: no timeout

  // Firecracker's "metrics": {"metrics_path"} (--metrics-path): GET /metrics's object as
  // one JSON line appended to this file or FIFO every metrics_period_s and at the end
  // (vmm/metrics/metrics_file.h). hull.metrics_period_s (--metrics-period) is hull's.
  std::string metrics_path;           // empty: no metrics file
  double metrics_period_s = 60;       // Firecracker's period

  static std::string default_boot_args() {
    return "console=ttyS0 reboot=k panic=1 nomodule i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";
  }
};

inline constexpr uint32_t kMaxVcpus = 254;

// Firecracker's rule for drive_id and iface_id (and the {id} of their API paths):
// alphanumeric characters and underscores, 1 to 64 of them.
[[nodiscard]] base::Status CheckDeviceId(const std::string& id, const char* field);

// A size without a refill_time, or a one_time_burst without a size, is an error naming
// `field` ("drives[0].rate_limiter.bandwidth.refill_time must be ...").
[[nodiscard]] base::Status CheckRateLimiter(const RateLimiterConfig& limiter,
                                            const std::string& field);

// "06:00:ac:10:00:02" (either case) → bytes; nullopt when malformed.
std::optional<std::array<uint8_t, 6>> ParseMacAddress(const std::string& text);
std::string FormatMacAddress(const std::array<uint8_t, 6>& mac);

// Checks ranges and required fields; the error names the field ("machine-config.vcpu_count
// must be between 1 and 254, got 0").
[[nodiscard]] base::Status ValidateVmConfig(const VmConfig& config);

}  // namespace hull::vmm
