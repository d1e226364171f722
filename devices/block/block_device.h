// BlockDevice: virtio-blk (virtio 1.2, section 5.2) over a Disk backend — one request
// queue; read, write, flush, get-id, discard and write-zeroes; read-only disks. The
// device owns config space and features; request.h turns chains into typed requests;
// the Disk (raw_disk.h, cow_disk.h) does the I/O.
//
// Where I/O runs: each drive has its own worker thread, started at Activate and woken
// by the queue's kick eventfd (a KVM ioeventfd, so a kick costs the vCPU no exit to
// user space). Disk I/O can block for milliseconds (page-cache misses, fdatasync), so
// it runs neither on vCPU threads nor on the VM's shared event loop, where it would
// stall net and vsock; a thread per drive keeps each drive's requests in order with
// plain preadv/pwritev. (io_uring would save the thread, but liburing 2.3 in Debian 12
// adds a dependency for no gain at one in-flight queue per drive.)
//
// Threads: the transport calls the VirtioDevice methods from vCPU threads, one at a
// time. After Activate the worker owns the queue and the Disk; Reset asks it to stop
// (an eventfd, checked between requests) and joins it, so when Reset returns no request
// is in progress. Statistics are atomics. With `Options::worker = false` there is no
// thread and Process() drains the queue on the caller's thread (tests, fuzzers).
//
// Rate limiting: every request asks the drive's RateLimiter (one op, and the data bytes
// of a read or write). When it is throttled the request goes back on the ring
// (UndoPop), notifications stay off, and the worker sleeps in poll on the limiter's
// timerfd beside the kick and stop fds; when the timer fires it drains again. Nothing
// is dropped and nothing spins.
#pragma once

#include "devices/virtio/virtio_uapi.h"
#include <linux/virtio_blk.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/event_fd.h"
#include "devices/block/disk.h"
#include "devices/block/request.h"
#include "devices/rate_limiter/rate_limiter.h"
#include "devices/virtio/virtio_device.h"

namespace hull::devices::block {

inline constexpr uint16_t kBlockQueueSize = 256;

class BlockDevice final : public virtio::VirtioDevice {
 public:
  struct Options {
    std::string id;          // GET_ID answer (at most 20 bytes are sent)
    bool read_only = false;  // VIRTIO_BLK_F_RO; writes answer IOERR
    bool writeback = false;  // VIRTIO_BLK_F_FLUSH offered; flush = fdatasync
    bool worker = true;      // false: no thread, the caller runs Process()
    // Called first on each worker thread, before it takes a request: hull-vmm installs
    // the worker's seccomp filter here (vmm/seccomp/thread_filters.h).
    std::function<void()> on_worker_start;
    // The drive's limiter (null: Create makes an unlimited one, changeable later).
    std::shared_ptr<rate_limiter::RateLimiter> rate_limiter;
  };

  // Counters since creation, for metrics; relaxed atomics, read from any thread.
  struct Counters {
    uint64_t read_count = 0, read_bytes = 0;
    uint64_t write_count = 0, write_bytes = 0;
    uint64_t flush_count = 0;
    uint64_t errors = 0;            // requests answered IOERR / UNSUPP
    uint64_t throttled_events = 0;  // times the limiter stopped the drive
  };

  // Logs (once) when the disk's size is not a whole number of sectors.
  static base::Result<std::shared_ptr<BlockDevice>> Create(std::unique_ptr<Disk> disk,
                                                           Options options);
  ~BlockDevice() override;

  uint32_t device_type() const override { return VIRTIO_ID_BLOCK; }
  uint64_t avail_features() const override { return features_; }
  std::vector<uint16_t> queue_max_sizes() const override { return {kBlockQueueSize}; }
  uint32_t config_size() const override { return sizeof(config_); }
  void ReadConfig(uint32_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint32_t offset, std::span<const uint8_t> data) override;
  base::Status Activate(virtio::ActivationContext context) override;
  void Reset() override;

  // Without a worker: drains the queue now. With one: does nothing.
  void Process();
  // Without a worker: the limiter's timer fired (tests call it once their fake clock
  // passed the expiry); drains again. With one: does nothing.
  void RateLimiterTimerFired();

  const std::string& id() const { return options_.id; }
  rate_limiter::RateLimiter& rate_limiter() const { return *options_.rate_limiter; }
  Counters counters() const;

  uint64_t capacity_sectors() const { return capacity_; }
  // Requests completed, and the nanoseconds the device spent on them (parsing, I/O and
  // the used ring), since creation.
  uint64_t requests() const { return requests_.load(); }
  uint64_t busy_ns() const { return busy_ns_.load(); }
  // Of busy_ns, the nanoseconds spent inside the Disk (the host I/O itself): the rest
  // is what the device adds to each request.
  uint64_t io_ns() const { return io_ns_.load(); }
  // Requests answered IOERR / UNSUPP.
  uint64_t errors() const { return errors_.load(); }

 private:
  BlockDevice(std::unique_ptr<Disk> disk, Options options);
  void RunWorker();
  // Drains the queue; false after a driver error (reported, device stopped).
  bool Drain();
  base::Status DrainOnce();
  // Runs one request; returns the used length.
  base::Result<uint32_t> Serve(const Request& request);
  // Asks the rate limiter for `request`; false: throttled.
  bool Admit(const Request& request);
  base::Status SignalIfNeeded();
  uint8_t Execute(const Request& r, uint32_t* written);
  void Count(const Request& r, uint8_t status);

  std::unique_ptr<Disk> disk_;
  Options options_;  // const after Create
  uint64_t capacity_ = 0;
  uint64_t features_ = 0;
  virtio_blk_config config_{};

  // Guarded by mutex_ (vCPU threads, and Process without a worker); while a worker
  // runs, context_ and failed_ are its alone.
  std::mutex mutex_;
  std::optional<virtio::ActivationContext> context_;
  DiskLimits limits_;
  bool failed_ = false;
  base::EventFd stop_;
  std::thread worker_;
  std::atomic<bool> stopping_{false};

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> busy_ns_{0};
  std::atomic<uint64_t> io_ns_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> warnings_{0};
  std::atomic<uint64_t> read_count_{0}, read_bytes_{0}, write_count_{0}, write_bytes_{0};
  std::atomic<uint64_t> flush_count_{0};
};

}  // namespace hull::devices::block
