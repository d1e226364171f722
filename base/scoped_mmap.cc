#include "base/scoped_mmap.h"

#include <string>

namespace hull::base {

Result<ScopedMmap> ScopedMmap::Map(size_t size, int prot, int flags, int fd, off_t offset) {
  if (size == 0) return Status::Error("mmap: zero-sized mapping");
  void* addr = ::mmap(nullptr, size, prot, flags, fd, offset);
  if (addr == MAP_FAILED) {
    return Status::Errno("mmap of " + std::to_string(size) + " bytes");
  }
  ScopedMmap m;
  m.addr_ = addr;
  m.size_ = size;
  return m;
}

Result<ScopedMmap> ScopedMmap::Anonymous(size_t size, int extra_flags) {
  return Map(size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags);
}

void ScopedMmap::Reset() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
  addr_ = nullptr;
  size_ = 0;
}

}  // namespace hull::base
