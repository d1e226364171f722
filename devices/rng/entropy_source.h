// The rng device's backend: random bytes from the host kernel's getrandom(2) (the
// urandom pool, which never blocks once the kernel is seeded). Apart from the device
// so that tests can give the device a source that fails.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"

namespace hull::devices::rng {

class EntropySource {
 public:
  virtual ~EntropySource() = default;
  // Fills all of `out` or fails. Called on the device's worker thread.
  [[nodiscard]] virtual base::Status Fill(std::span<uint8_t> out) = 0;
};

// getrandom(2), retried on EINTR and short reads.
class GetrandomSource final : public EntropySource {
 public:
  base::Status Fill(std::span<uint8_t> out) override;
};

}  // namespace hull::devices::rng
