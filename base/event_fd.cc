#include "base/event_fd.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace hull::base {

Result<EventFd> EventFd::Create(int flags) {
  int fd = ::eventfd(0, flags | EFD_CLOEXEC);
  if (fd < 0) return Status::Errno("eventfd");
  return EventFd(UniqueFd(fd));
}

Status EventFd::Signal(uint64_t value) const {
  for (;;) {
    ssize_t n = ::write(fd_.get(), &value, sizeof(value));
    if (n == sizeof(value)) return Status::Ok();
    if (n < 0 && errno == EINTR) continue;
    return Status::Errno("eventfd write");
  }
}

Result<uint64_t> EventFd::Consume() const {
  for (;;) {
    uint64_t value = 0;
    ssize_t n = ::read(fd_.get(), &value, sizeof(value));
    if (n == sizeof(value)) return value;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return uint64_t{0};
    return Status::Errno("eventfd read");
  }
}

}  // namespace hull::base
