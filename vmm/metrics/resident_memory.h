// ResidentMemory: how much of hull-vmm is in RAM, for GET /metrics — the resident set
// of the whole process (guest RAM the guest touched included) from /proc/self/statm.
// The file is opened once by the main thread before any seccomp filter exists; the API
// thread later re-reads it with lseek + read, which every thread's filter allows
// (opening files is allowed to none of them).
#pragma once

#include <cstdint>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::vmm {

class ResidentMemory {
 public:
  static base::Result<ResidentMemory> Open();
  // Resident bytes now (statm's second field, in pages).
  [[nodiscard]] base::Result<uint64_t> Bytes() const;

 private:
  explicit ResidentMemory(base::UniqueFd fd) : fd_(std::move(fd)) {}
  base::UniqueFd fd_;
};

// Parses statm's text ("size resident shared ..." in pages) into resident bytes.
[[nodiscard]] base::Result<uint64_t> ParseStatmResident(const char* text, uint64_t page_size);

}  // namespace hull::vmm
