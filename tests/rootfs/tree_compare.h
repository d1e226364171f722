// Describes a directory tree the way the integration tests compare hull's unpacking
// with umoci's: per path its type, mode, owner, link target, device and content hash.
#pragma once

#include <map>
#include <string>

namespace hull::rootfs::testing {

// path → "type mode uid:gid target-or-hash"; the root itself is left out.
std::map<std::string, std::string> DescribeTree(const std::string& root);

// The differences between two descriptions, one line each; empty when equal.
std::string DiffTrees(const std::map<std::string, std::string>& want,
                      const std::map<std::string, std::string>& got);

}  // namespace hull::rootfs::testing
