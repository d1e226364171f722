// Resolves a container's user as Docker does: "name", "uid", "name:group", "uid:gid"
// through the image's /etc/passwd and /etc/group (numeric IDs need no entry), with the
// supplementary groups that list the user and HOME from passwd ("/" when unknown).
// Pure parsing: the caller reads both files from inside the container's root.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace hull::runtime::ns {

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, from /etc/group
  std::string home = "/";
};

// `passwd` / `group` are the files' contents ("" when the image has none).
base::Result<ResolvedUser> ResolveUser(const std::string& spec, const std::string& passwd,
                                       const std::string& group);

}  // namespace hull::runtime::ns
