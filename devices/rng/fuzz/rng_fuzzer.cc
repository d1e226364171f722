// Fuzz target: a hostile driver against virtio-rng behind the virtio-mmio transport.
// The input is a list of actions: register writes, raw writes into guest memory (where
// the rings live), well-formed bring-ups, chains of fuzzed buffers (direct or
// indirect), device work and resets. ASan and UBSan catch host memory errors; a hang or
// an abort is a crash too.
#include "devices/virtio/virtio_uapi.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/logging.h"
#include "devices/rng/rng_device.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/testing/fuzz_input.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices {
namespace {

using testing::Buffer;
using testing::FuzzInput;

constexpr uint64_t kRam = 64u << 10;    // first region: [0, 64 KiB)
constexpr uint64_t kHigh = 1ull << 32;  // second region: [4 GiB, 4 GiB + 4 KiB)

GuestAddress FuzzAddress(FuzzInput& in) {
  uint32_t raw = in.U32();
  switch (raw & 3) {
    case 0: return raw % kRam;
    case 1: return kHigh + (raw >> 2) % 0x1100;
    case 2: return kRam - 64 + (raw >> 2) % 128;
    default: return ~uint64_t{0} - (raw >> 2) % 64;
  }
}

void Run(FuzzInput& in) {
  testing::FakeGuestMemory ram({{0, kRam}, {kHigh, 0x1000}});
  auto device = std::make_shared<rng::RngDevice>();
  auto irq = std::make_shared<testing::FakeInterruptLine>();
  auto transport = virtio::MmioTransport::Create(device, ram.memory(), irq, nullptr);
  if (!transport.ok()) __builtin_trap();
  virtio::MmioTransport& t = **transport;
  auto driver = std::make_unique<testing::FakeDriver>(t, ram, 0x1000, kRam);
  auto has_queue = [&] { return driver->has_queue(0) && (t.status() & VIRTIO_CONFIG_S_DRIVER_OK); };
  for (int steps = 0; !in.empty() && steps < 256; ++steps) {
    switch (in.U8() % 6) {
      case 0: {  // register write
        uint64_t offset = in.U16() % virtio::kMmioWindowSize;
        size_t width = size_t{1} << (in.U8() % 4);
        offset = std::min<uint64_t>(offset, virtio::kMmioWindowSize - width);
        uint64_t value = in.U64();
        t.Write(offset, {reinterpret_cast<const uint8_t*>(&value), width});
        break;
      }
      case 1: {  // the guest scribbles over its memory
        GuestAddress addr = in.U16() % kRam;
        std::span<const uint8_t> bytes = in.Bytes(in.U8() % 32);
        (void)ram.memory().Write(addr, bytes.data(), std::min<uint64_t>(bytes.size(), kRam - addr));
        break;
      }
      case 2:  // a well-behaved driver, so the rest of the input starts from a live device
        driver = std::make_unique<testing::FakeDriver>(t, ram, 0x1000, kRam);
        driver->Reset();
        (void)driver->BringUp(driver->DeviceFeatures(), {static_cast<uint16_t>(1u << (in.U8() % 9))});
        break;
      case 3: {  // a chain, well-formed or not
        if (has_queue()) {
          testing::FakeQueueDriver& q = driver->queue(0);
          std::vector<Buffer> buffers(1 + in.U8() % std::min<uint16_t>(4, q.layout().size));
          for (Buffer& b : buffers) b = {FuzzAddress(in), in.U32(), (in.U8() & 1) != 0};
          if (in.U8() & 1) {
            q.AddIndirectChain(buffers, in.U16() % (kRam - 64) & ~uint64_t{15});
          } else {
            q.AddChain(buffers);
          }
          driver->Kick(0);
        }
        break;
      }
      case 4:
        device->Process();
        for (int i = 0; i < 300 && has_queue() && driver->queue(0).PopUsed(); ++i) {
        }
        break;
      case 5:
        if (in.U8() & 1) t.Reset(); else driver->Reset();
        break;
    }
  }
}

}  // namespace
}  // namespace hull::devices

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = [] {
    hull::base::SetLogLevel(hull::base::LogLevel::kOff);
    return true;
  }();
  (void)quiet;
  hull::devices::testing::FuzzInput in(data, size);
  hull::devices::Run(in);
  return 0;
}
