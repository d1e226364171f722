#include "devices/virtio/descriptor_chain.h"

#include "base/hex.h"
#include "devices/virtio/virtio_uapi.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>

namespace hull::devices::virtio {
namespace {

using base::Hex;

base::Status ChainError(uint16_t head, const std::string& what) {
  return base::Status::Error("descriptor chain at head " + std::to_string(head) + ": " + what);
}

// The table being walked: the queue's own, or one indirect table.
struct Table {
  GuestAddress addr;
  uint32_t size;
  bool indirect;
};

}  // namespace

DescriptorChain::DescriptorChain(uint16_t head, std::vector<Descriptor> descriptors)
    : head_(head), descriptors_(std::move(descriptors)) {
  first_writable_ = descriptors_.size();
  for (size_t i = 0; i < descriptors_.size(); ++i) {
    if (descriptors_[i].writable) {
      first_writable_ = std::min(first_writable_, i);
      writable_bytes_ += descriptors_[i].len;
    } else {
      readable_bytes_ += descriptors_[i].len;
    }
  }
}

std::span<const Descriptor> DescriptorChain::readable() const {
  return std::span<const Descriptor>(descriptors_).first(first_writable_);
}

std::span<const Descriptor> DescriptorChain::writable() const {
  return std::span<const Descriptor>(descriptors_).subspan(first_writable_);
}

base::Result<DescriptorChain> ParseChain(const GuestMemory& memory, GuestAddress table_addr,
                                         uint16_t table_size, uint16_t head,
                                         bool indirect_allowed) {
  if (head >= table_size) {
    return ChainError(head, "head index is outside the queue of size " + std::to_string(table_size));
  }
  Table table{table_addr, table_size, false};
  std::vector<Descriptor> out;
  uint32_t index = head;
  uint32_t walked = 0;  // descriptors read from the current table
  bool seen_writable = false;
  for (;;) {
    // Every table has `size` entries, so a longer walk must have revisited one: a loop.
    if (++walked > table.size) {
      return ChainError(head, std::string("more descriptors than the ") +
                                  (table.indirect ? "indirect table" : "queue") + " holds (" +
                                  std::to_string(table.size) + "): the chain loops");
    }
    base::Result<vring_desc> read =
        memory.ReadObject<vring_desc>(table.addr + uint64_t{index} * sizeof(vring_desc));
    if (!read.ok()) return ChainError(head, read.status().message());
    const vring_desc d = *read;
    if (d.flags & VRING_DESC_F_INDIRECT) {
      if (!indirect_allowed) return ChainError(head, "indirect descriptor, but VIRTIO_RING_F_INDIRECT_DESC was not negotiated");
      if (table.indirect) return ChainError(head, "indirect descriptor inside an indirect table");
      if (d.flags & VRING_DESC_F_NEXT) return ChainError(head, "indirect descriptor with VRING_DESC_F_NEXT");
      if (d.len == 0 || d.len % sizeof(vring_desc) != 0 || d.len / sizeof(vring_desc) > kMaxIndirectDescriptors) {
        return ChainError(head, "indirect table length " + std::to_string(d.len) +
                                    " is not a multiple of 16 between 16 and " +
                                    std::to_string(kMaxIndirectDescriptors * sizeof(vring_desc)));
      }
      if (!memory.Contains(d.addr, d.len)) {
        return ChainError(head, "indirect table at " + Hex(d.addr) + " length " +
                                    std::to_string(d.len) + " is outside guest memory");
      }
      table = Table{d.addr, static_cast<uint32_t>(d.len / sizeof(vring_desc)), true};
      index = 0;
      walked = 0;
      continue;
    }
    bool writable = (d.flags & VRING_DESC_F_WRITE) != 0;
    if (!writable && seen_writable) {
      return ChainError(head, "device-readable descriptor after a device-writable one");
    }
    seen_writable |= writable;
    if (d.len > 0 && !memory.Contains(d.addr, d.len)) {
      return ChainError(head, "buffer at " + Hex(d.addr) + " length " + std::to_string(d.len) +
                                  " is outside guest memory");
    }
    out.push_back({d.addr, d.len, writable});
    if (!(d.flags & VRING_DESC_F_NEXT)) break;
    if (d.next >= table.size) {
      return ChainError(head, "next index " + std::to_string(d.next) + " is outside the table of " +
                                  std::to_string(table.size));
    }
    index = d.next;
  }
  return DescriptorChain(head, std::move(out));
}

BufferCursor::BufferCursor(const GuestMemory& memory, std::span<const Descriptor> buffers)
    : memory_(memory), buffers_(buffers) {
  for (const Descriptor& d : buffers_) remaining_ += d.len;
}

base::Result<std::vector<std::span<uint8_t>>> BufferCursor::Take(uint64_t len) {
  if (len > remaining_) {
    return base::Status::Error("descriptor chain too short: " + std::to_string(len) +
                               " bytes wanted, " + std::to_string(remaining_) + " left");
  }
  std::vector<std::span<uint8_t>> spans;
  size_t index = index_;
  uint64_t offset = offset_;
  uint64_t left = len;
  while (left > 0) {
    const Descriptor& d = buffers_[index];
    uint64_t n = std::min<uint64_t>(left, d.len - offset);
    if (n > 0) {
      ASSIGN_OR_RETURN(std::span<uint8_t> s, memory_.Slice(d.addr + offset, n));
      spans.push_back(s);
    }
    left -= n;
    offset += n;
    if (offset == d.len) {
      ++index;
      offset = 0;
    }
  }
  index_ = index;
  offset_ = offset;
  remaining_ -= len;
  consumed_ += len;
  return spans;
}

base::Status BufferCursor::Skip(uint64_t len) { return Take(len).status(); }

base::Status ChainReader::Read(std::span<uint8_t> out) {
  ASSIGN_OR_RETURN(std::vector<std::span<uint8_t>> spans, Take(out.size()));
  size_t at = 0;
  for (std::span<uint8_t> s : spans) {
    std::memcpy(out.data() + at, s.data(), s.size());
    at += s.size();
  }
  return base::Status::Ok();
}

base::Status ChainWriter::Write(std::span<const uint8_t> data) {
  ASSIGN_OR_RETURN(std::vector<std::span<uint8_t>> spans, Take(data.size()));
  size_t at = 0;
  for (std::span<uint8_t> s : spans) {
    std::memcpy(s.data(), data.data() + at, s.size());
    at += s.size();
  }
  return base::Status::Ok();
}

}  // namespace hull::devices::virtio
