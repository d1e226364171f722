#include "guest/protocol.h"

#include <cstring>

namespace hull::guest {
namespace {

void PutLe(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetLe(std::string_view in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(static_cast<uint8_t>(in[offset + i])) << (8 * i);
  return value;
}

// The payload size a type must have, or -1 for variable-length ones.
int FixedSize(FrameType type) {
  switch (type) {
    case FrameType::kStdinClose: return 0;
    case FrameType::kExitAck: return 0;
    case FrameType::kSignal: return 4;
    case FrameType::kResize: return 4;
    case FrameType::kReady: return 16;
    case FrameType::kExit: return 8;
    default: return -1;
  }
}

bool Allowed(uint8_t type, Direction direction) {
  if (direction == Direction::kToGuest) return type >= 0x01 && type <= 0x05;
  return type >= 0x81 && type <= 0x85;
}

base::Status WrongSize(const Frame& frame, size_t want) {
  return base::Status::Error("protocol: frame type 0x" +
                             std::to_string(static_cast<int>(frame.type)) + " has " +
                             std::to_string(frame.payload.size()) + " payload bytes, not " +
                             std::to_string(want));
}

}  // namespace

std::string EncodeFrame(FrameType type, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  out.push_back(static_cast<char>(type));
  out.append(3, '\0');
  PutLe(out, payload.size(), 4);
  out.append(payload);
  return out;
}

std::string EncodeSignal(uint32_t signal) {
  std::string p;
  PutLe(p, signal, 4);
  return EncodeFrame(FrameType::kSignal, p);
}

std::string EncodeResize(uint16_t rows, uint16_t cols) {
  std::string p;
  PutLe(p, rows, 2);
  PutLe(p, cols, 2);
  return EncodeFrame(FrameType::kResize, p);
}

std::string EncodeExit(const ExitReport& report) {
  std::string p;
  p.push_back(report.signaled ? 1 : 0);
  p.push_back(report.oom ? 1 : 0);
  p.append(2, '\0');
  PutLe(p, static_cast<uint32_t>(report.code), 4);
  return EncodeFrame(FrameType::kExit, p);
}

std::string EncodeReady(const ReadyReport& report) {
  std::string p;
  PutLe(p, report.init_start_ns, 8);
  PutLe(p, report.exec_ns, 8);
  return EncodeFrame(FrameType::kReady, p);
}

base::Result<uint32_t> DecodeSignal(const Frame& frame) {
  if (frame.type != FrameType::kSignal || frame.payload.size() != 4) return WrongSize(frame, 4);
  uint32_t signal = static_cast<uint32_t>(GetLe(frame.payload, 0, 4));
  if (signal == 0 || signal > 64)
    return base::Status::Error("protocol: signal " + std::to_string(signal) + " out of range");
  return signal;
}

base::Result<ExitReport> DecodeExit(const Frame& frame) {
  if (frame.type != FrameType::kExit || frame.payload.size() != 8) return WrongSize(frame, 8);
  uint8_t how = static_cast<uint8_t>(frame.payload[0]);
  uint8_t oom = static_cast<uint8_t>(frame.payload[1]);
  if (how > 1 || oom > 1 || frame.payload[2] != 0 || frame.payload[3] != 0)
    return base::Status::Error("protocol: malformed exit report");
  ExitReport report;
  report.signaled = how == 1;
  report.oom = oom == 1;
  report.code = static_cast<int32_t>(GetLe(frame.payload, 4, 4));
  if (report.signaled ? (report.code < 1 || report.code > 64) : (report.code < 0 || report.code > 255))
    return base::Status::Error("protocol: exit report value " + std::to_string(report.code) +
                               " out of range");
  return report;
}

base::Result<ReadyReport> DecodeReady(const Frame& frame) {
  if (frame.type != FrameType::kReady || frame.payload.size() != 16) return WrongSize(frame, 16);
  return ReadyReport{GetLe(frame.payload, 0, 8), GetLe(frame.payload, 8, 8)};
}

base::Result<std::pair<uint16_t, uint16_t>> DecodeResize(const Frame& frame) {
  if (frame.type != FrameType::kResize || frame.payload.size() != 4) return WrongSize(frame, 4);
  return std::pair<uint16_t, uint16_t>(static_cast<uint16_t>(GetLe(frame.payload, 0, 2)),
                                       static_cast<uint16_t>(GetLe(frame.payload, 2, 2)));
}

base::Result<std::optional<Frame>> FrameDecoder::Next() {
  if (failed_) return *failed_;
  if (pending() < kHeaderSize) return std::optional<Frame>();
  std::string_view head(buffer_.data() + consumed_, kHeaderSize);
  uint8_t type = static_cast<uint8_t>(head[0]);
  uint32_t length = static_cast<uint32_t>(GetLe(head, 4, 4));
  std::string problem;
  if (!Allowed(type, direction_)) {
    problem = "unknown frame type " + std::to_string(type);
  } else if (head[1] != 0 || head[2] != 0 || head[3] != 0) {
    problem = "nonzero reserved header bytes";
  } else if (length > kMaxPayload) {
    problem = "payload of " + std::to_string(length) + " bytes exceeds the limit of " +
              std::to_string(kMaxPayload);
  } else if (int fixed = FixedSize(static_cast<FrameType>(type)); fixed >= 0 &&
             length != static_cast<uint32_t>(fixed)) {
    problem = "frame type " + std::to_string(type) + " with " + std::to_string(length) +
              " payload bytes (must be " + std::to_string(fixed) + ")";
  }
  if (!problem.empty()) {
    failed_ = base::Status::Error("protocol: " + problem);
    return *failed_;
  }
  if (pending() < kHeaderSize + length) return std::optional<Frame>();
  Frame frame{static_cast<FrameType>(type),
              buffer_.substr(consumed_ + kHeaderSize, length)};
  consumed_ += kHeaderSize + length;
  // Compact once the consumed prefix dominates, so the buffer does not grow forever.
  if (consumed_ > 1 << 20 || consumed_ == buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return std::optional<Frame>(std::move(frame));
}

}  // namespace hull::guest
