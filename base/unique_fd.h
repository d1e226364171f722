// UniqueFd: the single owner of a file descriptor. Closing happens here and nowhere
// else (STYLE.md: no raw close() outside base/).
#pragma once

#include <string>
#include <utility>

#include "base/status.h"

namespace hull::base {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added; the error names the path.
Result<UniqueFd> OpenFile(const std::string& path, int flags, int mode = 0);

// Reads or writes the whole buffer, retrying on EINTR and short transfers.
Status ReadFully(int fd, void* data, size_t size);
Status WriteFully(int fd, const void* data, size_t size);
Status PreadFully(int fd, void* data, size_t size, off_t offset);

// Reads an entire regular file (bounded by max_size) into a string.
Result<std::string> ReadFileToString(const std::string& path, size_t max_size = 64u << 20);

}  // namespace hull::base
