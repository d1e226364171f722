#include "devices/testing/device_fuzzer.h"

#include <algorithm>
#include <vector>

#include "base/logging.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::testing {

GuestAddress FuzzAddress(FuzzInput& in) {
  uint32_t raw = in.U32();
  switch (raw & 3) {
    case 0: return raw % kFuzzRam;
    case 1: return kFuzzHigh + (raw >> 2) % 0x1100;
    case 2: return kFuzzRam - 64 + (raw >> 2) % 128;
    default: return ~uint64_t{0} - (raw >> 2) % 64;
  }
}

void QuietFuzzLogs() {
  static bool quiet = [] {
    base::SetLogLevel(base::LogLevel::kOff);
    return true;
  }();
  (void)quiet;
}

void RunDeviceFuzzer(FuzzInput& in, std::shared_ptr<virtio::VirtioDevice> device,
                     const DeviceFuzzHooks& hooks) {
  FakeGuestMemory ram({{0, kFuzzRam}, {kFuzzHigh, 0x1000}});
  auto irq = std::make_shared<FakeInterruptLine>();
  auto transport = virtio::MmioTransport::Create(device, ram.memory(), irq, nullptr);
  if (!transport.ok()) __builtin_trap();
  virtio::MmioTransport& t = **transport;
  auto driver = std::make_unique<FakeDriver>(t, ram, 0x1000, kFuzzRam);
  auto has_queue = [&] { return driver->has_queue(0) && (t.status() & VIRTIO_CONFIG_S_DRIVER_OK); };
  const int actions = hooks.device_action ? 7 : 6;
  for (int steps = 0; !in.empty() && steps < 256; ++steps) {
    switch (in.U8() % actions) {
      case 0: {  // register write
        uint64_t offset = in.U16() % virtio::kMmioWindowSize;
        size_t width = size_t{1} << (in.U8() % 4);
        offset = std::min<uint64_t>(offset, virtio::kMmioWindowSize - width);
        uint64_t value = in.U64();
        t.Write(offset, {reinterpret_cast<const uint8_t*>(&value), width});
        break;
      }
      case 1: {  // the guest scribbles over its memory
        GuestAddress addr = in.U16() % kFuzzRam;
        std::span<const uint8_t> bytes = in.Bytes(in.U8() % 32);
        (void)ram.memory().Write(addr, bytes.data(), std::min<uint64_t>(bytes.size(), kFuzzRam - addr));
        break;
      }
      case 2:  // a well-behaved driver, so the rest of the input starts from a live device
        driver = std::make_unique<FakeDriver>(t, ram, 0x1000, kFuzzRam);
        driver->Reset();
        // Every queue the device has (net and vsock need all of theirs), all one size.
        (void)driver->BringUp(driver->DeviceFeatures(),
                              std::vector<uint16_t>(device->queue_max_sizes().size(),
                                                    static_cast<uint16_t>(1u << (in.U8() % 9))));
        break;
      case 3: {  // a chain, well-formed or not
        if (has_queue()) {
          FakeQueueDriver& q = driver->queue(0);
          std::vector<Buffer> buffers(1 + in.U8() % std::min<uint16_t>(4, q.layout().size));
          for (Buffer& b : buffers) b = {FuzzAddress(in), in.U32(), (in.U8() & 1) != 0};
          if (in.U8() & 1) {
            q.AddIndirectChain(buffers, in.U16() % (kFuzzRam - 64) & ~uint64_t{15});
          } else {
            q.AddChain(buffers);
          }
          driver->Kick(0);
        }
        break;
      }
      case 4:
        hooks.process();
        for (int i = 0; i < 300 && has_queue() && driver->queue(0).PopUsed(); ++i) {
        }
        break;
      case 5:
        if (in.U8() & 1) t.Reset(); else driver->Reset();
        break;
      case 6:
        if (has_queue()) hooks.device_action(in, *driver);
        break;
    }
  }
}

}  // namespace hull::devices::testing
