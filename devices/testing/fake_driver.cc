#include "devices/testing/fake_driver.h"

#include "devices/virtio/virtio_uapi.h"

#include <cstddef>
#include <cstring>

#include "base/logging.h"

namespace hull::devices::testing {

FakeQueueDriver::FakeQueueDriver(const GuestMemory& memory, virtio::QueueLayout layout)
    : memory_(memory), layout_(layout) {}

template <typename T>
void FakeQueueDriver::Put(GuestAddress addr, const T& value) const {
  HULL_CHECK(memory_.WriteObject(addr, value).ok());
}

template <typename T>
T FakeQueueDriver::Get(GuestAddress addr) const {
  base::Result<T> value = memory_.ReadObject<T>(addr);
  HULL_CHECK(value.ok());
  return *value;
}

void FakeQueueDriver::WriteDescriptor(uint16_t index, const vring_desc& desc) {
  Put(layout_.desc_table + uint64_t{index} * sizeof(vring_desc), desc);
}

void FakeQueueDriver::MakeAvailable(uint16_t head) {
  Put<uint16_t>(layout_.avail_ring + offsetof(vring_avail, ring) + 2 * (avail_idx_ % layout_.size), head);
  SetAvailIdx(static_cast<uint16_t>(avail_idx_ + 1));
}

void FakeQueueDriver::SetAvailIdx(uint16_t idx) {
  avail_idx_ = idx;
  Put<uint16_t>(layout_.avail_ring + offsetof(vring_avail, idx), idx);
}

void FakeQueueDriver::SetAvailFlags(uint16_t flags) {
  Put<uint16_t>(layout_.avail_ring + offsetof(vring_avail, flags), flags);
}

void FakeQueueDriver::SetUsedEvent(uint16_t value) {
  Put<uint16_t>(layout_.avail_ring + offsetof(vring_avail, ring) + 2 * uint64_t{layout_.size}, value);
}

uint16_t FakeQueueDriver::AddChain(std::span<const Buffer> buffers) {
  HULL_CHECK(!buffers.empty() && buffers.size() <= layout_.size);
  uint16_t head = next_desc_;
  for (size_t i = 0; i < buffers.size(); ++i) {
    uint16_t index = next_desc_;
    next_desc_ = static_cast<uint16_t>((next_desc_ + 1) % layout_.size);
    bool last = i + 1 == buffers.size();
    vring_desc d{};
    d.addr = buffers[i].addr;
    d.len = buffers[i].len;
    d.flags = static_cast<uint16_t>((buffers[i].writable ? VRING_DESC_F_WRITE : 0) |
                                    (last ? 0 : VRING_DESC_F_NEXT));
    d.next = last ? 0 : next_desc_;
    WriteDescriptor(index, d);
  }
  MakeAvailable(head);
  return head;
}

uint16_t FakeQueueDriver::AddIndirectChain(std::span<const Buffer> buffers, GuestAddress table) {
  for (size_t i = 0; i < buffers.size(); ++i) {
    bool last = i + 1 == buffers.size();
    vring_desc d{};
    d.addr = buffers[i].addr;
    d.len = buffers[i].len;
    d.flags = static_cast<uint16_t>((buffers[i].writable ? VRING_DESC_F_WRITE : 0) |
                                    (last ? 0 : VRING_DESC_F_NEXT));
    d.next = last ? 0 : static_cast<uint16_t>(i + 1);
    Put(table + i * sizeof(vring_desc), d);
  }
  uint16_t head = next_desc_;
  next_desc_ = static_cast<uint16_t>((next_desc_ + 1) % layout_.size);
  vring_desc d{};
  d.addr = table;
  d.len = static_cast<uint32_t>(buffers.size() * sizeof(vring_desc));
  d.flags = VRING_DESC_F_INDIRECT;
  WriteDescriptor(head, d);
  MakeAvailable(head);
  return head;
}

uint16_t FakeQueueDriver::used_idx() const {
  return Get<uint16_t>(layout_.used_ring + offsetof(vring_used, idx));
}

uint16_t FakeQueueDriver::used_flags() const {
  return Get<uint16_t>(layout_.used_ring + offsetof(vring_used, flags));
}

uint16_t FakeQueueDriver::avail_event() const {
  return Get<uint16_t>(layout_.used_ring + offsetof(vring_used, ring) +
                       sizeof(vring_used_elem) * uint64_t{layout_.size});
}

std::optional<vring_used_elem> FakeQueueDriver::PopUsed() {
  if (used_idx() == last_used_) return std::nullopt;
  auto elem = Get<vring_used_elem>(layout_.used_ring + offsetof(vring_used, ring) +
                                   sizeof(vring_used_elem) * (last_used_ % layout_.size));
  ++last_used_;
  return elem;
}

FakeDriver::FakeDriver(BusDevice& transport, const GuestMemory& memory, GuestAddress alloc_start,
                       GuestAddress alloc_end)
    : transport_(transport), memory_(memory), next_(alloc_start), end_(alloc_end) {}

uint32_t FakeDriver::Read32(uint64_t offset) const {
  uint32_t value = 0;
  transport_.Read(offset, {reinterpret_cast<uint8_t*>(&value), 4});
  return value;
}

void FakeDriver::Write32(uint64_t offset, uint32_t value) const {
  transport_.Write(offset, {reinterpret_cast<const uint8_t*>(&value), 4});
}

uint64_t FakeDriver::DeviceFeatures() const {
  Write32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  uint64_t high = Read32(VIRTIO_MMIO_DEVICE_FEATURES);
  Write32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  return (high << 32) | Read32(VIRTIO_MMIO_DEVICE_FEATURES);
}

base::Status FakeDriver::Negotiate(uint64_t features) {
  SetStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
  SetStatus(status() | VIRTIO_CONFIG_S_DRIVER);
  Write32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  Write32(VIRTIO_MMIO_DRIVER_FEATURES, static_cast<uint32_t>(features));
  Write32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  Write32(VIRTIO_MMIO_DRIVER_FEATURES, static_cast<uint32_t>(features >> 32));
  SetStatus(status() | VIRTIO_CONFIG_S_FEATURES_OK);
  if ((status() & VIRTIO_CONFIG_S_FEATURES_OK) == 0) {
    return base::Status::Error("the device refused the features");
  }
  return base::Status::Ok();
}

FakeQueueDriver& FakeDriver::SetUpQueue(uint16_t index, uint16_t size) {
  virtio::QueueLayout layout{size, Alloc(16ull * size, 16), Alloc(6 + 2ull * size, 2),
                             Alloc(6 + 8ull * size, 4)};
  Write32(VIRTIO_MMIO_QUEUE_SEL, index);
  Write32(VIRTIO_MMIO_QUEUE_NUM, size);
  Write32(VIRTIO_MMIO_QUEUE_DESC_LOW, static_cast<uint32_t>(layout.desc_table));
  Write32(VIRTIO_MMIO_QUEUE_DESC_HIGH, static_cast<uint32_t>(layout.desc_table >> 32));
  Write32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, static_cast<uint32_t>(layout.avail_ring));
  Write32(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, static_cast<uint32_t>(layout.avail_ring >> 32));
  Write32(VIRTIO_MMIO_QUEUE_USED_LOW, static_cast<uint32_t>(layout.used_ring));
  Write32(VIRTIO_MMIO_QUEUE_USED_HIGH, static_cast<uint32_t>(layout.used_ring >> 32));
  Write32(VIRTIO_MMIO_QUEUE_READY, 1);
  auto& q = queues_[index];
  q = std::make_unique<FakeQueueDriver>(memory_, layout);
  return *q;
}

base::Status FakeDriver::DriverOk() {
  SetStatus(status() | VIRTIO_CONFIG_S_DRIVER_OK);
  if (status() & VIRTIO_CONFIG_S_NEEDS_RESET) return base::Status::Error("the device needs a reset");
  if ((status() & VIRTIO_CONFIG_S_DRIVER_OK) == 0) return base::Status::Error("DRIVER_OK did not stick");
  return base::Status::Ok();
}

base::Status FakeDriver::BringUp(uint64_t features, std::vector<uint16_t> sizes) {
  RETURN_IF_ERROR(Negotiate(features));
  for (size_t i = 0; i < sizes.size(); ++i) SetUpQueue(static_cast<uint16_t>(i), sizes[i]);
  return DriverOk();
}

void FakeDriver::Kick(uint16_t queue) const { Write32(VIRTIO_MMIO_QUEUE_NOTIFY, queue); }
uint32_t FakeDriver::status() const { return Read32(VIRTIO_MMIO_STATUS); }
void FakeDriver::SetStatus(uint32_t status) const { Write32(VIRTIO_MMIO_STATUS, status); }
uint32_t FakeDriver::interrupt_status() const { return Read32(VIRTIO_MMIO_INTERRUPT_STATUS); }
void FakeDriver::AckInterrupt(uint32_t bits) const { Write32(VIRTIO_MMIO_INTERRUPT_ACK, bits); }

void FakeDriver::Reset() {
  SetStatus(0);
  queues_.clear();
}

GuestAddress FakeDriver::Alloc(uint64_t len, uint64_t align) {
  GuestAddress at = (next_ + align - 1) / align * align;
  HULL_CHECK(at + len <= end_);
  next_ = at + len;
  return at;
}

Buffer FakeDriver::Readable(std::span<const uint8_t> bytes) {
  GuestAddress at = Alloc(bytes.size());
  HULL_CHECK(memory_.Write(at, bytes.data(), bytes.size()).ok());
  return {at, static_cast<uint32_t>(bytes.size()), false};
}

Buffer FakeDriver::Writable(uint32_t len) { return {Alloc(len), len, true}; }

std::vector<uint8_t> FakeDriver::ReadBytes(GuestAddress addr, uint64_t len) const {
  std::vector<uint8_t> out(len);
  HULL_CHECK(memory_.Read(addr, out.data(), len).ok());
  return out;
}

}  // namespace hull::devices::testing
