#include "devices/vsock/packet.h"

#include <climits>
#include <cstring>

namespace hull::devices::vsock {
namespace {

void CopyInto(const std::vector<std::span<uint8_t>>& spans, std::span<const uint8_t> data) {
  size_t at = 0;
  for (std::span<uint8_t> s : spans) {
    if (at >= data.size()) break;
    size_t n = std::min(s.size(), data.size() - at);
    std::memcpy(s.data(), data.data() + at, n);
    at += n;
  }
}

}  // namespace

std::string OpName(uint16_t op) {
  switch (op) {
    case VIRTIO_VSOCK_OP_REQUEST: return "REQUEST";
    case VIRTIO_VSOCK_OP_RESPONSE: return "RESPONSE";
    case VIRTIO_VSOCK_OP_RST: return "RST";
    case VIRTIO_VSOCK_OP_SHUTDOWN: return "SHUTDOWN";
    case VIRTIO_VSOCK_OP_RW: return "RW";
    case VIRTIO_VSOCK_OP_CREDIT_UPDATE: return "CREDIT_UPDATE";
    case VIRTIO_VSOCK_OP_CREDIT_REQUEST: return "CREDIT_REQUEST";
    default: return "op " + std::to_string(op);
  }
}

base::Result<TxPacket> ReadTxPacket(const GuestMemory& memory,
                                    const virtio::DescriptorChain& chain,
                                    std::span<uint8_t> scratch) {
  virtio::ChainReader reader(memory, chain);
  if (reader.remaining() < kHeaderSize) {
    return base::Status::Error("tx chain of " + std::to_string(reader.remaining()) +
                               " readable bytes cannot hold a packet header");
  }
  ASSIGN_OR_RETURN(virtio_vsock_hdr hdr, reader.ReadObject<virtio_vsock_hdr>());
  if (hdr.len > kMaxPayload || hdr.len > scratch.size()) {
    return base::Status::Error("packet len " + std::to_string(hdr.len) + " is above " +
                               std::to_string(kMaxPayload));
  }
  if (hdr.len > reader.remaining()) {
    return base::Status::Error("packet len " + std::to_string(hdr.len) + " but only " +
                               std::to_string(reader.remaining()) + " payload bytes in the chain");
  }
  RETURN_IF_ERROR(reader.Read(scratch.first(hdr.len)));
  return TxPacket{hdr, scratch.first(hdr.len)};
}

base::Result<RxSlot> RxSlot::Create(const GuestMemory& memory,
                                    const virtio::DescriptorChain& chain) {
  virtio::ChainWriter writer(memory, chain);
  if (writer.remaining() < kHeaderSize) {
    return base::Status::Error("rx chain of " + std::to_string(writer.remaining()) +
                               " writable bytes cannot hold a packet header");
  }
  ASSIGN_OR_RETURN(std::vector<std::span<uint8_t>> header, writer.Take(kHeaderSize));
  uint32_t capacity = static_cast<uint32_t>(std::min<uint64_t>(writer.remaining(), kMaxPayload));
  ASSIGN_OR_RETURN(std::vector<std::span<uint8_t>> payload, writer.Take(capacity));
  return RxSlot(std::move(header), std::move(payload), capacity);
}

std::vector<iovec> RxSlot::PayloadIov(uint32_t len) {
  std::vector<iovec> iov;
  uint64_t left = len;
  for (std::span<uint8_t> s : payload_) {
    if (left == 0 || iov.size() == IOV_MAX) break;
    size_t n = std::min<uint64_t>(s.size(), left);
    if (n == 0) continue;
    iov.push_back({s.data(), n});
    left -= n;
  }
  return iov;
}

uint64_t RxSlot::IovBytes(const std::vector<iovec>& iov) {
  uint64_t total = 0;
  for (const iovec& v : iov) total += v.iov_len;
  return total;
}

void RxSlot::WritePayload(std::span<const uint8_t> data) { CopyInto(payload_, data); }

uint32_t RxSlot::Finish(const virtio_vsock_hdr& hdr) {
  CopyInto(header_, {reinterpret_cast<const uint8_t*>(&hdr), kHeaderSize});
  return kHeaderSize + hdr.len;
}

}  // namespace hull::devices::vsock
