// ListenUnix: a listening Unix stream socket at a path, created with its final mode from
// the start (umask while binding) so nobody else can connect even for a moment; a stale
// socket file (nobody listening) is replaced, a live one or a non-socket is refused.
// Used by hulld's API (api/); hull-vmm's per-VM API has its own copy (vmm/api/server.cc)
// that can move onto this.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::base {

// mode: e.g. 0600 or 0660; gid: group owner to set, or -1 to leave it.
Result<UniqueFd> ListenUnix(const std::string& path, mode_t mode, gid_t gid, int backlog = 64);

}  // namespace hull::base
