// The initramfs each micro-VM boots with: hull-init as /init and the container's settings
// as /hull/spec.json, packed as an uncompressed cpio "newc" archive (the format the
// kernel unpacks; libarchive writes it). Called by the VM runtime per VM.
#pragma once

#include <string>

#include "base/status.h"

namespace hull::runtime::vm {

base::Status WriteInitramfs(const std::string& path, const std::string& init_binary,
                            const std::string& spec_json);

}  // namespace hull::runtime::vm
