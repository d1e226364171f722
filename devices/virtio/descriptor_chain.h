// DescriptorChain: one validated descriptor chain of a split virtqueue (virtio 1.2,
// 2.7.5 and 2.7.5.3 for indirect tables), and ChainReader / ChainWriter, the typed way
// a device reads the driver's readable buffers and fills its writable ones. Queue::Pop
// produces chains with ParseChain; devices consume them on their worker thread.
//
// A chain that ParseChain accepted has at most kMaxQueueSize direct descriptors plus
// one indirect table, no nested indirect table, every device-readable descriptor
// before every device-writable one, and every buffer wholly inside one guest RAM
// region — so readers and writers never leave guest memory.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "base/status.h"
#include "devices/guest_memory.h"

namespace hull::devices::virtio {

inline constexpr uint32_t kMaxQueueSize = 32768;  // spec 2.7: split queues
// The most descriptors one indirect table may hold (its len field would allow 2^28).
inline constexpr uint32_t kMaxIndirectDescriptors = 65536;

struct Descriptor {
  GuestAddress addr = 0;
  uint32_t len = 0;
  bool writable = false;  // VRING_DESC_F_WRITE: the device writes it
};

class DescriptorChain {
 public:
  DescriptorChain(uint16_t head, std::vector<Descriptor> descriptors);

  // The head's index in the descriptor table: what AddUsed gives back.
  uint16_t head() const { return head_; }
  // Device-readable descriptors, in chain order, then the device-writable ones.
  std::span<const Descriptor> readable() const;
  std::span<const Descriptor> writable() const;
  uint64_t readable_bytes() const { return readable_bytes_; }
  uint64_t writable_bytes() const { return writable_bytes_; }

 private:
  uint16_t head_;
  std::vector<Descriptor> descriptors_;
  size_t first_writable_ = 0;
  uint64_t readable_bytes_ = 0;
  uint64_t writable_bytes_ = 0;
};

// Walks the chain that starts at `head` in the descriptor table at `table` with
// `table_size` entries, validating it as described above. Any error is a driver error.
base::Result<DescriptorChain> ParseChain(const GuestMemory& memory, GuestAddress table,
                                         uint16_t table_size, uint16_t head,
                                         bool indirect_allowed);

// Sequential access to a list of buffers (the readable or writable part of a chain),
// as if they were one contiguous byte range.
class BufferCursor {
 public:
  BufferCursor(const GuestMemory& memory, std::span<const Descriptor> buffers);

  uint64_t remaining() const { return remaining_; }
  uint64_t consumed() const { return consumed_; }
  // Host spans for the next `len` bytes (fewer spans than buffers when `len` is
  // short), consuming them: for readv/writev-style I/O straight into guest memory.
  // Fails, consuming nothing, when fewer than `len` bytes remain.
  base::Result<std::vector<std::span<uint8_t>>> Take(uint64_t len);
  base::Status Skip(uint64_t len);

 protected:
  const GuestMemory& memory_;
  std::span<const Descriptor> buffers_;
  size_t index_ = 0;       // current buffer
  uint64_t offset_ = 0;    // into the current buffer
  uint64_t remaining_ = 0;
  uint64_t consumed_ = 0;
};

// Reads the device-readable part of a chain. `memory` and `chain` must outlive it.
class ChainReader : public BufferCursor {
 public:
  ChainReader(const GuestMemory& memory, const DescriptorChain& chain)
      : BufferCursor(memory, chain.readable()) {}
  base::Status Read(std::span<uint8_t> out);
  template <typename T>
  base::Result<T> ReadObject() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    RETURN_IF_ERROR(Read({reinterpret_cast<uint8_t*>(&value), sizeof(T)}));
    return value;
  }
};

// Fills the device-writable part of a chain; consumed() is what AddUsed reports.
class ChainWriter : public BufferCursor {
 public:
  ChainWriter(const GuestMemory& memory, const DescriptorChain& chain)
      : BufferCursor(memory, chain.writable()) {}
  base::Status Write(std::span<const uint8_t> data);
  template <typename T>
  base::Status WriteObject(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Write({reinterpret_cast<const uint8_t*>(&value), sizeof(T)});
  }
};

}  // namespace hull::devices::virtio
