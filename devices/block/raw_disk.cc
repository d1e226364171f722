#include "devices/block/raw_disk.h"

#include <fcntl.h>
#include <unistd.h>

#include "devices/block/file_io.h"

namespace hull::devices::block {

base::Result<std::unique_ptr<RawDisk>> RawDisk::Open(const std::string& path, bool read_only) {
  int fd = open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return base::Status::Errno("opening disk image " + path);
  base::UniqueFd owned(fd);
  off_t size = lseek(fd, 0, SEEK_END);  // works for block devices too, unlike st_size
  if (size < 0) return base::Status::Errno("sizing disk image " + path);
  bool punch = !read_only && ProbePunchHole(fd);
  return std::unique_ptr<RawDisk>(new RawDisk(std::move(owned), static_cast<uint64_t>(size), punch));
}

base::Status RawDisk::ReadV(uint64_t offset, std::span<const iovec> iov) {
  return PreadvFull(fd_.get(), offset, iov);
}

base::Status RawDisk::WriteV(uint64_t offset, std::span<const iovec> iov) {
  return PwritevFull(fd_.get(), offset, iov);
}

base::Status RawDisk::Flush() {
  if (fdatasync(fd_.get()) != 0) return base::Status::Errno("fdatasync");
  return base::Status::Ok();
}

base::Status RawDisk::WriteZeroes(uint64_t offset, uint64_t len) {
  return ZeroRange(fd_.get(), offset, len, punch_hole_);
}

}  // namespace hull::devices::block
