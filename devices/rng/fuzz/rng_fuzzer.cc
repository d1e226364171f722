// Fuzz target: a hostile driver against virtio-rng behind the virtio-mmio transport,
// through the shared harness (devices/testing/device_fuzzer.h).
#include <cstdint>
#include <memory>

#include "devices/rng/rng_device.h"
#include "devices/testing/device_fuzzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::devices;
  testing::QuietFuzzLogs();
  testing::FuzzInput in(data, size);
  auto device = std::make_shared<rng::RngDevice>();
  testing::RunDeviceFuzzer(in, device, {.process = [&] { device->Process(); }});
  return 0;
}
