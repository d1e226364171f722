// Fuzz target: a hostile driver against virtio-blk behind the virtio-mmio transport,
// through the shared harness (devices/testing/device_fuzzer.h), over a raw disk or a
// copy-on-write disk (files on /dev/shm, made fresh for each input and unlinked once open). The first input
// byte picks the disk and the options; the device-specific action posts a request
// with a real header and fuzzed type, sector and buffer sizes, to get past parsing.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "devices/block/block_device.h"
#include "devices/block/cow_disk.h"
#include "devices/block/raw_disk.h"
#include "devices/block/test_files.h"
#include "devices/testing/device_fuzzer.h"

namespace hull::devices::block {
namespace {

constexpr uint64_t kDiskSize = 128 * 1024 + 512 + 100;  // two clusters, a sector, a tail

// Fresh files for each input, removed as soon as they are open, so that nothing is
// left behind even when the fuzzer stops on a crash or a timeout.
std::unique_ptr<Disk> OpenDisk(uint8_t choice, bool read_only) {
  testing::TempDir dir(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  testing::WriteFile(dir.Path("disk"), testing::PatternBytes(kDiskSize, 3));
  if (choice & 1) {
    auto cow = CowDisk::Open(dir.Path("disk"), dir.Path("overlay"));
    if (!cow.ok()) __builtin_trap();
    return std::move(*cow);
  }
  auto raw = RawDisk::Open(dir.Path("disk"), read_only);
  if (!raw.ok()) __builtin_trap();
  return std::move(*raw);
}

void PostRequest(devices::testing::FuzzInput& in, devices::testing::FakeDriver& driver) {
  static constexpr uint32_t kTypes[] = {VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
                                        VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD,
                                        VIRTIO_BLK_T_WRITE_ZEROES};
  uint8_t pick = in.U8();
  virtio_blk_outhdr h{pick < 240 ? kTypes[pick % 6] : in.U32(), 0, in.U16()};
  std::vector<uint8_t> header(reinterpret_cast<uint8_t*>(&h), reinterpret_cast<uint8_t*>(&h) + 16);
  // Fuzzed bytes after the header: data for writes, segments for discard.
  auto extra = in.Bytes(in.U8() % 64);
  header.insert(header.end(), extra.begin(), extra.end());
  std::vector<devices::testing::Buffer> chain{driver.Readable(header)};
  const uint16_t queue_size = driver.queue(0).layout().size;
  if (queue_size < 2) return;  // no room for a header and a status
  uint8_t parts = static_cast<uint8_t>(std::min<uint16_t>(in.U8() % 4, queue_size - 2));
  for (uint8_t i = 0; i < parts; ++i) {
    uint32_t len = (in.U8() % 9) * 512 + (in.U8() % 4 == 0 ? in.U8() : 0);
    bool writable = (in.U8() % 4) != 0;
    GuestAddress addr = in.U8() % 8 == 0 ? devices::testing::FuzzAddress(in)
                                         : 0x8000 + in.U16() % 0x7000;
    chain.push_back({addr, len, writable});
  }
  chain.push_back(driver.Writable(1));
  driver.queue(0).AddChain(chain);
  driver.Kick(0);
}

}  // namespace
}  // namespace hull::devices::block

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::devices;
  testing::QuietFuzzLogs();
  testing::FuzzInput in(data, size);
  uint8_t choice = in.U8();
  bool read_only = (choice & 2) != 0;
  auto device = block::BlockDevice::Create(
      block::OpenDisk(choice, read_only),
      {.id = "fuzz", .read_only = read_only, .writeback = (choice & 4) != 0, .worker = false});
  if (!device.ok()) __builtin_trap();
  std::shared_ptr<block::BlockDevice> blk = *device;
  testing::RunDeviceFuzzer(in, blk, {.process = [&] { blk->Process(); },
                                     .device_action = block::PostRequest});
  return 0;
}
