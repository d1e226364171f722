// The image configuration (OCI image-spec config.md; Docker's image JSON): the layer
// diff IDs and the defaults a container of the image starts with. Parsing only.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "rootfs-builder/digest.h"

namespace hull::rootfs {

// What a container of this image gets unless the user says otherwise.
struct ContainerDefaults {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> volumes;        // "/data"
  std::string stop_signal;
  std::map<std::string, std::string> labels;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string variant;
  std::string created;
  std::vector<Digest> diff_ids;
  ContainerDefaults defaults;
};

base::Result<ImageConfig> ParseImageConfig(std::string_view json);

// A minimal config for an imported root filesystem of one layer.
std::string MakeImportConfig(const Digest& diff_id, std::string_view created);

}  // namespace hull::rootfs
