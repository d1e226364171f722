// A network namespace of the test's own with one tap in it, for the micro-VM network
// tests: the namespace belongs to a thread (unshare(CLONE_NEWNET) is per thread), which
// makes a persistent tap, gives it the host side's address and then runs whatever the test
// hands it — RunVm, whose VMM inherits the namespace and attaches to the tap by name.
// The host's own network is never touched; the namespace and its tap vanish when the
// thread ends and nothing else holds them.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::e2e {

struct TapSetup {
  std::string tap = "hulle2e0";
  std::string host_address = "10.213.0.1";  // the tap's side; the guest's peer
  int prefix = 24;
  uint16_t listen_port = 0;                 // nonzero: a TCP listener on host_address
};

// Runs `body` on a new thread inside a new network namespace with the tap up and
// addressed, and (with listen_port) a listening socket passed to `body`; joins it.
base::Status RunInTapNamespace(const TapSetup& setup,
                               const std::function<void(base::UniqueFd listener)>& body);

// Accepts one connection, reads one line and answers `reply`; "" on success, else why.
std::string AnswerOneLine(int listener, const std::string& reply, std::string* line,
                          int timeout_ms);

}  // namespace hull::e2e
