// Docker's volume fields of a create request → runtime::VolumeSpec for namespace
// containers: HostConfig.Binds ("HOST:CONTAINER[:ro|rw]", HOST absolute or a volume
// name) and HostConfig.Mounts of Type "bind" and "volume". A named volume lives in
// ROOT/volumes/NAME/_data, created on first use (as Docker's local driver does).
// Pure parsing plus one path rule; called by the engine on API threads.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "runtime/container_spec.h"

namespace hull::engine {

// Named volumes keep their name in VolumeSpec::host (not starting with '/'); errors
// (for a 400) name the bad entry.
base::Result<std::vector<runtime::VolumeSpec>> ParseVolumes(const nlohmann::json& host_config);

// Replaces each volume name by ROOT/volumes/NAME/_data.
void ResolveNamedVolumes(const std::string& root, std::vector<runtime::VolumeSpec>* volumes);

// Docker's inspect Mounts for volumes as ParseVolumes returns them: Type bind or volume
// (with Name), Source (resolved), Destination, Mode, RW, Propagation.
nlohmann::json MountsToDocker(const std::vector<runtime::VolumeSpec>& volumes, const std::string& root);

}  // namespace hull::engine
