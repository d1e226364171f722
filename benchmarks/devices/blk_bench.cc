// virtio-blk against plain pread(2), in one process on one file on tmpfs (/dev/shm):
// 4 KiB random reads and 64 KiB sequential reads. The device side runs as the fake
// driver sees it — chains posted on the ring, one kick per batch, the used ring
// polled — either on the caller's thread ("sync": the device's own cost, nothing
// else) or on the device's worker thread as hull-vmm runs it ("worker": includes the
// wake-up hand-off). Counters: bytes_per_second (compare with pread's for the ratio)
// device_ns_per_req (BlockDevice::busy_ns / requests: parsing, I/O, used ring) and
// device_overhead_ns_per_req (the same without the time inside the Disk, i.e. what the
// device adds to the syscall; measured on the device's own thread, so it holds up on a
// loaded machine better than throughput does).
// Targets (issue 3): ≥ 90 % of pread throughput at 64 KiB; ≤ 2 µs per 4 KiB request.
// Rate-limited runs (issue 8): the worker device under a bandwidth or an ops limit for
// at least 5 s; counter achieved_over_limit = (what was served beyond the bucket's
// initial size) / seconds / limit. Target: within 10 % of 1.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/logging.h"
#include "devices/block/block_device.h"
#include "devices/block/raw_disk.h"
#include "devices/block/test_files.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"

namespace hull::devices::block {
namespace {

using devices::testing::Buffer;

constexpr uint64_t kFileSize = 64ull << 20;
constexpr uint64_t kRam = 32ull << 20;
constexpr uint16_t kQueueSize = 256;
constexpr int kBatch = 32;  // requests per kick (3 descriptors each)

struct Shape {
  uint32_t block;   // bytes per request
  bool random;      // random block-aligned offsets, else sequential
};
constexpr Shape k4kRandom{4096, true};
constexpr Shape k64kSequential{64 * 1024, false};

// The image file, made once per process on /dev/shm (tmpfs) and unlinked at once, so a
// killed run leaves nothing behind: both sides open it as /proc/self/fd/N.
const std::string& ImagePath() {
  static std::string path = [] {
    testing::TempDir dir("/dev/shm");
    testing::WriteFile(dir.Path("image"), testing::PatternBytes(kFileSize, 1));
    static base::UniqueFd keep(open(dir.Path("image").c_str(), O_RDONLY | O_CLOEXEC));
    return "/proc/self/fd/" + std::to_string(keep.get());
  }();
  return path;
}

// Offsets of request i: random (a fixed LCG, the same for both sides) or sequential.
class Offsets {
 public:
  explicit Offsets(Shape shape) : shape_(shape) {}
  uint64_t Next() {
    const uint64_t blocks = kFileSize / shape_.block;
    if (shape_.random) {
      state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
      return ((state_ >> 33) % blocks) * shape_.block;
    }
    uint64_t at = (n_++ % blocks) * shape_.block;
    return at;
  }

 private:
  Shape shape_;
  uint64_t state_ = 12345;
  uint64_t n_ = 0;
};

void BM_Pread(benchmark::State& state, Shape shape) {
  int fd = open(ImagePath().c_str(), O_RDONLY | O_CLOEXEC);
  base::UniqueFd owned(fd);
  // As many distinct buffers as the device has requests in flight, so both sides touch
  // the same amount of memory (one reused buffer would stay in the CPU's cache).
  std::vector<uint8_t> buffer(uint64_t{shape.block} * kBatch, 1);
  Offsets offsets(shape);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      uint8_t* into = buffer.data() + uint64_t{shape.block} * i;
      if (pread(fd, into, shape.block, static_cast<off_t>(offsets.Next())) !=
          static_cast<ssize_t>(shape.block)) {
        state.SkipWithError("pread failed");
        return;
      }
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBatch * shape.block);
  state.counters["requests_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kBatch, benchmark::Counter::kIsRate);
}

// A limit of `amount` bytes (or, with ops, requests) per second, in a bucket that holds
// `refill_ms` of it.
rate_limiter::RateLimiterConfig PerSecond(uint64_t amount, bool ops, uint64_t refill_ms) {
  rate_limiter::TokenBucketConfig bucket{.size = amount * refill_ms / 1000,
                                         .refill_time_ms = refill_ms};
  return ops ? rate_limiter::RateLimiterConfig{.ops = bucket}
             : rate_limiter::RateLimiterConfig{.bandwidth = bucket};
}

void BM_VirtioBlk(benchmark::State& state, Shape shape, bool worker,
                  rate_limiter::RateLimiterConfig limit = {}) {
  base::SetLogLevel(base::LogLevel::kWarning);
  devices::testing::FakeGuestMemory ram({{0, kRam}});
  auto disk = RawDisk::Open(ImagePath(), true);
  if (!disk.ok()) {
    state.SkipWithError(disk.status().message().c_str());
    return;
  }
  auto limiter = rate_limiter::RateLimiter::Create(limit);
  if (!limiter.ok()) {
    state.SkipWithError(limiter.status().message().c_str());
    return;
  }
  auto device = BlockDevice::Create(
      std::move(*disk),
      {.id = "bench", .read_only = true, .worker = worker, .rate_limiter = *limiter});
  auto irq = std::make_shared<devices::testing::FakeInterruptLine>();
  auto transport = virtio::MmioTransport::Create(*device, ram.memory(), irq, nullptr);
  devices::testing::FakeDriver driver(**transport, ram.memory(), 0x10000, kRam);
  if (!driver.BringUp(driver.DeviceFeatures() | (1ull << VIRTIO_F_VERSION_1), {kQueueSize}).ok()) {
    state.SkipWithError("bring-up failed");
    return;
  }
  // Fixed buffers per slot of the batch; headers are rewritten for each request.
  struct Slot {
    Buffer header, data, status;
  };
  std::vector<Slot> slots;
  for (int i = 0; i < kBatch; ++i) {
    virtio_blk_outhdr h{VIRTIO_BLK_T_IN, 0, 0};
    slots.push_back({driver.Readable({reinterpret_cast<const uint8_t*>(&h), sizeof(h)}),
                     driver.Writable(shape.block), driver.Writable(1)});
  }
  Offsets offsets(shape);
  auto& queue = driver.queue(0);
  const uint64_t requests_before = (*device)->requests();
  const uint64_t busy_before = (*device)->busy_ns();
  const uint64_t io_before = (*device)->io_ns();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (Slot& s : slots) {
      uint64_t sector = offsets.Next() / kSectorSize;
      (void)ram.memory().Write(s.header.addr + 8, &sector, sizeof(sector));
      Buffer chain[] = {s.header, s.data, s.status};
      queue.AddChain(chain);
    }
    driver.Kick(0);
    (*device)->Process();  // a no-op with a worker
    for (int done = 0; done < kBatch;) {
      if (queue.PopUsed()) {
        ++done;
      } else if (worker) {
        sched_yield();  // like a vCPU halting until the interrupt: leave the CPU to the worker
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t requests = (*device)->requests() - requests_before;
  if (limit.limited()) {
    const bool ops = limit.ops.limited();
    const double served = ops ? static_cast<double>(requests)
                              : static_cast<double>(requests) * shape.block;
    const auto& bucket = ops ? limit.ops : limit.bandwidth;
    const double per_second = static_cast<double>(bucket.size) * 1000.0 / bucket.refill_time_ms;
    state.counters["achieved_over_limit"] =
        (served - static_cast<double>(bucket.size)) / seconds / per_second;
    state.counters["throttled_events"] =
        static_cast<double>((*device)->counters().throttled_events);
  }
  if ((*device)->errors() != 0) state.SkipWithError("the device answered errors");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBatch * shape.block);
  state.counters["requests_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kBatch, benchmark::Counter::kIsRate);
  const double n = requests == 0 ? 1.0 : static_cast<double>(requests);
  const double busy = static_cast<double>((*device)->busy_ns() - busy_before);
  const double io = static_cast<double>((*device)->io_ns() - io_before);
  state.counters["device_ns_per_req"] = busy / n;         // parsing + I/O + used ring
  state.counters["device_overhead_ns_per_req"] = (busy - io) / n;  // all but the I/O itself
  driver.Reset();
}

// Wall-clock time throughout: the worker variant spends its time on another thread.
BENCHMARK_CAPTURE(BM_Pread, 4k_random, k4kRandom)->UseRealTime();
BENCHMARK_CAPTURE(BM_VirtioBlk, 4k_random_sync, k4kRandom, false)->UseRealTime();
BENCHMARK_CAPTURE(BM_VirtioBlk, 4k_random_worker, k4kRandom, true)->UseRealTime();
BENCHMARK_CAPTURE(BM_Pread, 64k_sequential, k64kSequential)->UseRealTime();
BENCHMARK_CAPTURE(BM_VirtioBlk, 64k_sequential_sync, k64kSequential, false)->UseRealTime();
BENCHMARK_CAPTURE(BM_VirtioBlk, 64k_sequential_worker, k64kSequential, true)->UseRealTime();
// Under the rate limiter, once each (at least 5 s): far below what the device can do.
// The buckets hold 1 s of the limit, so a stall of the benchmark's own driver thread on
// a loaded machine does not cost tokens (with 100 ms buckets, load 15 on 2 cores gave
// 0.96-0.99 for bandwidth and 0.91 for ops: the driver, not the device, fell behind).
BENCHMARK_CAPTURE(BM_VirtioBlk, 64k_sequential_limited_100MiBps, k64kSequential, true,
                  PerSecond(100ull << 20, false, 1000))
    ->UseRealTime()->MinTime(5)->Repetitions(1);
BENCHMARK_CAPTURE(BM_VirtioBlk, 4k_random_limited_5kops, k4kRandom, true,
                  PerSecond(5000, true, 1000))
    ->UseRealTime()->MinTime(5)->Repetitions(1);

}  // namespace
}  // namespace hull::devices::block
