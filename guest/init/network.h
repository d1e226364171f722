// The guest's network as the container's settings describe it: loopback up, the
// interface's address and default route (SIOCSIFADDR/SIOCADDRT ioctls; hull-init has no
// netlink library), the host name, /etc/hosts and /etc/resolv.conf in the container's
// root (they land in the writable layer). Runs in hull-init after the root switch.
#pragma once

#include "base/status.h"
#include "guest/spec.h"

namespace hull::guest::init {

base::Status ConfigureNetwork(const GuestSpec& spec);

}  // namespace hull::guest::init
