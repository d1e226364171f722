// MmioTransport: the virtio-mmio version 2 register window (virtio 1.2, section 4.2.2)
// in front of one VirtioDevice — feature negotiation (VIRTIO_F_VERSION_1 required), the
// device-status state machine, queue set-up, InterruptStatus/ACK, ConfigGeneration,
// configuration space, reset and DEVICE_NEEDS_RESET. The VMM maps it on the MMIO bus
// (4 KiB) and, where KVM offers it, registers queue_notify_fd(i) as an ioeventfd on
// kQueueNotifyOffset with datamatch i and the interrupt line as an irqfd.
//
// Threads: vCPU threads call Read/Write (serialised by mutex_, which is held while the
// device's Activate/Reset run). Device workers call the DeviceSignals methods, which
// take no lock (atomics only), so Reset may wait for a worker that is signalling.
#pragma once

#include "devices/virtio/virtio_uapi.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "devices/bus.h"
#include "devices/guest_memory.h"
#include "devices/interrupt.h"
#include "devices/virtio/virtio_device.h"

namespace hull::devices::virtio {

inline constexpr uint64_t kMmioWindowSize = 0x1000;
inline constexpr uint64_t kQueueNotifyOffset = VIRTIO_MMIO_QUEUE_NOTIFY;
inline constexpr uint32_t kMmioMagic = 0x74726976;  // "virt"
inline constexpr uint32_t kVendorId = 0x4c4c5548;   // "HULL"

class MmioTransport final : public BusDevice, private DeviceSignals {
 public:
  // `interrupt` is pulsed (edge) for used-buffer and configuration-change interrupts.
  // `loop` is handed to the device at activation. All must outlive the transport.
  static base::Result<std::shared_ptr<MmioTransport>> Create(
      std::shared_ptr<VirtioDevice> device, GuestMemory memory,
      std::shared_ptr<InterruptLine> interrupt, base::EventLoop* loop);
  ~MmioTransport() override;

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  size_t queue_count() const { return notify_.size(); }
  // Signalled on each kick of queue `index` (< queue_count()).
  const base::EventFd& queue_notify_fd(size_t index) const { return notify_[index]; }
  // Resets the device as a driver write of 0 to Status would (VMM use, tests).
  void Reset();

  // For tests and logs.
  uint32_t status() const { return status_.load(); }
  uint32_t interrupt_status() const { return interrupt_status_.load(); }

 private:
  struct QueueRegs {
    uint16_t max_size = 0;
    uint32_t size = 0;  // as written; validated at DRIVER_OK
    bool ready = false;
    uint64_t desc = 0, avail = 0, used = 0;
  };

  MmioTransport(std::shared_ptr<VirtioDevice> device, GuestMemory memory,
                std::shared_ptr<InterruptLine> interrupt, base::EventLoop* loop);

  // DeviceSignals, for the device's worker.
  void SignalUsedBuffers() override;
  void SignalConfigChange() override;
  void ReportDriverError(const base::Status& error) override;

  uint32_t ReadRegister(uint64_t offset);   // mutex_ held
  void WriteRegister(uint64_t offset, uint32_t value);
  void WriteStatus(uint32_t value);
  void WriteQueueRegister(uint64_t offset, uint32_t value);
  void ActivateDevice();
  void ResetLocked();
  void Raise(uint32_t bits);
  // Logs a guest mistake at warning level, the first kMaxWarnings times only, so a
  // hostile guest cannot flood the log.
  void Warn(const std::string& what);
  void Log(std::atomic<uint32_t>& budget, const std::string& what);

  const std::shared_ptr<VirtioDevice> device_;
  const GuestMemory memory_;
  const std::shared_ptr<InterruptLine> interrupt_;
  base::EventLoop* const loop_;
  const uint32_t device_id_;
  const uint64_t offered_features_;
  const uint32_t config_size_;
  std::vector<base::EventFd> notify_;  // fixed after Create

  std::mutex mutex_;  // guards the register state below
  uint32_t device_features_sel_ = 0;
  uint32_t driver_features_sel_ = 0;
  uint64_t driver_features_ = 0;
  uint32_t queue_sel_ = 0;
  std::vector<QueueRegs> queues_;
  bool activated_ = false;

  // Shared with device workers (DeviceSignals).
  std::atomic<uint32_t> status_{0};
  std::atomic<uint32_t> interrupt_status_{0};
  std::atomic<uint32_t> config_generation_{0};
  std::atomic<uint32_t> warnings_{0};       // register misuse logged so far
  std::atomic<uint32_t> driver_errors_{0};  // ReportDriverError calls logged so far
};

}  // namespace hull::devices::virtio
