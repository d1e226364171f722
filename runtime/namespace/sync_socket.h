// The channel between `hull run` and the container's first process while it starts: a
// SOCK_SEQPACKET socketpair carrying short text messages, optionally with one fd
// (SCM_RIGHTS). Parent → child: "go" once the child is in its cgroup. Child → parent:
// "pty" with the terminal's master fd; "error <exit status> <message>" when it cannot
// start. The child's end is close-on-exec, so end-of-file means exec succeeded.
#pragma once

#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::runtime::ns {

struct SyncMessage {
  std::string text;     // empty at end of file
  base::UniqueFd fd;    // when one was passed
};

base::Status SendSync(int sock, const std::string& text, int pass_fd = -1);
base::Result<SyncMessage> ReceiveSync(int sock);

}  // namespace hull::runtime::ns
