// The images the integration tests push, load and compare: busybox-static based, several
// layers (gzip and zstd) with whiteouts, an opaque directory, hard links, symlinks, a
// device node, odd owners and modes, and a config with every container default.
#pragma once

#include <string>
#include <vector>

#include "tests/rootfs/oci_layout_builder.h"
#include "tests/support/process.h"

namespace hull::rootfs::testing {

ImageSpec TestImage(const std::string& architecture = "amd64");

// Runs the hull CLI against the store in `root`.
hull::testing::ProcessResult Hull(const std::string& root, std::vector<std::string> args,
                                  double timeout = 120);

// Names under root/tmp (leftovers of an operation that should have cleaned up).
std::vector<std::string> Leftovers(const std::string& store_root);

}  // namespace hull::rootfs::testing
