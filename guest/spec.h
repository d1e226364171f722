// The container's settings as hull-init receives them: a JSON file, /hull/spec.json in
// the initramfs (guest/PROTOCOL.md). The host writes it (runtime/vm), hull-init reads it;
// parsing checks every field, since the guest side must not trust a malformed file
// and the host side must not write one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hull::guest {

inline constexpr char kSpecPath[] = "/hull/spec.json";
// The file-system label of the writable layer's ext4, by which hull-init tells the two
// disks apart (the image disk is the other one).
inline constexpr char kWritableLabel[] = "hull-rw";
// The virtio-serial port name hull-init talks on when the VMM has no vsock.
inline constexpr char kSerialPortName[] = "hull.0";
inline constexpr uint32_t kDefaultVsockPort = 1024;

struct NetworkConfig {
  std::string interface = "eth0";
  std::string address;  // "10.0.2.15/24"
  std::string gateway;  // "" for none
  std::vector<std::string> dns;
};

// A host directory or disk the container sees at `target` (hull run -v).
struct Volume {
  std::string type;    // "9p": a virtio-9p share; "blk": an ext4 virtio-blk disk
  std::string source;  // 9p: the mount tag; blk: the disk's serial (virtio-blk GET_ID)
  std::string target;  // absolute path inside the container
  bool read_only = false;
};

// The prefix of a volume disk's serial and a 9p share's tag: hull-init never takes such
// a disk for the image.
inline constexpr char kVolumePrefix[] = "hullvol";

struct Rlimit {
  std::string name;  // "nofile", "nproc", "core", ... (setrlimit's RLIMIT_ without prefix)
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct GuestSpec {
  std::vector<std::string> args;  // argv; args[0] is looked up in PATH inside the guest
  std::vector<std::string> env;   // "KEY=value"
  std::string cwd = "/";
  std::string user;               // "" (root), "uid", "uid:gid", "name", "name:group"
  std::string hostname;
  bool tty = false;
  bool stdin_open = false;
  std::vector<Rlimit> rlimits;
  std::optional<NetworkConfig> network;
  std::vector<std::string> extra_hosts;  // "name:address" lines for /etc/hosts
  std::vector<Volume> volumes;
  std::string channel = "virtio-serial";  // or "vsock"
  uint32_t vsock_port = kDefaultVsockPort;
  int64_t wall_clock_ns = 0;              // the host's time when it wrote the spec
};

std::string SpecToJson(const GuestSpec& spec);
base::Result<GuestSpec> SpecFromJson(std::string_view json);

// One more process in the running container (EXEC_START, guest/PROTOCOL.md): the host
// has already merged the container's environment with the exec's. Runs with the
// container's rlimits and hostname.
struct ExecSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::string user;
  bool tty = false;
  bool stdin_open = false;
};

std::string ExecSpecToJson(const ExecSpec& spec);
base::Result<ExecSpec> ExecSpecFromJson(std::string_view json);

}  // namespace hull::guest
