// The driver's side of virtio, for device tests and fuzzers: FakeQueueDriver builds a
// split virtqueue in (fake) guest memory — descriptor table, available ring, used
// ring, direct and indirect chains — and reads back the used ring; FakeDriver drives a
// virtio-mmio transport's registers (spec 4.2.3: status, feature negotiation, queue
// set-up, kicks, interrupt acknowledgement) as the Linux driver does. Both also let a
// test write arbitrary values, to play a hostile driver.
//
// Test code: a write that fails because the test aimed outside its memory aborts.
#pragma once

#include "devices/virtio/virtio_uapi.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "devices/bus.h"
#include "devices/guest_memory.h"
#include "devices/virtio/queue.h"

namespace hull::devices::testing {

struct Buffer {
  GuestAddress addr = 0;
  uint32_t len = 0;
  bool writable = false;
};

class FakeQueueDriver {
 public:
  // A queue of `size` entries whose three parts are at the given addresses.
  FakeQueueDriver(const GuestMemory& memory, virtio::QueueLayout layout);
  const virtio::QueueLayout& layout() const { return layout_; }

  // Writes `buffers` as one chain into the next descriptors (wrapping around the table)
  // and makes it available. Returns the head index.
  uint16_t AddChain(std::span<const Buffer> buffers);
  // Writes `buffers` as an indirect table at `table` and makes available a one-
  // descriptor chain (VRING_DESC_F_INDIRECT) that points at it.
  uint16_t AddIndirectChain(std::span<const Buffer> buffers, GuestAddress table);

  // Raw access, for hostile drivers.
  void WriteDescriptor(uint16_t index, const vring_desc& desc);
  void MakeAvailable(uint16_t head);  // ring[idx % size] = head, then idx + 1
  void SetAvailIdx(uint16_t idx);
  void SetAvailFlags(uint16_t flags);
  void SetUsedEvent(uint16_t value);  // VIRTIO_RING_F_EVENT_IDX: interrupt when used passes it
  uint16_t avail_idx() const { return avail_idx_; }

  // The next element the device put on the used ring, if any.
  std::optional<vring_used_elem> PopUsed();
  uint16_t used_idx() const;
  uint16_t used_flags() const;
  uint16_t avail_event() const;  // what the device asks kicks for (EVENT_IDX)

 private:
  template <typename T>
  void Put(GuestAddress addr, const T& value) const;
  template <typename T>
  T Get(GuestAddress addr) const;

  GuestMemory memory_;
  virtio::QueueLayout layout_;
  uint16_t next_desc_ = 0;
  uint16_t avail_idx_ = 0;
  uint16_t last_used_ = 0;
};

class FakeDriver {
 public:
  // Drives `transport`, placing rings and buffers in [alloc_start, alloc_end) of `memory`.
  FakeDriver(BusDevice& transport, const GuestMemory& memory, GuestAddress alloc_start = 0x10000,
             GuestAddress alloc_end = 0x100000);

  uint32_t Read32(uint64_t offset) const;
  void Write32(uint64_t offset, uint32_t value) const;

  uint64_t DeviceFeatures() const;
  // ACKNOWLEDGE, DRIVER, DriverFeatures = `features`, FEATURES_OK; fails when the
  // device did not keep FEATURES_OK.
  base::Status Negotiate(uint64_t features);
  // Allocates and programs queue `index` with `size` entries and sets QueueReady.
  FakeQueueDriver& SetUpQueue(uint16_t index, uint16_t size);
  // Sets DRIVER_OK; fails when the device answers with DEVICE_NEEDS_RESET.
  base::Status DriverOk();
  // Negotiate, one queue per entry of `sizes`, DriverOk.
  base::Status BringUp(uint64_t features, std::vector<uint16_t> sizes);

  void Kick(uint16_t queue) const;
  uint32_t status() const;
  void SetStatus(uint32_t status) const;
  uint32_t interrupt_status() const;
  void AckInterrupt(uint32_t bits) const;
  void Reset();  // Status = 0; the queues are forgotten

  bool has_queue(uint16_t index) const { return queues_.count(index) != 0; }
  FakeQueueDriver& queue(uint16_t index) { return *queues_.at(index); }

  // Buffers: allocated from the driver's area, never freed.
  GuestAddress Alloc(uint64_t len, uint64_t align = 16);
  Buffer Readable(std::span<const uint8_t> bytes);
  Buffer Writable(uint32_t len);
  std::vector<uint8_t> ReadBytes(GuestAddress addr, uint64_t len) const;

 private:
  BusDevice& transport_;
  GuestMemory memory_;
  GuestAddress next_, end_;
  std::map<uint16_t, std::unique_ptr<FakeQueueDriver>> queues_;
};

}  // namespace hull::devices::testing
