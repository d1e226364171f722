// Queue: the device side of one split virtqueue (virtio 1.2, section 2.7) in guest
// memory: it pops validated descriptor chains from the available ring, returns them on
// the used ring, and implements notification suppression (VIRTIO_RING_F_EVENT_IDX,
// VRING_AVAIL_F_NO_INTERRUPT, VRING_USED_F_NO_NOTIFY). The transport creates queues at
// DRIVER_OK and hands them to the device, whose worker then owns them: a Queue is not
// thread-safe and is used by one thread at a time.
//
// Every error a Queue returns means the driver broke the spec (a "driver error"): the
// queue is then broken for good, and the device reports it with
// DeviceSignals::ReportDriverError, which sets DEVICE_NEEDS_RESET. Nothing the guest
// writes can make a Queue touch host memory outside guest RAM, loop, or abort.
#pragma once

#include "devices/virtio/virtio_uapi.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "devices/virtio/descriptor_chain.h"

namespace hull::devices::virtio {

// Where the driver put the three parts of a queue (QueueDesc/QueueDriver/QueueDevice).
struct QueueLayout {
  uint16_t size = 0;  // QueueNum: a power of two, at most 32768
  GuestAddress desc_table = 0;
  GuestAddress avail_ring = 0;
  GuestAddress used_ring = 0;
};

class Queue {
 public:
  // Checks `layout` (size a power of two, rings aligned and wholly inside guest RAM).
  // `features` are the negotiated ones; VIRTIO_RING_F_INDIRECT_DESC and
  // VIRTIO_RING_F_EVENT_IDX change how the queue behaves.
  static base::Result<Queue> Create(const GuestMemory& memory, const QueueLayout& layout,
                                    uint64_t features);

  uint16_t size() const { return layout_.size; }
  const QueueLayout& layout() const { return layout_; }
  bool broken() const { return broken_; }

  // The next available chain, std::nullopt when the ring is empty, or a driver error.
  base::Result<std::optional<DescriptorChain>> Pop();
  // Un-pops the last chain Pop returned (a device that cannot take it yet, e.g. a
  // receive queue without a packet to put in it).
  void UndoPop();

  // Returns the chain whose first descriptor is `head` to the driver, with `written`
  // bytes written into its device-writable buffers.
  base::Status AddUsed(uint16_t head, uint32_t written);

  // Whether the driver wants an interrupt for what AddUsed returned since the last call
  // that answered true (used_event with EVENT_IDX, else VRING_AVAIL_F_NO_INTERRUPT).
  base::Result<bool> NeedsInterrupt();

  // Asks the driver not to kick while the device is draining the ring anyway.
  base::Status DisableNotification();
  // Asks for kicks again; returns true when chains arrived meanwhile, so the caller
  // must pop again before it sleeps (otherwise a kick could be lost).
  base::Result<bool> EnableNotification();

 private:
  Queue(const GuestMemory& memory, const QueueLayout& layout, uint64_t features);
  base::Status Fail(base::Status error);
  base::Result<uint16_t> ReadAvailIdx() const;
  base::Result<DescriptorChain> ReadChain(uint16_t head) const;
  base::Status WriteAvailEvent(uint16_t value) const;
  base::Status SetUsedFlags(uint16_t flags) const;

  GuestMemory memory_;
  QueueLayout layout_;
  bool indirect_ = false;
  bool event_idx_ = false;
  bool broken_ = false;
  uint16_t next_avail_ = 0;  // the driver's avail entries we have not popped yet start here
  uint16_t next_used_ = 0;   // our used->idx
  std::optional<uint16_t> signalled_used_;  // next_used_ when we last asked for an interrupt
};

}  // namespace hull::devices::virtio
