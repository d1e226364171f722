#include "devices/block/block_device.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/logging.h"

namespace hull::devices::block {
namespace {

uint64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

constexpr uint64_t Bit(unsigned n) { return uint64_t{1} << n; }

// Warnings about requests are rate-limited per device (a guest can send millions).
constexpr uint64_t kMaxWarnings = 32;

}  // namespace

base::Result<std::shared_ptr<BlockDevice>> BlockDevice::Create(std::unique_ptr<Disk> disk,
                                                               Options options) {
  if (!disk) return base::Status::Error("virtio-blk: no disk");
  ASSIGN_OR_RETURN(base::EventFd stop, base::EventFd::Create(EFD_NONBLOCK));
  if (!options.rate_limiter) {
    ASSIGN_OR_RETURN(options.rate_limiter, rate_limiter::RateLimiter::Create({}));
  }
  std::shared_ptr<BlockDevice> device(new BlockDevice(std::move(disk), std::move(options)));
  device->stop_ = std::move(stop);
  return device;
}

BlockDevice::BlockDevice(std::unique_ptr<Disk> disk, Options options)
    : disk_(std::move(disk)), options_(std::move(options)) {
  const uint64_t size = disk_->size();
  capacity_ = size >> kSectorShift;
  if (size % kSectorSize != 0) {
    LOG_WARNING << "virtio-blk " << options_.id << ": disk size " << size
                << " is not a multiple of 512; the last " << size % kSectorSize
                << " bytes are not visible to the guest";
  }
  features_ = Bit(VIRTIO_BLK_F_SEG_MAX) | Bit(VIRTIO_BLK_F_BLK_SIZE);
  if (options_.read_only) features_ |= Bit(VIRTIO_BLK_F_RO);
  if (options_.writeback) features_ |= Bit(VIRTIO_BLK_F_FLUSH);
  if (!options_.read_only) {
    features_ |= Bit(VIRTIO_BLK_F_WRITE_ZEROES);
    if (disk_->supports_discard()) features_ |= Bit(VIRTIO_BLK_F_DISCARD);
  }
  config_.capacity = capacity_;
  config_.seg_max = kBlockQueueSize - 2;  // Linux's rule: the header and status take two
  config_.blk_size = kSectorSize;
  config_.max_discard_sectors = kMaxDiscardSectors;
  config_.max_discard_seg = kMaxDiscardSegments;
  config_.discard_sector_alignment = 1;
  config_.max_write_zeroes_sectors = kMaxDiscardSectors;
  config_.max_write_zeroes_seg = kMaxDiscardSegments;
  config_.write_zeroes_may_unmap = 1;
}

BlockDevice::~BlockDevice() {
  std::lock_guard lock(mutex_);
  if (worker_.joinable()) {
    stopping_ = true;
    (void)stop_.Signal();
    worker_.join();
  }
}

void BlockDevice::ReadConfig(uint32_t offset, std::span<uint8_t> data) {
  // The transport keeps [offset, offset + size) inside config_size().
  std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&config_) + offset, data.size());
}

void BlockDevice::WriteConfig(uint32_t offset, std::span<const uint8_t>) {
  // Only `wce` is writable, and only with VIRTIO_BLK_F_CONFIG_WCE, never offered.
  if (warnings_.fetch_add(1) < kMaxWarnings) {
      LOG_WARNING_LIMITED << "virtio-blk " << options_.id << ": driver wrote read-only config at "
              << offset;
    }
}

base::Status BlockDevice::Activate(virtio::ActivationContext context) {
  std::lock_guard lock(mutex_);
  if (context.queues.empty() || !context.queues[0].has_value() || context.notify.empty()) {
    return base::Status::Error("virtio-blk: the request queue was not enabled");
  }
  limits_.capacity_sectors = capacity_;
  limits_.read_only = options_.read_only;
  limits_.discard = (context.features & Bit(VIRTIO_BLK_F_DISCARD)) != 0;
  limits_.write_zeroes = (context.features & Bit(VIRTIO_BLK_F_WRITE_ZEROES)) != 0;
  context_ = std::move(context);
  failed_ = false;
  if (options_.worker) {
    (void)stop_.Consume();
    stopping_ = false;
    worker_ = std::thread([this] { RunWorker(); });
  }
  return base::Status::Ok();
}

void BlockDevice::Reset() {
  std::lock_guard lock(mutex_);
  if (worker_.joinable()) {
    stopping_ = true;
    (void)stop_.Signal();
    worker_.join();
  }
  context_.reset();
  failed_ = false;
}

void BlockDevice::Process() {
  std::lock_guard lock(mutex_);
  if (options_.worker || !context_ || failed_) return;
  (void)context_->notify[0]->Consume();
  Drain();
}

void BlockDevice::RateLimiterTimerFired() {
  std::lock_guard lock(mutex_);
  if (options_.worker || !context_ || failed_) return;
  options_.rate_limiter->TimerFired();
  Drain();
}

BlockDevice::Counters BlockDevice::counters() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return {.read_count = read_count_.load(kRelaxed),
          .read_bytes = read_bytes_.load(kRelaxed),
          .write_count = write_count_.load(kRelaxed),
          .write_bytes = write_bytes_.load(kRelaxed),
          .flush_count = flush_count_.load(kRelaxed),
          .errors = errors_.load(kRelaxed),
          .throttled_events = options_.rate_limiter->throttled_events()};
}

void BlockDevice::RunWorker() {
  if (options_.on_worker_start) options_.on_worker_start();
  rate_limiter::RateLimiter& limiter = *options_.rate_limiter;
  pollfd fds[3] = {{context_->notify[0]->fd(), POLLIN, 0},
                   {stop_.fd(), POLLIN, 0},
                   {limiter.timer_fd(), POLLIN, 0}};
  while (!stopping_) {
    int n = poll(fds, 3, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      LOG_ERROR_LIMITED << "virtio-blk " << options_.id << ": poll: " << std::strerror(errno);
      return;
    }
    if (fds[1].revents != 0 || stopping_) return;
    if (fds[2].revents != 0) limiter.TimerFired();
    if (fds[0].revents != 0) (void)context_->notify[0]->Consume();
    if (!Drain()) return;  // DEVICE_NEEDS_RESET: nothing more until Reset
  }
}

bool BlockDevice::Drain() {
  if (base::Status s = DrainOnce(); !s.ok()) {
    failed_ = true;
    context_->signals->ReportDriverError(s);
    return false;
  }
  return true;
}

base::Status BlockDevice::DrainOnce() {
  virtio::Queue& queue = *context_->queues[0];
  for (;;) {
    RETURN_IF_ERROR(queue.DisableNotification());
    for (;;) {
      if (stopping_) return base::Status::Ok();
      ASSIGN_OR_RETURN(std::optional<virtio::DescriptorChain> chain, queue.Pop());
      if (!chain) break;
      ASSIGN_OR_RETURN(Request request, ParseRequest(context_->memory, *chain, limits_));
      if (!Admit(request)) {
        // Throttled: the request stays on the ring, notifications stay off, and the
        // limiter's timer wakes the worker.
        queue.UndoPop();
        return SignalIfNeeded();
      }
      ASSIGN_OR_RETURN(uint32_t used, Serve(request));
      RETURN_IF_ERROR(queue.AddUsed(chain->head(), used));
    }
    ASSIGN_OR_RETURN(bool more, queue.EnableNotification());
    if (!more) break;
  }
  return SignalIfNeeded();
}

bool BlockDevice::Admit(const Request& r) {
  bool data = r.kind == Request::Kind::kRead || r.kind == Request::Kind::kWrite;
  return options_.rate_limiter->Consume(data ? r.data_len : 0);
}

base::Status BlockDevice::SignalIfNeeded() {
  ASSIGN_OR_RETURN(bool interrupt, context_->queues[0]->NeedsInterrupt());
  if (interrupt) context_->signals->SignalUsedBuffers();
  return base::Status::Ok();
}

base::Result<uint32_t> BlockDevice::Serve(const Request& r) {
  const uint64_t start = NowNs();
  uint32_t written = 0;
  uint8_t status = Execute(r, &written);
  *r.status_byte = status;
  Count(r, status);
  busy_ns_.fetch_add(NowNs() - start, std::memory_order_relaxed);
  return written + 1;  // the data bytes the device wrote, and the status byte
}

void BlockDevice::Count(const Request& r, uint8_t status) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  requests_.fetch_add(1, kRelaxed);
  if (status != VIRTIO_BLK_S_OK) {
    errors_.fetch_add(1, kRelaxed);
    return;
  }
  switch (r.kind) {
    case Request::Kind::kRead:
      read_count_.fetch_add(1, kRelaxed);
      read_bytes_.fetch_add(r.data_len, kRelaxed);
      break;
    case Request::Kind::kWrite:
      write_count_.fetch_add(1, kRelaxed);
      write_bytes_.fetch_add(r.data_len, kRelaxed);
      break;
    case Request::Kind::kFlush:
      flush_count_.fetch_add(1, kRelaxed);
      break;
    default:
      break;
  }
}

uint8_t BlockDevice::Execute(const Request& r, uint32_t* written) {
  base::Status s;
  const uint64_t io_start = NowNs();
  switch (r.kind) {
    case Request::Kind::kAnswerOnly:
      if (warnings_.fetch_add(1) < kMaxWarnings) {
      LOG_WARNING_LIMITED << "virtio-blk " << options_.id << ": request type " << r.type << " sector "
                  << r.sector << ": " << r.problem
                  << (r.status == VIRTIO_BLK_S_UNSUPP ? " (UNSUPP)" : " (IOERR)");
    }
      return r.status;
    case Request::Kind::kRead:
      s = disk_->ReadV(r.sector << kSectorShift, r.data);
      if (s.ok()) *written = static_cast<uint32_t>(r.data_len);
      break;
    case Request::Kind::kWrite:
      s = disk_->WriteV(r.sector << kSectorShift, r.data);
      break;
    case Request::Kind::kFlush:
      // With cache_type Unsafe the device offers no FLUSH; a flush anyway is a no-op.
      if (options_.writeback) s = disk_->Flush();
      break;
    case Request::Kind::kGetId: {
      char id[VIRTIO_BLK_ID_BYTES] = {};
      std::memcpy(id, options_.id.data(), std::min(options_.id.size(), sizeof(id)));
      const char* p = id;
      for (const iovec& v : r.data) {
        std::memcpy(v.iov_base, p, v.iov_len);
        p += v.iov_len;
      }
      *written = static_cast<uint32_t>(r.data_len);
      break;
    }
    case Request::Kind::kDiscard:
    case Request::Kind::kWriteZeroes:
      for (const Request::Range& range : r.ranges) {
        if (s = disk_->WriteZeroes(range.offset, range.len); !s.ok()) break;
      }
      break;
  }
  io_ns_.fetch_add(NowNs() - io_start, std::memory_order_relaxed);
  if (!s.ok()) {
    if (warnings_.fetch_add(1) < kMaxWarnings) {
      LOG_WARNING_LIMITED << "virtio-blk " << options_.id << ": request type " << r.type << " sector "
                << r.sector << ": " << s.message();
    }
    *written = 0;
    return VIRTIO_BLK_S_IOERR;
  }
  return VIRTIO_BLK_S_OK;
}

}  // namespace hull::devices::block
