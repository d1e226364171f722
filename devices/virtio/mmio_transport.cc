#include "devices/virtio/mmio_transport.h"

#include "base/hex.h"
#include "devices/virtio/virtio_uapi.h"
#include <sys/eventfd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "base/logging.h"

namespace hull::devices::virtio {
namespace {

using base::Hex;

constexpr uint32_t kMaxWarnings = 32;
constexpr uint64_t kTransportFeatures = (1ull << VIRTIO_F_VERSION_1) |
                                        (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                                        (1ull << VIRTIO_RING_F_EVENT_IDX);
constexpr uint32_t kNeedsReset = VIRTIO_CONFIG_S_NEEDS_RESET;

uint64_t SetHalf(uint64_t value, bool high, uint32_t half) {
  return high ? (value & 0xffffffffull) | (uint64_t{half} << 32)
              : (value & ~0xffffffffull) | half;
}

}  // namespace

base::Result<std::shared_ptr<MmioTransport>> MmioTransport::Create(
    std::shared_ptr<VirtioDevice> device, GuestMemory memory,
    std::shared_ptr<InterruptLine> interrupt, base::EventLoop* loop) {
  if (!device || !interrupt) return base::Status::Error("virtio-mmio: no device or interrupt line");
  std::vector<uint16_t> sizes = device->queue_max_sizes();
  for (uint16_t size : sizes) {
    if (size == 0 || (size & (size - 1)) != 0 || size > kMaxQueueSize) {
      return base::Status::Error("virtio device type " + std::to_string(device->device_type()) +
                                 " declares a queue of size " + std::to_string(size));
    }
  }
  std::shared_ptr<MmioTransport> t(
      new MmioTransport(std::move(device), std::move(memory), std::move(interrupt), loop));
  for (uint16_t size : sizes) {
    ASSIGN_OR_RETURN(base::EventFd fd, base::EventFd::Create(EFD_NONBLOCK));
    t->notify_.push_back(std::move(fd));
    t->queues_.push_back(QueueRegs{.max_size = size, .size = size});
  }
  return t;
}

MmioTransport::MmioTransport(std::shared_ptr<VirtioDevice> device, GuestMemory memory,
                             std::shared_ptr<InterruptLine> interrupt, base::EventLoop* loop)
    : device_(std::move(device)),
      memory_(std::move(memory)),
      interrupt_(std::move(interrupt)),
      loop_(loop),
      device_id_(device_->device_type()),
      offered_features_(device_->avail_features() | kTransportFeatures),
      config_size_(device_->config_size()) {}

MmioTransport::~MmioTransport() {
  std::lock_guard lock(mutex_);
  if (activated_) device_->Reset();
}

void MmioTransport::Warn(const std::string& what) { Log(warnings_, what); }

void MmioTransport::Log(std::atomic<uint32_t>& budget, const std::string& what) {
  uint32_t n = budget.fetch_add(1);
  if (n < kMaxWarnings) {
    LOG_WARNING << "virtio-mmio (device type " << device_id_ << "): " << what;
  } else if (n == kMaxWarnings) {
    LOG_WARNING << "virtio-mmio (device type " << device_id_ << "): further guest errors of this kind not logged";
  }
}

void MmioTransport::Read(uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
  if (offset >= VIRTIO_MMIO_CONFIG) {
    uint64_t at = offset - VIRTIO_MMIO_CONFIG;
    if (data.size() > 8 || at + data.size() > config_size_) {
      Warn("config read of " + std::to_string(data.size()) + " bytes at " + Hex(at) +
           " outside the " + std::to_string(config_size_) + "-byte config space");
      return;
    }
    std::lock_guard lock(mutex_);
    device_->ReadConfig(static_cast<uint32_t>(at), data);
    return;
  }
  if (data.size() != 4 || offset % 4 != 0) {
    Warn(std::to_string(data.size()) + "-byte read at register " + Hex(offset) + " ignored (registers are 32-bit)");
    return;
  }
  uint32_t value;
  {
    std::lock_guard lock(mutex_);
    value = ReadRegister(offset);
  }
  std::memcpy(data.data(), &value, 4);
}

void MmioTransport::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (offset >= VIRTIO_MMIO_CONFIG) {
    uint64_t at = offset - VIRTIO_MMIO_CONFIG;
    if (data.size() > 8 || at + data.size() > config_size_) {
      Warn("config write of " + std::to_string(data.size()) + " bytes at " + Hex(at) +
           " outside the " + std::to_string(config_size_) + "-byte config space");
      return;
    }
    std::lock_guard lock(mutex_);
    device_->WriteConfig(static_cast<uint32_t>(at), data);
    return;
  }
  if (data.size() != 4 || offset % 4 != 0) {
    Warn(std::to_string(data.size()) + "-byte write at register " + Hex(offset) + " ignored (registers are 32-bit)");
    return;
  }
  uint32_t value;
  std::memcpy(&value, data.data(), 4);
  std::lock_guard lock(mutex_);
  WriteRegister(offset, value);
}

uint32_t MmioTransport::ReadRegister(uint64_t offset) {
  const QueueRegs* q = queue_sel_ < queues_.size() ? &queues_[queue_sel_] : nullptr;
  switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE: return kMmioMagic;
    case VIRTIO_MMIO_VERSION: return 2;
    case VIRTIO_MMIO_DEVICE_ID: return device_id_;
    case VIRTIO_MMIO_VENDOR_ID: return kVendorId;
    case VIRTIO_MMIO_DEVICE_FEATURES:
      if (device_features_sel_ > 1) return 0;
      return static_cast<uint32_t>(offered_features_ >> (32 * device_features_sel_));
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? q->max_size : 0;
    case VIRTIO_MMIO_QUEUE_READY: return q && q->ready ? 1 : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return interrupt_status_.load();
    case VIRTIO_MMIO_STATUS: return status_.load();
    case VIRTIO_MMIO_CONFIG_GENERATION: return config_generation_.load();
    // No shared memory regions: a length of ~0 says so (Linux get_shm_region).
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffff;
    default:
      Warn("read of write-only or unknown register " + Hex(offset));
      return 0;
  }
}

void MmioTransport::WriteRegister(uint64_t offset, uint32_t value) {
  uint32_t status = status_.load();
  switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: device_features_sel_ = value; return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: driver_features_sel_ = value; return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
      if ((status & VIRTIO_CONFIG_S_DRIVER) == 0 || (status & VIRTIO_CONFIG_S_FEATURES_OK) != 0) {
        Warn("DriverFeatures written outside the DRIVER state (status " + Hex(status) + "), ignored");
      } else if (driver_features_sel_ > 1) {
        if (value != 0) Warn("DriverFeatures with DriverFeaturesSel " + std::to_string(driver_features_sel_) + " ignored");
      } else {
        driver_features_ = SetHalf(driver_features_, driver_features_sel_ == 1, value);
      }
      return;
    case VIRTIO_MMIO_QUEUE_SEL: queue_sel_ = value; return;
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_READY:
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
    case VIRTIO_MMIO_QUEUE_USED_LOW:
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
      WriteQueueRegister(offset, value);
      return;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
      if ((status & VIRTIO_CONFIG_S_DRIVER_OK) == 0 || (status & kNeedsReset) != 0) {
        Warn("QueueNotify before DRIVER_OK or while the device needs a reset, ignored");
      } else if (value >= notify_.size()) {
        Warn("QueueNotify for queue " + std::to_string(value) + ", which does not exist");
      } else if (base::Status s = notify_[value].Signal(); !s.ok()) {
        LOG_ERROR_LIMITED << "virtio-mmio: queue notify: " << s.message();
      }
      return;
    case VIRTIO_MMIO_INTERRUPT_ACK: interrupt_status_.fetch_and(~value); return;
    case VIRTIO_MMIO_STATUS: WriteStatus(value); return;
    default:
      Warn("write of " + Hex(value) + " to read-only or unknown register " + Hex(offset) + " ignored");
      return;
  }
}

void MmioTransport::WriteQueueRegister(uint64_t offset, uint32_t value) {
  if ((status_.load() & VIRTIO_CONFIG_S_DRIVER_OK) != 0) {
    Warn("queue register " + Hex(offset) + " written after DRIVER_OK, ignored");
    return;
  }
  if (queue_sel_ >= queues_.size()) {
    Warn("queue register " + Hex(offset) + " written for queue " + std::to_string(queue_sel_) + ", which does not exist");
    return;
  }
  QueueRegs& q = queues_[queue_sel_];
  switch (offset) {
    case VIRTIO_MMIO_QUEUE_NUM: q.size = value; return;
    case VIRTIO_MMIO_QUEUE_READY: q.ready = (value & 1) != 0; return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: q.desc = SetHalf(q.desc, false, value); return;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: q.desc = SetHalf(q.desc, true, value); return;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW: q.avail = SetHalf(q.avail, false, value); return;
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: q.avail = SetHalf(q.avail, true, value); return;
    case VIRTIO_MMIO_QUEUE_USED_LOW: q.used = SetHalf(q.used, false, value); return;
    case VIRTIO_MMIO_QUEUE_USED_HIGH: q.used = SetHalf(q.used, true, value); return;
  }
}

void MmioTransport::WriteStatus(uint32_t value) {
  if (value == 0) {
    ResetLocked();
    return;
  }
  uint32_t old = status_.load();
  value = (value & ~kNeedsReset) | (old & kNeedsReset);  // only the device sets NEEDS_RESET
  uint32_t added = value & ~old;
  if ((old & ~value) != 0) {
    Warn("Status " + Hex(value) + " clears bits of " + Hex(old) + " without a reset, ignored");
    return;
  }
  auto requires_bit = [&](uint32_t bit, uint32_t needed, const char* names) {
    if ((added & bit) == 0 || (value & needed) != 0) return true;
    Warn(std::string("Status ") + Hex(value) + ": " + names + ", ignored");
    return false;
  };
  if (!requires_bit(VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_ACKNOWLEDGE, "DRIVER before ACKNOWLEDGE") ||
      !requires_bit(VIRTIO_CONFIG_S_FEATURES_OK, VIRTIO_CONFIG_S_DRIVER, "FEATURES_OK before DRIVER") ||
      !requires_bit(VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK, "DRIVER_OK before FEATURES_OK")) {
    return;
  }
  if (added & VIRTIO_CONFIG_S_FEATURES_OK) {
    uint64_t unknown = driver_features_ & ~offered_features_;
    if (unknown != 0 || (driver_features_ & (1ull << VIRTIO_F_VERSION_1)) == 0) {
      // The driver reads Status back and sees that FEATURES_OK did not stick (3.1.1).
      Warn("features " + Hex(driver_features_) + " refused (offered " + Hex(offered_features_) +
           ", VIRTIO_F_VERSION_1 required)");
      value &= ~VIRTIO_CONFIG_S_FEATURES_OK;
    }
  }
  status_.fetch_or(value);
  if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && (value & kNeedsReset) == 0) ActivateDevice();
}

void MmioTransport::ActivateDevice() {
  ActivationContext context;
  context.memory = memory_;
  context.features = driver_features_;
  context.loop = loop_;
  context.signals = this;
  for (size_t i = 0; i < queues_.size(); ++i) {
    context.notify.push_back(&notify_[i]);
    const QueueRegs& q = queues_[i];
    if (!q.ready) {
      context.queues.emplace_back(std::nullopt);
      continue;
    }
    if (q.size > q.max_size) {
      ReportDriverError(base::Status::Error("queue " + std::to_string(i) + " size " + std::to_string(q.size) +
                                            " exceeds QueueNumMax " + std::to_string(q.max_size)));
      return;
    }
    QueueLayout layout{static_cast<uint16_t>(q.size), q.desc, q.avail, q.used};
    base::Result<Queue> queue = Queue::Create(memory_, layout, driver_features_);
    if (!queue.ok()) {
      ReportDriverError(queue.status().WithContext("queue " + std::to_string(i)));
      return;
    }
    context.queues.emplace_back(std::move(queue).value());
  }
  if (base::Status s = device_->Activate(std::move(context)); !s.ok()) {
    ReportDriverError(s.WithContext("activating the device"));
    return;
  }
  activated_ = true;
}

void MmioTransport::Reset() {
  std::lock_guard lock(mutex_);
  ResetLocked();
}

void MmioTransport::ResetLocked() {
  if (activated_) device_->Reset();
  activated_ = false;
  status_.store(0);
  interrupt_status_.store(0);
  device_features_sel_ = driver_features_sel_ = queue_sel_ = 0;
  driver_features_ = 0;
  for (QueueRegs& q : queues_) q = QueueRegs{.max_size = q.max_size, .size = q.max_size};
  for (const base::EventFd& fd : notify_) (void)fd.Consume();  // forget stale kicks
}

void MmioTransport::Raise(uint32_t bits) {
  interrupt_status_.fetch_or(bits);
  if (base::Status s = interrupt_->Pulse(); !s.ok()) {
    LOG_ERROR_LIMITED << "virtio-mmio (device type " << device_id_ << "): raising the interrupt: " << s.message();
  }
}

void MmioTransport::SignalUsedBuffers() { Raise(VIRTIO_MMIO_INT_VRING); }

void MmioTransport::SignalConfigChange() {
  config_generation_.fetch_add(1);
  Raise(VIRTIO_MMIO_INT_CONFIG);
}

void MmioTransport::ReportDriverError(const base::Status& error) {
  if (status_.load() & kNeedsReset) return;  // already reported; the driver must reset
  // The interrupt cause first: a driver that sees DEVICE_NEEDS_RESET in Status must
  // also find VIRTIO_MMIO_INT_CONFIG in InterruptStatus.
  interrupt_status_.fetch_or(VIRTIO_MMIO_INT_CONFIG);
  if (status_.fetch_or(kNeedsReset) & kNeedsReset) return;  // lost a race to report it
  Log(driver_errors_, "driver error, device needs reset: " + error.message());
  Raise(VIRTIO_MMIO_INT_CONFIG);
}

}  // namespace hull::devices::virtio
