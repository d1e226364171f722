// The fuzz harness every virtio device fuzzer shares: a hostile driver, decoded from
// the fuzzer's bytes, against one VirtioDevice behind the virtio-mmio transport in a
// small fake guest memory — register writes, raw writes into guest memory (where the
// rings live), well-formed bring-ups, chains of fuzzed buffers (direct or indirect),
// device work, resets, and an optional device-specific action. ASan and UBSan catch
// host memory errors; a hang or an abort is a crash too.
//
// Test code; single-threaded unless the device runs its own worker.
#pragma once

#include <functional>
#include <memory>

#include "devices/testing/fake_driver.h"
#include "devices/testing/fuzz_input.h"
#include "devices/virtio/virtio_device.h"

namespace hull::devices::testing {

inline constexpr uint64_t kFuzzRam = 64u << 10;    // first region: [0, 64 KiB)
inline constexpr uint64_t kFuzzHigh = 1ull << 32;  // second region: [4 GiB, 4 GiB + 4 KiB)

struct DeviceFuzzHooks {
  // Lets the device run what the driver queued (e.g. SingleQueueDevice::Process).
  std::function<void()> process;
  // Optional: a device-specific action (e.g. a well-formed request with fuzzed fields)
  // on queue 0 of a live device. With it, the action byte selects among 7 actions,
  // without it among 6 (so corpora of devices without one keep their meaning).
  std::function<void(FuzzInput&, FakeDriver&)> device_action;
};

// An address that is usually inside the fuzz memory, sometimes at its edges or far out.
GuestAddress FuzzAddress(FuzzInput& in);

// Runs up to 256 actions from `in` against `device`.
void RunDeviceFuzzer(FuzzInput& in, std::shared_ptr<virtio::VirtioDevice> device,
                     const DeviceFuzzHooks& hooks);

// Call first in LLVMFuzzerTestOneInput: silences hull's log.
void QuietFuzzLogs();

}  // namespace hull::devices::testing
