#include "guest/protocol.h"

#include <algorithm>
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
    case FrameType::kExit: return 8;
    case FrameType::kExecStdinClose: return 4;
    case FrameType::kExecSignal: return 8;
    case FrameType::kExecResize: return 8;
    case FrameType::kExecStarted: return 8;
    case FrameType::kExecExit: return 12;
    default: return -1;
  }
}

bool Allowed(uint8_t type, Direction direction) {
  if (direction == Direction::kToGuest) return type >= 0x01 && type <= 0x0a;
  return type >= 0x81 && type <= 0x8a;
}

// READY: 16 bytes in version 1, 24 (with the version) since.
constexpr uint32_t kReadyV1Size = 16;
constexpr uint32_t kReadySize = 24;

base::Result<uint32_t> SignalAt(const Frame& frame, size_t offset) {
  uint32_t signal = static_cast<uint32_t>(GetLe(frame.payload, offset, 4));
  if (signal == 0 || signal > 64)
    return base::Status::Error("protocol: signal " + std::to_string(signal) + " out of range");
  return signal;
}

base::Result<ExitReport> ExitAt(const Frame& frame, size_t offset) {
  std::string_view p(frame.payload);
  p.remove_prefix(offset);
  uint8_t how = static_cast<uint8_t>(p[0]);
  uint8_t oom = static_cast<uint8_t>(p[1]);
  if (how > 1 || oom > 1 || p[2] != 0 || p[3] != 0)
    return base::Status::Error("protocol: malformed exit report");
  ExitReport report;
  report.signaled = how == 1;
  report.oom = oom == 1;
  report.code = static_cast<int32_t>(GetLe(p, 4, 4));
  if (report.signaled ? (report.code < 1 || report.code > 64) : (report.code < 0 || report.code > 255))
    return base::Status::Error("protocol: exit report value " + std::to_string(report.code) +
                               " out of range");
  return report;
}

std::string ExitPayload(const ExitReport& report) {
  std::string p;
  p.push_back(report.signaled ? 1 : 0);
  p.push_back(report.oom ? 1 : 0);
  p.append(2, '\0');
  PutLe(p, static_cast<uint32_t>(report.code), 4);
  return p;
}

std::string SessionPrefix(uint32_t session) {
  std::string p;
  PutLe(p, session, 4);
  return p;
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
  return EncodeFrame(FrameType::kExit, ExitPayload(report));
}

std::string EncodeReady(const ReadyReport& report) {
  std::string p;
  PutLe(p, report.init_start_ns, 8);
  PutLe(p, report.exec_ns, 8);
  PutLe(p, report.version, 4);
  PutLe(p, 0, 4);
  return EncodeFrame(FrameType::kReady, p);
}

bool IsExecFrame(FrameType type) {
  uint8_t t = static_cast<uint8_t>(type);
  return (t >= 0x06 && t <= 0x0a) || (t >= 0x86 && t <= 0x8a);
}

std::string EncodeExecFrame(FrameType type, uint32_t session, std::string_view payload) {
  return EncodeFrame(type, SessionPrefix(session).append(payload));
}

std::string EncodeExecSignal(uint32_t session, uint32_t signal) {
  std::string p = SessionPrefix(session);
  PutLe(p, signal, 4);
  return EncodeFrame(FrameType::kExecSignal, p);
}

std::string EncodeExecResize(uint32_t session, uint16_t rows, uint16_t cols) {
  std::string p = SessionPrefix(session);
  PutLe(p, rows, 2);
  PutLe(p, cols, 2);
  return EncodeFrame(FrameType::kExecResize, p);
}

std::string EncodeExecStarted(uint32_t session, uint32_t pid) {
  std::string p = SessionPrefix(session);
  PutLe(p, pid, 4);
  return EncodeFrame(FrameType::kExecStarted, p);
}

std::string EncodeExecExit(uint32_t session, const ExitReport& report) {
  return EncodeFrame(FrameType::kExecExit, SessionPrefix(session) + ExitPayload(report));
}

base::Result<uint32_t> DecodeSignal(const Frame& frame) {
  if (frame.type != FrameType::kSignal || frame.payload.size() != 4) return WrongSize(frame, 4);
  return SignalAt(frame, 0);
}

base::Result<ExitReport> DecodeExit(const Frame& frame) {
  if (frame.type != FrameType::kExit || frame.payload.size() != 8) return WrongSize(frame, 8);
  return ExitAt(frame, 0);
}

base::Result<ReadyReport> DecodeReady(const Frame& frame) {
  if (frame.type != FrameType::kReady ||
      (frame.payload.size() != kReadyV1Size && frame.payload.size() != kReadySize))
    return WrongSize(frame, kReadySize);
  ReadyReport report{GetLe(frame.payload, 0, 8), GetLe(frame.payload, 8, 8), 1};
  if (frame.payload.size() == kReadySize) {
    report.version = static_cast<uint32_t>(GetLe(frame.payload, 16, 4));
    if (report.version < 2 || GetLe(frame.payload, 20, 4) != 0)
      return base::Status::Error("protocol: malformed ready report");
  }
  return report;
}

uint32_t SessionOf(const Frame& frame) {
  return frame.payload.size() >= kSessionIdSize ? static_cast<uint32_t>(GetLe(frame.payload, 0, 4)) : 0;
}

std::string_view ExecData(const Frame& frame) {
  std::string_view p(frame.payload);
  p.remove_prefix(std::min(p.size(), kSessionIdSize));
  return p;
}

std::string WithSession(const Frame& frame, uint32_t session) {
  return EncodeExecFrame(frame.type, session, ExecData(frame));
}

base::Result<uint32_t> DecodeExecSignal(const Frame& frame) {
  if (frame.type != FrameType::kExecSignal || frame.payload.size() != 8) return WrongSize(frame, 8);
  return SignalAt(frame, 4);
}

base::Result<std::pair<uint16_t, uint16_t>> DecodeExecResize(const Frame& frame) {
  if (frame.type != FrameType::kExecResize || frame.payload.size() != 8) return WrongSize(frame, 8);
  return std::pair<uint16_t, uint16_t>(static_cast<uint16_t>(GetLe(frame.payload, 4, 2)),
                                       static_cast<uint16_t>(GetLe(frame.payload, 6, 2)));
}

base::Result<uint32_t> DecodeExecStarted(const Frame& frame) {
  if (frame.type != FrameType::kExecStarted || frame.payload.size() != 8) return WrongSize(frame, 8);
  return static_cast<uint32_t>(GetLe(frame.payload, 4, 4));
}

base::Result<ExitReport> DecodeExecExit(const Frame& frame) {
  if (frame.type != FrameType::kExecExit || frame.payload.size() != 12) return WrongSize(frame, 12);
  return ExitAt(frame, 4);
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
  } else if (static_cast<FrameType>(type) == FrameType::kReady && length != kReadyV1Size &&
             length != kReadySize) {
    problem = "ready report with " + std::to_string(length) + " payload bytes";
  } else if (IsExecFrame(static_cast<FrameType>(type)) && length < kSessionIdSize) {
    problem = "exec frame type " + std::to_string(type) + " without a session id";
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
