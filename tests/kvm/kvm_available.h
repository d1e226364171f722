// Whether this host can run the kvm-labelled tests, and the macro that skips a test
// with the reason where it cannot.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <string>

namespace hull::testing {

// Empty when /dev/kvm opens; otherwise why not.
inline std::string KvmUnavailableReason() {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return std::string("/dev/kvm cannot be opened (") + strerror(errno) +
           "): this host offers no KVM; ./dev.sh test runs this suite under KVM inside "
           "QEMU/TCG instead (tests/nested)";
  }
  close(fd);
  return "";
}

}  // namespace hull::testing

#define SKIP_WITHOUT_KVM()                                                  \
  do {                                                                      \
    std::string hull_kvm_reason = ::hull::testing::KvmUnavailableReason();  \
    if (!hull_kvm_reason.empty()) GTEST_SKIP() << hull_kvm_reason;          \
  } while (0)
