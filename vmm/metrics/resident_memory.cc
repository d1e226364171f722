#include "vmm/metrics/resident_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>

namespace hull::vmm {

base::Result<ResidentMemory> ResidentMemory::Open() {
  base::UniqueFd fd(open("/proc/self/statm", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return base::Status::Errno("opening /proc/self/statm");
  return ResidentMemory(std::move(fd));
}

base::Result<uint64_t> ResidentMemory::Bytes() const {
  char text[256];
  if (lseek(fd_.get(), 0, SEEK_SET) < 0) return base::Status::Errno("lseek /proc/self/statm");
  ssize_t n;
  do {
    n = read(fd_.get(), text, sizeof(text) - 1);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return base::Status::Errno("reading /proc/self/statm");
  text[n] = '\0';
  return ParseStatmResident(text, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
}

base::Result<uint64_t> ParseStatmResident(const char* text, uint64_t page_size) {
  uint64_t size = 0, resident = 0;
  if (std::sscanf(text, "%" SCNu64 " %" SCNu64, &size, &resident) != 2) {
    return base::Status::Error("/proc/self/statm: unexpected contents");
  }
  return resident * page_size;
}

}  // namespace hull::vmm
