#include "devices/virtio/queue.h"

#include "base/hex.h"
#include "devices/virtio/virtio_uapi.h"

#include <atomic>
#include <cstddef>
#include <cstring>
#include <sstream>
#include <string>

#include "base/logging.h"

namespace hull::devices::virtio {
namespace {

using base::Hex;

constexpr uint64_t DescTableBytes(uint16_t size) { return uint64_t{size} * sizeof(vring_desc); }
// flags, idx, ring[size], used_event
constexpr uint64_t AvailRingBytes(uint16_t size) { return 4 + 2 * uint64_t{size} + 2; }
// flags, idx, ring[size], avail_event
constexpr uint64_t UsedRingBytes(uint16_t size) {
  return 4 + uint64_t{size} * sizeof(vring_used_elem) + 2;
}

// The ring indices are shared with a driver on another CPU: one aligned 16-bit access
// each, ordered by acquire/release (the spec's memory barriers, 2.7.13 and 2.7.7).
base::Result<uint16_t> LoadU16(const GuestMemory& memory, GuestAddress addr) {
  ASSIGN_OR_RETURN(std::span<uint8_t> s, memory.Slice(addr, 2));
  uint16_t value;
  if (reinterpret_cast<uintptr_t>(s.data()) % 2 == 0) {
    value = __atomic_load_n(reinterpret_cast<uint16_t*>(s.data()), __ATOMIC_ACQUIRE);
  } else {
    std::memcpy(&value, s.data(), 2);
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return value;
}

base::Status StoreU16(const GuestMemory& memory, GuestAddress addr, uint16_t value) {
  ASSIGN_OR_RETURN(std::span<uint8_t> s, memory.Slice(addr, 2));
  if (reinterpret_cast<uintptr_t>(s.data()) % 2 == 0) {
    __atomic_store_n(reinterpret_cast<uint16_t*>(s.data()), value, __ATOMIC_RELEASE);
  } else {
    std::atomic_thread_fence(std::memory_order_release);
    std::memcpy(s.data(), &value, 2);
  }
  return base::Status::Ok();
}

base::Status CheckArea(const GuestMemory& memory, const char* what, GuestAddress addr,
                       uint64_t len, uint64_t align) {
  if (addr % align != 0) {
    return base::Status::Error(std::string(what) + " at " + Hex(addr) + " is not " +
                               std::to_string(align) + "-byte aligned");
  }
  if (!memory.Contains(addr, len)) {
    return base::Status::Error(std::string(what) + " at " + Hex(addr) + " (" +
                               std::to_string(len) + " bytes) is outside guest memory");
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<Queue> Queue::Create(const GuestMemory& memory, const QueueLayout& layout,
                                  uint64_t features) {
  uint16_t size = layout.size;
  if (size == 0 || (size & (size - 1)) != 0 || size > kMaxQueueSize) {
    return base::Status::Error("queue size " + std::to_string(size) +
                               " is not a power of two between 1 and 32768");
  }
  RETURN_IF_ERROR(CheckArea(memory, "descriptor table", layout.desc_table, DescTableBytes(size),
                            VRING_DESC_ALIGN_SIZE));
  RETURN_IF_ERROR(CheckArea(memory, "available ring", layout.avail_ring, AvailRingBytes(size),
                            VRING_AVAIL_ALIGN_SIZE));
  RETURN_IF_ERROR(CheckArea(memory, "used ring", layout.used_ring, UsedRingBytes(size),
                            VRING_USED_ALIGN_SIZE));
  return Queue(memory, layout, features);
}

Queue::Queue(const GuestMemory& memory, const QueueLayout& layout, uint64_t features)
    : memory_(memory),
      layout_(layout),
      indirect_((features >> VIRTIO_RING_F_INDIRECT_DESC) & 1),
      event_idx_((features >> VIRTIO_RING_F_EVENT_IDX) & 1) {}

base::Status Queue::Fail(base::Status error) {
  broken_ = true;
  return error;
}

base::Result<uint16_t> Queue::ReadAvailIdx() const {
  return LoadU16(memory_, layout_.avail_ring + offsetof(vring_avail, idx));
}

base::Result<std::optional<DescriptorChain>> Queue::Pop() {
  if (broken_) return base::Status::Error("queue is broken by an earlier driver error");
  base::Result<uint16_t> avail_idx = ReadAvailIdx();
  if (!avail_idx.ok()) return Fail(avail_idx.status());
  uint16_t pending = static_cast<uint16_t>(*avail_idx - next_avail_);
  if (pending == 0) return std::optional<DescriptorChain>();
  if (pending > layout_.size) {
    return Fail(base::Status::Error("available index " + std::to_string(*avail_idx) +
                                    " is more than the queue size ahead of " +
                                    std::to_string(next_avail_)));
  }
  GuestAddress slot = layout_.avail_ring + offsetof(vring_avail, ring) +
                      2 * uint64_t{static_cast<uint16_t>(next_avail_ % layout_.size)};
  base::Result<uint16_t> head = memory_.ReadObject<uint16_t>(slot);
  if (!head.ok()) return Fail(head.status());
  base::Result<DescriptorChain> chain =
      ParseChain(memory_, layout_.desc_table, layout_.size, *head, indirect_);
  if (!chain.ok()) return Fail(chain.status());
  ++next_avail_;
  return std::optional<DescriptorChain>(std::move(chain).value());
}

void Queue::UndoPop() { --next_avail_; }

base::Status Queue::AddUsed(uint16_t head, uint32_t written) {
  if (broken_) return base::Status::Error("queue is broken by an earlier driver error");
  if (head >= layout_.size) {
    // The device's own mistake, not the driver's: it never popped such a head.
    LOG_ERROR << "virtio queue: AddUsed with head " << head << " >= size " << layout_.size;
    return base::Status::Error("AddUsed: head outside the queue");
  }
  vring_used_elem elem{head, written};
  GuestAddress slot = layout_.used_ring + offsetof(vring_used, ring) +
                      sizeof(vring_used_elem) * uint64_t{static_cast<uint16_t>(next_used_ % layout_.size)};
  RETURN_IF_ERROR(memory_.WriteObject(slot, elem));
  ++next_used_;
  // Release: the element is visible before the index that publishes it.
  return StoreU16(memory_, layout_.used_ring + offsetof(vring_used, idx), next_used_);
}

base::Result<bool> Queue::NeedsInterrupt() {
  // Order our used->idx store before reading the driver's suppression fields.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  std::optional<uint16_t> old = signalled_used_;
  if (old ? *old == next_used_ : next_used_ == 0) return false;  // nothing new to tell
  signalled_used_ = next_used_;
  if (!event_idx_) {
    ASSIGN_OR_RETURN(uint16_t flags, LoadU16(memory_, layout_.avail_ring + offsetof(vring_avail, flags)));
    return (flags & VRING_AVAIL_F_NO_INTERRUPT) == 0;
  }
  if (!old) return true;
  GuestAddress used_event_addr = layout_.avail_ring + offsetof(vring_avail, ring) + 2 * uint64_t{layout_.size};
  ASSIGN_OR_RETURN(uint16_t used_event, LoadU16(memory_, used_event_addr));
  return vring_need_event(used_event, next_used_, *old) != 0;
}

base::Status Queue::WriteAvailEvent(uint16_t value) const {
  GuestAddress addr = layout_.used_ring + offsetof(vring_used, ring) +
                      sizeof(vring_used_elem) * uint64_t{layout_.size};
  return StoreU16(memory_, addr, value);
}

base::Status Queue::SetUsedFlags(uint16_t flags) const {
  return StoreU16(memory_, layout_.used_ring + offsetof(vring_used, flags), flags);
}

base::Status Queue::DisableNotification() {
  // With EVENT_IDX the driver kicks only when it passes avail_event, which we simply
  // leave behind; without it, VRING_USED_F_NO_NOTIFY says the same.
  if (event_idx_) return base::Status::Ok();
  return SetUsedFlags(VRING_USED_F_NO_NOTIFY);
}

base::Result<bool> Queue::EnableNotification() {
  if (broken_) return base::Status::Error("queue is broken by an earlier driver error");
  if (event_idx_) {
    RETURN_IF_ERROR(WriteAvailEvent(next_avail_));
  } else {
    RETURN_IF_ERROR(SetUsedFlags(0));
  }
  // The driver may have added a chain before it saw the store above; look again.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  base::Result<uint16_t> avail_idx = ReadAvailIdx();
  if (!avail_idx.ok()) return Fail(avail_idx.status());
  return *avail_idx != next_avail_;
}

}  // namespace hull::devices::virtio
