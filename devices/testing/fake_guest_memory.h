// FakeGuestMemory: guest RAM for device tests and fuzzers — one or more regions, each
// backed by its own zeroed, page-aligned buffer that this object owns — and the
// GuestMemory view over them that devices take. Addresses outside every region are
// not backed, so tests can aim the device at holes and region edges.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "devices/guest_memory.h"

namespace hull::devices::testing {

class FakeGuestMemory {
 public:
  struct Region {
    GuestAddress base;
    uint64_t size;
  };
  // Default: 1 MiB at 0, and 64 KiB at 4 GiB (a second region past a hole).
  FakeGuestMemory() : FakeGuestMemory({{0, 1u << 20}, {1ull << 32, 64u << 10}}) {}
  explicit FakeGuestMemory(std::vector<Region> regions) {
    std::vector<GuestRegion> views;
    for (const Region& r : regions) {
      size_t bytes = (r.size + 4095) / 4096 * 4096;
      auto* host = static_cast<uint8_t*>(std::aligned_alloc(4096, bytes));
      std::memset(host, 0, bytes);
      buffers_.emplace_back(host);
      views.push_back({r.base, r.size, host});
    }
    memory_ = GuestMemory(std::move(views));
  }

  const GuestMemory& memory() const { return memory_; }
  operator const GuestMemory&() const { return memory_; }  // NOLINT: a view by design

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<uint8_t, Free>> buffers_;
  GuestMemory memory_;
};

}  // namespace hull::devices::testing
