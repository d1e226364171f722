#include "base/unique_fd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hull::base {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) {
    // close() must not be retried on EINTR on Linux: the descriptor is gone either way.
    ::close(fd_);
  }
  fd_ = fd;
}

Result<UniqueFd> OpenFile(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::Errno("cannot open " + path);
  return UniqueFd(fd);
}

Status ReadFully(int fd, void* data, size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Errno("read");
    if (n == 0) return Status::Error("read: unexpected end of file");
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status PreadFully(int fd, void* data, size_t size, off_t offset) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Errno("pread");
    if (n == 0) return Status::Error("pread: unexpected end of file");
    p += n;
    offset += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status WriteFully(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Errno("write");
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> ReadFileToString(const std::string& path, size_t max_size) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::Errno("cannot stat " + path);
  if (!S_ISREG(st.st_mode)) return Status::Error(path + " is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    return Status::Error(path + " is too large (" + std::to_string(st.st_size) +
                         " bytes, limit " + std::to_string(max_size) + ")");
  }
  if (st.st_size == 0) {
    // procfs, sysfs and cgroupfs files say 0 bytes and have content: read to the end.
    std::string data;
    char chunk[4096];
    for (;;) {
      ssize_t n = ::read(fd.get(), chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Errno("reading " + path);
      if (n == 0) return data;
      if (data.size() + static_cast<size_t>(n) > max_size) {
        return Status::Error(path + " is larger than the limit of " + std::to_string(max_size) + " bytes");
      }
      data.append(chunk, static_cast<size_t>(n));
    }
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  if (Status s = ReadFully(fd.get(), data.data(), data.size()); !s.ok()) {
    return s.WithContext("reading " + path);
  }
  return data;
}

}  // namespace hull::base
