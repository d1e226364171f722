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

enum class FrameType : uint8_t {
  // host → guest
  kStdin = 0x01,       // bytes for the process's stdin
  kStdinClose = 0x02,  // no payload: close the process's stdin
  kSignal = 0x03,      // u32: send this signal to the process
  kResize = 0x04,      // u16 rows, u16 cols: the terminal's size (with a tty)
  kExitAck = 0x05,     // no payload: the host has the exit report; the guest may reset
  // guest → host
  kReady = 0x81,   // u64 ns since guest boot when hull-init started, u64 when it exec'd
  kStdout = 0x82,  // bytes the process wrote to stdout
  kStderr = 0x83,  // bytes the process wrote to stderr
  kExit = 0x84,    // u8 how (0 exited, 1 killed by signal), u8 oom, u16 0, i32 code/signal
  kError = 0x85,   // UTF-8 text: why hull-init could not start the process (then kExit)
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
};

std::string EncodeFrame(FrameType type, std::string_view payload = {});
std::string EncodeSignal(uint32_t signal);
std::string EncodeResize(uint16_t rows, uint16_t cols);
std::string EncodeExit(const ExitReport& report);
std::string EncodeReady(const ReadyReport& report);

base::Result<uint32_t> DecodeSignal(const Frame& frame);
base::Result<ExitReport> DecodeExit(const Frame& frame);
base::Result<ReadyReport> DecodeReady(const Frame& frame);
base::Result<std::pair<uint16_t, uint16_t>> DecodeResize(const Frame& frame);

// Splits a byte stream into frames. A malformed frame (unknown or wrong-direction type,
// nonzero reserved bytes, oversized payload, wrong size for a fixed-size type) is an
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
