// Fuzz target: a hostile driver against virtio-net behind the virtio-mmio transport,
// through the shared harness (devices/testing/device_fuzzer.h), over an in-memory
// backend. The device-specific action either makes frames arrive from the backend
// (fuzzed length and header) or posts a chain on the receive or transmit queue with a
// real virtio_net_hdr_v1 whose fields are fuzzed, to get past the header checks.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "devices/net/frame.h"
#include "devices/net/memory_backend.h"
#include "devices/net/net_device.h"
#include "devices/testing/device_fuzzer.h"

namespace hull::devices::net {
namespace {

void DeviceAction(testing::FuzzInput& in, testing::FakeDriver& driver, MemoryBackend& backend,
                  NetDevice& device) {
  uint8_t what = in.U8();
  if (what % 3 == 0) {  // frames from the outside world
    uint32_t len = (what & 0x80) ? in.U16() % (kMaxFrameBytes + 64) : in.U8();
    std::vector<uint8_t> frame(len, 0x5a);
    auto head = in.Bytes(std::min<size_t>(len, 16));
    if (!head.empty()) std::memcpy(frame.data(), head.data(), head.size());
    backend.Inject(std::move(frame));
    device.BackendReadable();
    return;
  }
  uint16_t queue = what % 3 == 1 ? kTxQueue : kRxQueue;
  if (!driver.has_queue(queue)) return;
  virtio_net_hdr_v1 header{};
  header.flags = in.U8();
  header.gso_type = in.U8();
  header.hdr_len = in.U16();
  header.gso_size = in.U16();
  header.csum_start = in.U16();
  header.csum_offset = in.U16();
  auto extra = in.Bytes(in.U8() % 64);
  std::vector<uint8_t> first(sizeof(header) + extra.size());
  std::memcpy(first.data(), &header, sizeof(header));
  if (!extra.empty()) std::memcpy(first.data() + sizeof(header), extra.data(), extra.size());
  std::vector<testing::Buffer> chain;
  if (queue == kTxQueue) chain.push_back(driver.Readable(first));
  uint8_t parts = in.U8() % 4;
  for (uint8_t i = 0; i < parts; ++i) {
    uint32_t len = in.U8() % 4 == 0 ? in.U32() : in.U16() % 2048;
    GuestAddress addr = in.U8() % 8 == 0 ? testing::FuzzAddress(in) : 0x8000 + in.U16() % 0x7000;
    chain.push_back({addr, len, queue == kRxQueue || (in.U8() % 4) == 0});
  }
  // The fake driver writes a chain into consecutive descriptors: at most the queue size.
  if (chain.size() > driver.queue(queue).layout().size) chain.resize(driver.queue(queue).layout().size);
  if (chain.empty()) return;
  driver.queue(queue).AddChain(chain);
  driver.Kick(queue);
  device.ProcessQueue(queue);
}

}  // namespace
}  // namespace hull::devices::net

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::devices;
  testing::QuietFuzzLogs();
  testing::FuzzInput in(data, size);
  auto owned = std::make_unique<net::MemoryBackend>();
  net::MemoryBackend& backend = *owned;
  backend.keep_sent = false;
  auto device = std::make_shared<net::NetDevice>(std::move(owned), net::MacAddress{2, 0, 0, 0, 0, 1});
  testing::RunDeviceFuzzer(
      in, device,
      {.process =
           [&] {
             device->ProcessQueue(net::kRxQueue);
             device->ProcessQueue(net::kTxQueue);
             device->BackendReadable();
           },
       .device_action = [&](testing::FuzzInput& fuzz, testing::FakeDriver& driver) {
         net::DeviceAction(fuzz, driver, backend, *device);
       }});
  return 0;
}
