#include "vmm/config/vm_config.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <string>

namespace hull::vmm {
namespace {

using base::Status;

// 1 TiB: far above anything a micro-VM needs, low enough that a typo ("mem_size_mib":
// 5120000000) fails here with the field named instead of deep inside mmap.
constexpr uint64_t kMaxMemSizeMib = uint64_t{1} << 20;

Status CheckPath(const std::string& path, const char* field) {
  // JSON strings may carry "\u0000"; open(2) would silently stop at it.
  if (path.find('\0') != std::string::npos) {
    return Status::Error(std::string(field) + " contains a NUL byte");
  }
  return Status::Ok();
}

Status ValidateMachine(const VmConfig& config) {
  if (config.vcpu_count < 1 || config.vcpu_count > kMaxVcpus) {
    return Status::Error("machine-config.vcpu_count (--vcpus) must be between 1 and " +
                         std::to_string(kMaxVcpus) + ", got " +
                         std::to_string(config.vcpu_count));
  }
  // Same rule as Firecracker: with SMT every core has two threads.
  if (config.smt && config.vcpu_count > 1 && config.vcpu_count % 2 != 0) {
    return Status::Error("machine-config.vcpu_count must be 1 or even when smt is enabled, got " +
                         std::to_string(config.vcpu_count));
  }
  if (config.mem_size_mib < 1 || config.mem_size_mib > kMaxMemSizeMib) {
    return Status::Error("machine-config.mem_size_mib (--memory) must be between 1 and " +
                         std::to_string(kMaxMemSizeMib) + " MiB, got " +
                         std::to_string(config.mem_size_mib));
  }
  if (config.huge_pages == HugePages::k2M && config.mem_size_mib % 2 != 0) {
    return Status::Error(
        "machine-config.mem_size_mib must be a multiple of 2 with huge_pages \"2M\", got " +
        std::to_string(config.mem_size_mib));
  }
  return Status::Ok();
}

Status ValidateHull(const VmConfig& config) {
  if (config.serial_output == SerialOutput::kFile && config.serial_path.empty()) {
    return Status::Error(
        "hull.serial.path is required when hull.serial.output is \"file\" (--serial file:PATH)");
  }
  if (config.serial_output != SerialOutput::kFile && !config.serial_path.empty()) {
    return Status::Error("hull.serial.path is only valid when hull.serial.output is \"file\"");
  }
  RETURN_IF_ERROR(CheckPath(config.serial_path, "hull.serial.path"));
  for (size_t i = 0; i < config.cpuid_masks.size(); ++i) {
    const std::string& reg = config.cpuid_masks[i].reg;
    if (reg != "eax" && reg != "ebx" && reg != "ecx" && reg != "edx") {
      return Status::Error("hull.cpuid_masks[" + std::to_string(i) +
                           "].register must be eax, ebx, ecx or edx, got \"" + reg + "\"");
    }
  }
  // !(x >= 0) also catches NaN.
  if (!(config.metrics_period_s > 0) || std::isinf(config.metrics_period_s)) {
    return Status::Error("hull.metrics_period_s (--metrics-period) must be a finite number "
                         "> 0, got " + std::to_string(config.metrics_period_s));
  }
  if (!(config.timeout_seconds >= 0) || std::isinf(config.timeout_seconds)) {
    return Status::Error("hull.timeout_s (--timeout) must be a finite number >= 0, got " +
                         std::to_string(config.timeout_seconds));
  }
  return Status::Ok();
}

// sun_path holds 108 bytes with the NUL; a guest-initiated connection to port P needs
// "<uds_path>_<P>" with up to 10 digits.
constexpr size_t kMaxUdsPath = 108 - 1 - 11;
constexpr size_t kMaxTapName = 15;  // IFNAMSIZ - 1

Status CheckTokenBucket(const TokenBucketConfig& bucket, const std::string& field) {
  if (bucket.size != 0 && bucket.refill_time_ms == 0) {
    return Status::Error(field + ".refill_time must be at least 1 (milliseconds to refill "
                         "the bucket) when size is " + std::to_string(bucket.size) +
                         "; size 0 means no limit");
  }
  if (bucket.size == 0 && bucket.one_time_burst != 0) {
    return Status::Error(field + ".one_time_burst is " + std::to_string(bucket.one_time_burst) +
                         " but size is 0 (no limit); give a size or drop one_time_burst");
  }
  return Status::Ok();
}

}  // namespace

Status CheckRateLimiter(const RateLimiterConfig& limiter, const std::string& field) {
  RETURN_IF_ERROR(CheckTokenBucket(limiter.bandwidth, field + ".bandwidth"));
  return CheckTokenBucket(limiter.ops, field + ".ops");
}

namespace {

Status ValidateDrives(const VmConfig& config) {
  std::set<std::string> ids;
  const DriveConfig* root = nullptr;
  for (size_t i = 0; i < config.drives.size(); ++i) {
    const DriveConfig& drive = config.drives[i];
    const std::string field = "drives[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(CheckDeviceId(drive.drive_id, (field + ".drive_id").c_str()));
    if (!ids.insert(drive.drive_id).second) {
      return Status::Error("two drives have the drive_id \"" + drive.drive_id + "\"");
    }
    if (drive.path_on_host.empty()) return Status::Error(field + ".path_on_host is required");
    RETURN_IF_ERROR(CheckRateLimiter(drive.rate_limiter, field + ".rate_limiter"));
    RETURN_IF_ERROR(CheckPath(drive.path_on_host, (field + ".path_on_host").c_str()));
    RETURN_IF_ERROR(CheckPath(drive.overlay_path, (field + ".overlay_path").c_str()));
    if (drive.is_root_device) {
      if (root != nullptr) {
        return Status::Error("drives \"" + root->drive_id + "\" and \"" + drive.drive_id +
                             "\" are both is_root_device; a VM has one root device");
      }
      root = &drive;
    }
    if (!drive.partuuid.empty() && !drive.is_root_device) {
      return Status::Error(field + ".partuuid is only used with is_root_device true");
    }
    if (!drive.overlay_path.empty()) {
      if (drive.is_read_only) {
        return Status::Error(field + ": overlay_path makes the drive writable (its writes go "
                             "to the overlay); drop is_read_only or overlay_path");
      }
      if (drive.overlay_path == drive.path_on_host) {
        return Status::Error(field + ".overlay_path must differ from path_on_host, the "
                             "read-only base");
      }
    }
  }
  return Status::Ok();
}

Status ValidateNetworkInterfaces(const VmConfig& config) {
  std::set<std::string> ids, taps;
  for (size_t i = 0; i < config.network_interfaces.size(); ++i) {
    const NetworkInterfaceConfig& iface = config.network_interfaces[i];
    const std::string field = "network-interfaces[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(CheckDeviceId(iface.iface_id, (field + ".iface_id").c_str()));
    if (!ids.insert(iface.iface_id).second) {
      return Status::Error("two network interfaces have the iface_id \"" + iface.iface_id +
                           "\"");
    }
    RETURN_IF_ERROR(CheckRateLimiter(iface.rx_rate_limiter, field + ".rx_rate_limiter"));
    RETURN_IF_ERROR(CheckRateLimiter(iface.tx_rate_limiter, field + ".tx_rate_limiter"));
    const std::string& tap = iface.host_dev_name;
    if (tap.empty() || tap.size() > kMaxTapName || tap.find('/') != std::string::npos ||
        tap.find('\0') != std::string::npos || tap == "." || tap == "..") {
      return Status::Error(field + ".host_dev_name must be a network interface name of 1 to " +
                           std::to_string(kMaxTapName) + " characters without '/', got \"" +
                           tap + "\"");
    }
    if (!taps.insert(tap).second) {
      return Status::Error("two network interfaces use the tap \"" + tap + "\"");
    }
    if (iface.guest_mac && ((*iface.guest_mac)[0] & 1) != 0) {
      return Status::Error(field + ".guest_mac " + FormatMacAddress(*iface.guest_mac) +
                           " is a multicast address; give a unicast one");
    }
  }
  return Status::Ok();
}

Status ValidateVsock(const VmConfig& config) {
  if (!config.vsock) return Status::Ok();
  const VsockConfig& vsock = *config.vsock;
  // 0, 1 and 2 are the hypervisor, local and host CIDs; -1 is VMADDR_CID_ANY.
  if (vsock.guest_cid < 3 || vsock.guest_cid == UINT32_MAX) {
    return Status::Error("vsock.guest_cid must be 3 or more (0-2 are reserved), got " +
                         std::to_string(vsock.guest_cid));
  }
  if (vsock.uds_path.empty()) return Status::Error("vsock.uds_path is required");
  RETURN_IF_ERROR(CheckPath(vsock.uds_path, "vsock.uds_path"));
  if (vsock.uds_path.size() > kMaxUdsPath) {
    return Status::Error("vsock.uds_path is too long for a Unix socket (at most " +
                         std::to_string(kMaxUdsPath) + " bytes, leaving room for _<port>)");
  }
  return Status::Ok();
}

}  // namespace

Status CheckDeviceId(const std::string& id, const char* field) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_';
  }
  if (ok) return Status::Ok();
  return Status::Error(std::string(field) + " \"" + id + "\" is not a valid ID: give 1 to 64 "
                       "letters, digits or underscores");
}

std::optional<std::array<uint8_t, 6>> ParseMacAddress(const std::string& text) {
  if (text.size() != 17) return std::nullopt;
  std::array<uint8_t, 6> mac{};
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
    unsigned value = 0;
    for (size_t j = 0; j < 2; ++j) {
      char c = text[i * 3 + j];
      unsigned digit;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      else return std::nullopt;
      value = value * 16 + digit;
    }
    mac[i] = static_cast<uint8_t>(value);
  }
  return mac;
}

std::string FormatMacAddress(const std::array<uint8_t, 6>& mac) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                mac[3], mac[4], mac[5]);
  return text;
}

Status ValidateVmConfig(const VmConfig& config) {
  if (config.kernel_image_path.empty()) {
    return Status::Error("no kernel: give --kernel PATH or boot-source.kernel_image_path");
  }
  RETURN_IF_ERROR(CheckPath(config.kernel_image_path, "boot-source.kernel_image_path"));
  RETURN_IF_ERROR(CheckPath(config.initrd_path, "boot-source.initrd_path"));
  if (config.boot_args.find('\0') != std::string::npos) {
    return Status::Error("boot-source.boot_args contains a NUL byte");
  }
  RETURN_IF_ERROR(ValidateMachine(config));
  RETURN_IF_ERROR(ValidateDrives(config));
  RETURN_IF_ERROR(ValidateNetworkInterfaces(config));
  RETURN_IF_ERROR(ValidateVsock(config));
  return ValidateHull(config);
}

}  // namespace hull::vmm
