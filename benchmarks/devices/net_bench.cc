// virtio-net frames per second through a real tap (issue 3 item 10), in a network
// namespace the benchmark makes (so it needs root; without it each benchmark reports
// an error and is skipped): transmit (chains posted by the fake driver, one kick per
// batch, NetDevice writing each frame to the tap) against plain write(2) of the same
// frames to a tap, and receive (frames sent into the tap through an AF_PACKET socket,
// rx buffers posted, NetDevice reading them into the guest's buffers) against the
// same sends followed by plain read(2)s from a tap. 64-byte and 1500-byte frames
// (Ethernet header included; the 12-byte virtio_net_hdr_v1 comes on top). The device
// runs on the caller's thread, so the ratio is what the device adds to the syscall.
#include <benchmark/benchmark.h>
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/logging.h"
#include "devices/net/frame.h"
#include "devices/net/net_device.h"
#include "devices/net/tap.h"
#include "devices/net/test_netns.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::net {
namespace {

using devices::testing::Buffer;

constexpr int kBatch = 32;  // frames per kick; well below the tap's 500-frame queue
constexpr uint32_t kRxBufferBytes = 2048;

// The namespace every benchmark's taps live in, entered once by the benchmark thread
// and left when the process exits. Empty string when that worked, else why not.
const std::string& NetnsError() {
  static std::string error = [] {
    base::SetLogLevel(base::LogLevel::kError);
    if (std::string why = devices::testing::TapUnavailableReason(); !why.empty()) return why;
    static auto netns = devices::testing::ScopedNetns::Enter();
    return netns.ok() ? std::string() : netns.status().message();
  }();
  return error;
}

// kNetHeaderSize zero bytes, then a broadcast Ethernet frame of `ethernet_bytes` (>= 14).
std::vector<uint8_t> Frame(size_t ethernet_bytes) {
  std::vector<uint8_t> frame(kNetHeaderSize, 0);
  for (int i = 0; i < 6; ++i) frame.push_back(0xff);
  for (uint8_t b : {0x02, 0, 0, 0, 0, 0x01}) frame.push_back(b);
  frame.push_back(devices::testing::kTestEtherType >> 8);
  frame.push_back(devices::testing::kTestEtherType & 0xff);
  frame.resize(kNetHeaderSize + ethernet_bytes, 0x42);
  return frame;
}

// A tap that is up, with a packet socket on it, named after `tag`.
struct TapRig {
  std::unique_ptr<Tap> tap;
  base::UniqueFd packets;
  static std::unique_ptr<TapRig> Make(const std::string& name, std::string* error) {
    auto rig = std::make_unique<TapRig>();
    auto tap = Tap::Open(name);
    if (!tap.ok()) return *error = tap.status().message(), nullptr;
    if (base::Status s = devices::testing::SetLinkUp(name); !s.ok()) return *error = s.message(), nullptr;
    auto packets = devices::testing::PacketSocket(name);
    if (!packets.ok()) return *error = packets.status().message(), nullptr;
    rig->tap = std::move(*tap);
    rig->packets = std::move(*packets);
    return rig;
  }
};

// A NetDevice over a tap, brought up by the fake driver (VERSION_1 only).
struct DeviceRig {
  devices::testing::FakeGuestMemory ram;
  base::UniqueFd packets;
  std::shared_ptr<NetDevice> device;
  std::shared_ptr<virtio::MmioTransport> transport;
  std::unique_ptr<devices::testing::FakeDriver> driver;
};

std::unique_ptr<DeviceRig> MakeDeviceRig(const std::string& name, std::string* error) {
  std::unique_ptr<TapRig> tap = TapRig::Make(name, error);
  if (!tap) return nullptr;
  auto rig = std::make_unique<DeviceRig>();
  rig->packets = std::move(tap->packets);
  rig->device = std::make_shared<NetDevice>(std::move(tap->tap), MacAddress{0x02, 0, 0, 0, 0, 0x01});
  auto t = virtio::MmioTransport::Create(rig->device, rig->ram.memory(),
                                         std::make_shared<devices::testing::FakeInterruptLine>(), nullptr);
  if (!t.ok()) return *error = t.status().message(), nullptr;
  rig->transport = *t;
  rig->driver = std::make_unique<devices::testing::FakeDriver>(*rig->transport, rig->ram.memory());
  if (!rig->driver->BringUp(Bit(VIRTIO_F_VERSION_1), {kNetQueueSize, kNetQueueSize}).ok()) {
    return *error = "bring-up failed", nullptr;
  }
  return rig;
}

void Report(benchmark::State& state, int64_t frames, size_t bytes) {
  state.SetItemsProcessed(frames);
  state.SetBytesProcessed(frames * static_cast<int64_t>(bytes));
}

void BM_TapWrite(benchmark::State& state) {
  if (!NetnsError().empty()) return state.SkipWithError(NetnsError().c_str());
  std::string error;
  auto rig = TapRig::Make("hullbw" + std::to_string(state.range(0)), &error);
  if (!rig) return state.SkipWithError(error.c_str());
  std::vector<uint8_t> frame = Frame(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      if (write(rig->tap->fd(), frame.data(), frame.size()) < 0) return state.SkipWithError("write");
    }
  }
  Report(state, static_cast<int64_t>(state.iterations()) * kBatch, frame.size() - kNetHeaderSize);
}

void BM_VirtioNetTx(benchmark::State& state) {
  if (!NetnsError().empty()) return state.SkipWithError(NetnsError().c_str());
  std::string error;
  auto rig = MakeDeviceRig("hulldt" + std::to_string(state.range(0)), &error);
  if (!rig) return state.SkipWithError(error.c_str());
  std::vector<uint8_t> frame = Frame(static_cast<size_t>(state.range(0)));
  Buffer buffer = rig->driver->Readable(frame);
  devices::testing::FakeQueueDriver& tx = rig->driver->queue(kTxQueue);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) tx.AddChain({&buffer, 1});
    rig->driver->Kick(kTxQueue);
    rig->device->ProcessQueue(kTxQueue);
    int used = 0;
    while (tx.PopUsed()) ++used;
    if (used != kBatch) return state.SkipWithError("the device did not return every chain");
  }
  NetStats stats = rig->device->stats();
  if (stats.tx_dropped != 0) return state.SkipWithError("the device dropped frames");
  Report(state, static_cast<int64_t>(stats.tx_frames), frame.size() - kNetHeaderSize);
}

// Sends kBatch frames into the tap (as the host's stack would deliver them to the VM).
bool SendBatch(int packets, const std::vector<uint8_t>& frame) {
  for (int i = 0; i < kBatch; ++i) {
    if (send(packets, frame.data() + kNetHeaderSize, frame.size() - kNetHeaderSize, 0) < 0) return false;
  }
  return true;
}

void BM_TapRead(benchmark::State& state) {
  if (!NetnsError().empty()) return state.SkipWithError(NetnsError().c_str());
  std::string error;
  auto rig = TapRig::Make("hullbr" + std::to_string(state.range(0)), &error);
  if (!rig) return state.SkipWithError(error.c_str());
  std::vector<uint8_t> frame = Frame(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> in(kMaxFrameBytes);
  int64_t frames = 0;
  for (auto _ : state) {
    if (!SendBatch(rig->packets.get(), frame)) return state.SkipWithError("send");
    for (int i = 0; i < kBatch; ++i) {
      if (read(rig->tap->fd(), in.data(), in.size()) > 0) ++frames;
    }
  }
  if (frames < static_cast<int64_t>(state.iterations()) * kBatch * 9 / 10) {
    return state.SkipWithError("frames went missing");
  }
  Report(state, frames, frame.size() - kNetHeaderSize);
}

void BM_VirtioNetRx(benchmark::State& state) {
  if (!NetnsError().empty()) return state.SkipWithError(NetnsError().c_str());
  std::string error;
  auto rig = MakeDeviceRig("hulldr" + std::to_string(state.range(0)), &error);
  if (!rig) return state.SkipWithError(error.c_str());
  std::vector<uint8_t> frame = Frame(static_cast<size_t>(state.range(0)));
  devices::testing::FakeQueueDriver& rx = rig->driver->queue(kRxQueue);
  std::vector<Buffer> buffers;
  for (int i = 0; i < kBatch; ++i) buffers.push_back(rig->driver->Writable(kRxBufferBytes));
  int64_t frames = 0;
  for (auto _ : state) {
    if (!SendBatch(rig->packets.get(), frame)) return state.SkipWithError("send");
    for (const Buffer& b : buffers) rx.AddChain({&b, 1});
    rig->driver->Kick(kRxQueue);
    rig->device->ProcessQueue(kRxQueue);
    while (rx.PopUsed()) ++frames;
  }
  if (frames < static_cast<int64_t>(state.iterations()) * kBatch * 9 / 10) {
    return state.SkipWithError("frames went missing");
  }
  Report(state, frames, frame.size() - kNetHeaderSize);
}

BENCHMARK(BM_TapWrite)->Arg(64)->Arg(1500)->UseRealTime();
BENCHMARK(BM_VirtioNetTx)->Arg(64)->Arg(1500)->UseRealTime();
BENCHMARK(BM_TapRead)->Arg(64)->Arg(1500)->UseRealTime();
BENCHMARK(BM_VirtioNetRx)->Arg(64)->Arg(1500)->UseRealTime();

}  // namespace
}  // namespace hull::devices::net
