// EventFd: an owned eventfd(2), used for cross-thread wake-ups and, later, for KVM
// irqfd/ioeventfd.
#pragma once

#include <cstdint>

#include "base/unique_fd.h"

namespace hull::base {

class EventFd {
 public:
  // flags: EFD_NONBLOCK and/or EFD_SEMAPHORE; EFD_CLOEXEC is always added.
  EventFd() = default;  // invalid until assigned from Create()
  static Result<EventFd> Create(int flags = 0);

  int fd() const { return fd_.get(); }
  Status Signal(uint64_t value = 1) const;
  // Returns the accumulated counter (0 when nonblocking and nothing was signalled).
  Result<uint64_t> Consume() const;

 private:
  explicit EventFd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace hull::base
