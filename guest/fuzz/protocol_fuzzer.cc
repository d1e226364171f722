// Feeds arbitrary bytes to the protocol's decoders as a hostile guest (or a hostile exec
// client) would: the first byte picks the direction and how the input is split into
// Feed() calls; every complete frame goes through the payload decoder of its type, and
// exec frames through the session helpers. Nothing may crash, read out of bounds or
// accept a frame that breaks the documented limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "guest/protocol.h"
#include "guest/spec.h"

using namespace hull::guest;

namespace {

void Check(bool ok) {
  if (!ok) abort();
}

void DecodeAll(const Frame& f) {
  Check(f.payload.size() <= kMaxPayload);
  if (IsExecFrame(f.type)) {
    Check(f.payload.size() >= kSessionIdSize);
    uint32_t session = SessionOf(f);
    std::string moved = WithSession(f, session ^ 1);
    FrameDecoder again(static_cast<uint8_t>(f.type) < 0x80 ? Direction::kToGuest : Direction::kToHost);
    again.Feed(moved);
    auto back = again.Next();
    Check(back.ok() && back->has_value() && SessionOf(**back) == (session ^ 1) &&
          ExecData(**back) == ExecData(f));
  }
  switch (f.type) {
    case FrameType::kSignal: (void)DecodeSignal(f); break;
    case FrameType::kResize: (void)DecodeResize(f); break;
    case FrameType::kReady: (void)DecodeReady(f); break;
    case FrameType::kExit:
      if (auto e = DecodeExit(f); e.ok()) Check(e->code >= 0 && e->code <= 255);
      break;
    case FrameType::kExecStart: (void)ExecSpecFromJson(ExecData(f)); break;
    case FrameType::kExecSignal:
      if (auto s = DecodeExecSignal(f); s.ok()) Check(*s >= 1 && *s <= 64);
      break;
    case FrameType::kExecResize: (void)DecodeExecResize(f); break;
    case FrameType::kExecStarted: (void)DecodeExecStarted(f); break;
    case FrameType::kExecExit: (void)DecodeExecExit(f); break;
    default: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Direction direction = (data[0] & 1) ? Direction::kToHost : Direction::kToGuest;
  size_t chunk = (data[0] >> 1) + 1;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  FrameDecoder decoder(direction);
  for (size_t offset = 0; offset < input.size(); offset += chunk) {
    decoder.Feed(input.substr(offset, chunk));
    while (true) {
      auto next = decoder.Next();
      if (!next.ok()) return 0;  // failed for good: nothing more is decoded
      if (!*next) break;
      DecodeAll(**next);
    }
  }
  return 0;
}
