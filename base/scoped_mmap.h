// ScopedMmap: the owner of one mmap(2) region; unmapped on destruction.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "base/status.h"

namespace hull::base {

class ScopedMmap {
 public:
  ScopedMmap() = default;
  ScopedMmap(ScopedMmap&& other) noexcept
      : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  ScopedMmap& operator=(ScopedMmap&& other) noexcept {
    Reset();
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  ScopedMmap(const ScopedMmap&) = delete;
  ScopedMmap& operator=(const ScopedMmap&) = delete;
  ~ScopedMmap() { Reset(); }

  // mmap(nullptr, size, prot, flags, fd, offset).
  static Result<ScopedMmap> Map(size_t size, int prot, int flags, int fd = -1, off_t offset = 0);
  // Anonymous private read/write memory.
  static Result<ScopedMmap> Anonymous(size_t size, int extra_flags = 0);

  uint8_t* data() const { return static_cast<uint8_t*>(addr_); }
  size_t size() const { return size_; }
  bool valid() const { return addr_ != nullptr; }
  void Reset();

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace hull::base
