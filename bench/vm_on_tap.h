// `hull bench --vm-on-tap VMM STORE IMAGE TAP ADDRESS GATEWAY COMMAND...`: an internal
// mode of hull bench for its network measure. `hull run` in direct mode gives a micro-VM
// no network (a tap needs hulld), so the suite runs this instead, inside its own network
// namespace where it made TAP: the same VM runtime `hull run --runtime vm` uses, with the
// guest's eth0 on TAP at ADDRESS. Runs on the main thread; returns the exit status.
#pragma once

#include <string>
#include <vector>

namespace hull::bench {

inline constexpr char kVmOnTapFlag[] = "--vm-on-tap";

// `args` are what follows kVmOnTapFlag.
int RunVmOnTap(const std::vector<std::string>& args);

}  // namespace hull::bench
