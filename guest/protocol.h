// The host↔guest protocol between hull's VM runtime (runtime/vm) and hull-init, the
// guest's PID 1: framing, frame types, encoding and a decoder that treats its input as
// hostile (guest/PROTOCOL.md). Used by both sides; pure functions and one buffer-owning
// decoder, so any thread may use its own instances.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hull::guest {

// Every frame: an 8-byte header (type, three zero bytes, payload length as u32 little
// endian) and the payload.
inline constexpr size_t kHeaderSize = 8;
// Data frames carry at most this much; the decoder refuses anything longer.
inline constexpr uint32_t kMaxPayload = 64 * 1024;
// The protocol version this build speaks; hull-init announces it in READY (version 1's
// READY had no version field and no exec frames).
inline constexpr uint32_t kProtocolVersion = 2;
// Exec frames begin with a u32 session id; their data is at most this much.
inline constexpr size_t kSessionIdSize = 4;
inline constexpr uint32_t kMaxExecData = kMaxPayload - kSessionIdSize;

enum class FrameType : uint8_t {
  // host → guest
  kStdin = 0x01,       // bytes for the process's stdin
  kStdinClose = 0x02,  // no payload: close the process's stdin
  kSignal = 0x03,      // u32: send this signal to the process
  kResize = 0x04,      // u16 rows, u16 cols: the terminal's size (with a tty)
  kExitAck = 0x05,     // no payload: the host has the exit report; the guest may reset
  // host → guest, one exec session each (u32 session id first; version 2)
  kExecStart = 0x06,       // session, JSON ExecSpec (guest/spec.h): start an extra process
  kExecStdin = 0x07,       // session, bytes for its stdin
  kExecStdinClose = 0x08,  // session: close its stdin
  kExecSignal = 0x09,      // session, u32 signal
  kExecResize = 0x0a,      // session, u16 rows, u16 cols
  // guest → host
  kReady = 0x81,   // u64 ns since guest boot when hull-init started, u64 when it exec'd
  kStdout = 0x82,  // bytes the process wrote to stdout
  kStderr = 0x83,  // bytes the process wrote to stderr
  kExit = 0x84,    // u8 how (0 exited, 1 killed by signal), u8 oom, u16 0, i32 code/signal
  kError = 0x85,   // UTF-8 text: why hull-init could not start the process (then kExit)
  // guest → host, one exec session each (u32 session id first; version 2)
  kExecStarted = 0x86,  // session, u32 the process's pid in the guest
  kExecStdout = 0x87,   // session, bytes
  kExecStderr = 0x88,   // session, bytes
  kExecExit = 0x89,     // session, then as kExit (oom always 0)
  kExecError = 0x8a,    // session, text: why it could not be started (then kExecExit)
};

// Which side's frames a decoder accepts.
enum class Direction { kToGuest, kToHost };

struct Frame {
  FrameType type;
  std::string payload;
};

struct ExitReport {
  bool signaled = false;  // killed by a signal: `code` is the signal number
  bool oom = false;       // the guest kernel's OOM killer killed it
  int32_t code = 0;
};

struct ReadyReport {
  uint64_t init_start_ns = 0;  // CLOCK_BOOTTIME when hull-init started
  uint64_t exec_ns = 0;        // CLOCK_BOOTTIME just before the process was started
  uint32_t version = kProtocolVersion;  // 1 when READY had the 16-byte form
};

// True for the exec frame types, whose payload starts with the session id.
bool IsExecFrame(FrameType type);

std::string EncodeFrame(FrameType type, std::string_view payload = {});
std::string EncodeSignal(uint32_t signal);
std::string EncodeResize(uint16_t rows, uint16_t cols);
std::string EncodeExit(const ExitReport& report);
std::string EncodeReady(const ReadyReport& report);

// Exec frames: the session id, then what the main process's frame of the same kind has.
std::string EncodeExecFrame(FrameType type, uint32_t session, std::string_view payload = {});
std::string EncodeExecSignal(uint32_t session, uint32_t signal);
std::string EncodeExecResize(uint32_t session, uint16_t rows, uint16_t cols);
std::string EncodeExecStarted(uint32_t session, uint32_t pid);
std::string EncodeExecExit(uint32_t session, const ExitReport& report);

base::Result<uint32_t> DecodeSignal(const Frame& frame);
base::Result<ExitReport> DecodeExit(const Frame& frame);
base::Result<ReadyReport> DecodeReady(const Frame& frame);
base::Result<std::pair<uint16_t, uint16_t>> DecodeResize(const Frame& frame);
// An exec frame's session id (the decoder has checked that the payload holds one).
uint32_t SessionOf(const Frame& frame);
// An exec frame's payload after the session id.
std::string_view ExecData(const Frame& frame);
// An exec frame rewritten to another session (the host renumbers its clients' frames).
std::string WithSession(const Frame& frame, uint32_t session);
// The exec variants of the decoders above; the values are checked the same way.
base::Result<uint32_t> DecodeExecSignal(const Frame& frame);
base::Result<std::pair<uint16_t, uint16_t>> DecodeExecResize(const Frame& frame);
base::Result<uint32_t> DecodeExecStarted(const Frame& frame);
base::Result<ExitReport> DecodeExecExit(const Frame& frame);

// Splits a byte stream into frames. A malformed frame (unknown or wrong-direction type,
// nonzero reserved bytes, oversized payload, wrong size for a fixed-size type, an exec
// frame too short for its session id) is an
// error, and the decoder stays failed: the stream cannot be resynchronized.
class FrameDecoder {
 public:
  explicit FrameDecoder(Direction direction) : direction_(direction) {}

  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete frame, nullopt if more bytes are needed, or the error.
  base::Result<std::optional<Frame>> Next();
  // Bytes received but not yet part of a complete frame.
  size_t pending() const { return buffer_.size() - consumed_; }

 private:
  Direction direction_;
  std::string buffer_;
  size_t consumed_ = 0;
  std::optional<base::Status> failed_;
};

}  // namespace hull::guest
