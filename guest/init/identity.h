// Who the container's process runs as: Docker's --user forms ("name", "uid", "name:group",
// "uid:gid") resolved against the container's /etc/passwd and /etc/group, as runc's
// libcontainer/user does (no NSS: hull-init is static). Runs in hull-init after the root
// switch.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace hull::guest::init {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary
  std::string home = "/";
};

base::Result<Identity> ResolveUser(const std::string& user);

}  // namespace hull::guest::init
