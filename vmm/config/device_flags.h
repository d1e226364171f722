// hull-vmm's device flags: --drive, --net and --vsock, each a comma-separated list of
// key=value settings that maps onto a config-file device section (device_sections.h).
// Called by ParseVmmFlags (flags.cc). Internal to vmm/config.
#pragma once

#include <string>

#include "base/status.h"
#include "vmm/config/vm_config.h"

namespace hull::vmm {

// id=ID,path=PATH[,ro][,root][,partuuid=UUID][,cache=unsafe|writeback][,overlay=PATH]
//   [,bw=SIZE:REFILL_MS[:BURST]][,ops=SIZE:REFILL_MS[:BURST]] (rate limiter buckets)
[[nodiscard]] base::Result<DriveConfig> ParseDriveFlag(const std::string& text);
// id=ID,tap=NAME[,mac=MAC][,rx-bw=...][,rx-ops=...][,tx-bw=...][,tx-ops=...]
[[nodiscard]] base::Result<NetworkInterfaceConfig> ParseNetFlag(const std::string& text);
// cid=N,uds=PATH
[[nodiscard]] base::Result<VsockConfig> ParseVsockFlag(const std::string& text);

// Help text for the three flags.
inline constexpr char kDriveFlagHelp[] =
    "add a virtio-blk disk: id=ID,path=FILE[,ro][,root][,partuuid=UUID]"
    "[,cache=unsafe|writeback][,overlay=FILE][,bw=SIZE:MS[:BURST]][,ops=N:MS[:BURST]]; "
    "root makes it the guest's root device, "
    "overlay=FILE keeps FILE's writes out of the read-only base (copy-on-write); "
    "bw/ops rate-limit it: SIZE bytes / N requests per MS milliseconds (token buckets); "
    "repeatable, replaces a config-file drive with the same id";
inline constexpr char kNetFlagHelp[] =
    "add a virtio-net interface on a tap: id=ID,tap=NAME[,mac=MAC][,rx-bw=SIZE:MS[:BURST]]"
    "[,rx-ops=N:MS[:BURST]][,tx-bw=...][,tx-ops=...]; the tap is created when it does "
    "not exist; rx-/tx- settings rate-limit each direction; repeatable";
inline constexpr char kVsockFlagHelp[] =
    "add a virtio-vsock device: cid=N,uds=PATH; host processes connect to PATH and send "
    "\"CONNECT <port>\\n\", guest connections to port P reach PATH_P";

}  // namespace hull::vmm
