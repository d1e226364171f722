#include "devices/block/request.h"

#include <string>

namespace hull::devices::block {
namespace {

Request AnswerOnly(Request r, uint8_t status, std::string problem) {
  r.kind = Request::Kind::kAnswerOnly;
  r.status = status;
  r.problem = std::move(problem);
  r.data.clear();
  r.ranges.clear();
  return r;
}

base::Status TakeIovecs(virtio::BufferCursor& cursor, uint64_t len, std::vector<iovec>& out) {
  ASSIGN_OR_RETURN(std::vector<std::span<uint8_t>> spans, cursor.Take(len));
  out.reserve(spans.size());
  for (std::span<uint8_t> s : spans) {
    if (!s.empty()) out.push_back({s.data(), s.size()});
  }
  return base::Status::Ok();
}

// Checks a data transfer of `len` bytes at `sector`; an empty string when it is fine.
std::string CheckRange(uint64_t sector, uint64_t len, const DiskLimits& limits) {
  if (len % kSectorSize != 0) return "data length " + std::to_string(len) + " is not whole sectors";
  if (len > kMaxRequestBytes) return "data length " + std::to_string(len) + " above the limit";
  uint64_t sectors = len >> kSectorShift;
  if (sector > limits.capacity_sectors || sectors > limits.capacity_sectors - sector) {
    return "sectors " + std::to_string(sector) + "+" + std::to_string(sectors) +
           " past the end of the disk (" + std::to_string(limits.capacity_sectors) + " sectors)";
  }
  return {};
}

Request ParseRanges(Request r, virtio::ChainReader& reader, const DiskLimits& limits) {
  const bool discard = r.kind == Request::Kind::kDiscard;
  if (!(discard ? limits.discard : limits.write_zeroes)) {
    return AnswerOnly(std::move(r), VIRTIO_BLK_S_UNSUPP, "feature not negotiated");
  }
  if (limits.read_only) return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, "read-only disk");
  const uint64_t bytes = reader.remaining();
  constexpr uint64_t kSegment = sizeof(virtio_blk_discard_write_zeroes);
  if (bytes == 0 || bytes % kSegment != 0 || bytes / kSegment > kMaxDiscardSegments) {
    return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR,
                      "segment list of " + std::to_string(bytes) + " bytes");
  }
  for (uint64_t i = 0; i < bytes / kSegment; ++i) {
    auto seg = reader.ReadObject<virtio_blk_discard_write_zeroes>();
    if (!seg.ok()) return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, seg.status().message());
    const uint32_t flags = seg->flags;
    if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0 ||
        (discard && (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0)) {
      // Spec 5.2.6.2: unknown flags, or unmap on a discard, are UNSUPP.
      return AnswerOnly(std::move(r), VIRTIO_BLK_S_UNSUPP, "segment flags " + std::to_string(flags));
    }
    if (seg->num_sectors > kMaxDiscardSectors) {
      return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, "segment above max sectors");
    }
    std::string bad = CheckRange(seg->sector, uint64_t{seg->num_sectors} << kSectorShift, limits);
    if (!bad.empty()) return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, bad);
    r.ranges.push_back({seg->sector << kSectorShift, uint64_t{seg->num_sectors} << kSectorShift});
  }
  return r;
}

}  // namespace

base::Result<Request> ParseRequest(const GuestMemory& memory, const virtio::DescriptorChain& chain,
                                   const DiskLimits& limits) {
  Request r;
  virtio::ChainWriter writer(memory, chain);
  const uint64_t writable = writer.remaining();
  if (writable == 0) {
    return base::Status::Error("virtio-blk: request without a writable status byte");
  }
  // The status is the chain's last writable byte; what precedes it is the data area.
  const uint64_t in_len = writable - 1;
  RETURN_IF_ERROR(writer.Skip(in_len));
  ASSIGN_OR_RETURN(std::vector<std::span<uint8_t>> status, writer.Take(1));
  r.status_byte = status.at(0).data();

  virtio::ChainReader reader(memory, chain);
  if (reader.remaining() < sizeof(virtio_blk_outhdr)) {
    return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, "header shorter than 16 bytes");
  }
  ASSIGN_OR_RETURN(virtio_blk_outhdr header, reader.ReadObject<virtio_blk_outhdr>());
  r.type = header.type;
  r.sector = header.sector;
  virtio::ChainWriter data_writer(memory, chain);

  switch (header.type) {
    case VIRTIO_BLK_T_IN: {
      r.kind = Request::Kind::kRead;
      if (reader.remaining() != 0) {
        return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, "read request with readable data");
      }
      std::string bad = CheckRange(r.sector, in_len, limits);
      if (!bad.empty()) return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, bad);
      RETURN_IF_ERROR(TakeIovecs(data_writer, in_len, r.data));
      r.data_len = in_len;
      return r;
    }
    case VIRTIO_BLK_T_OUT: {
      r.kind = Request::Kind::kWrite;
      if (in_len != 0) {
        return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, "write request with writable data");
      }
      if (limits.read_only) return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, "read-only disk");
      const uint64_t len = reader.remaining();
      std::string bad = CheckRange(r.sector, len, limits);
      if (!bad.empty()) return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, bad);
      RETURN_IF_ERROR(TakeIovecs(reader, len, r.data));
      r.data_len = len;
      return r;
    }
    case VIRTIO_BLK_T_FLUSH:
      r.kind = Request::Kind::kFlush;
      return r;
    case VIRTIO_BLK_T_GET_ID: {
      r.kind = Request::Kind::kGetId;
      if (in_len == 0) return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, "no buffer for the id");
      const uint64_t len = std::min<uint64_t>(in_len, VIRTIO_BLK_ID_BYTES);
      RETURN_IF_ERROR(TakeIovecs(data_writer, len, r.data));
      r.data_len = len;
      return r;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
      r.kind = header.type == VIRTIO_BLK_T_DISCARD ? Request::Kind::kDiscard
                                                   : Request::Kind::kWriteZeroes;
      if (in_len != 0) {
        return AnswerOnly(std::move(r), VIRTIO_BLK_S_IOERR, "segment request with writable data");
      }
      return ParseRanges(std::move(r), reader, limits);
    default:
      return AnswerOnly(std::move(r), VIRTIO_BLK_S_UNSUPP,
                        "unknown request type " + std::to_string(header.type));
  }
}

}  // namespace hull::devices::block
