// Path resolution inside a root directory that can never leave it: every component is
// opened with O_NOFOLLOW relative to the root's fd, so `..`, absolute paths and
// symlinked parents are refused instead of followed. Used by layer application.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::rootfs {

// Splits a tar entry name into components: strips "./" and trailing "/", drops "."
// components; rejects absolute names and ".." components. Empty result: the root.
base::Result<std::vector<std::string>> SplitEntryPath(std::string_view name);

// Opens the directory that holds components[0..n-2] under root_fd, creating missing
// directories (mode 0755) when `create`. Fails, naming `entry`, if a component is a
// symlink or not a directory.
base::Result<base::UniqueFd> OpenParentDir(int root_fd, const std::vector<std::string>& comps,
                                           std::string_view entry, bool create);

// Removes `name` in dir_fd, recursively for directories; a missing name is not an error.
base::Status RemoveTreeAt(int dir_fd, const std::string& name);

// Removes a whole directory tree by path (no error if it does not exist).
base::Status RemoveTree(const std::string& path);

// Joins components with '/'.
std::string JoinPath(const std::vector<std::string>& comps);

}  // namespace hull::rootfs
