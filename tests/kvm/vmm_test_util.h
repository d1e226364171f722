// Shared by the tests that drive the hull-vmm binary: where it and the test guests are
// (overridable by environment, so the same test binary runs inside the nested-KVM
// harness), a runner, and a parser for the guests' key=value reports.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace hull::testing {

inline std::string VmmPath() { return EnvOr("HULL_VMM", HULL_VMM_DEFAULT); }
inline std::string GuestElf() { return EnvOr("HULL_TEST_GUEST_ELF", HULL_TEST_GUEST_ELF_DEFAULT); }
inline std::string GuestBzImage() {
  return EnvOr("HULL_TEST_GUEST_BZIMAGE", HULL_TEST_GUEST_BZIMAGE_DEFAULT);
}

// hull-vmm ARGS..., with a generous wall-clock limit (guests may run under emulation).
inline ProcessResult RunVmm(std::vector<std::string> args, double timeout_seconds = 120) {
  args.insert(args.begin(), VmmPath());
  return RunProcess(args, timeout_seconds);
}

// "key=value" lines → map; later keys win. Lines without '=' are ignored.
inline std::map<std::string, std::string> ParseReport(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    pos = end + 1;
  }
  return out;
}

}  // namespace hull::testing
