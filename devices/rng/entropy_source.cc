#include "devices/rng/entropy_source.h"

#include <sys/random.h>

#include <cerrno>

namespace hull::devices::rng {

base::Status GetrandomSource::Fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::Status::Errno("getrandom");
    }
    done += static_cast<size_t>(n);
  }
  return base::Status::Ok();
}

}  // namespace hull::devices::rng
