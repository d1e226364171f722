// VirtioDevice: what a virtio device model (blk, net, vsock, rng, ...) implements so
// that a transport (mmio_transport.h, virtio 1.2 section 4.2) can present it to the
// guest; and DeviceSignals, what the transport gives the device back to raise
// interrupts and report driver errors. See devices/virtio/README.md for the contract.
//
// Threads: the transport calls VirtioDevice from vCPU threads, one call at a time per
// device (the transport's lock is held). After Activate, the device's own work runs on
// the VM's event loop thread; Reset must stop that work before it returns.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "base/status.h"
#include "devices/guest_memory.h"
#include "devices/virtio/queue.h"

namespace hull::devices::virtio {

// Implemented by the transport. Thread-safe, lock-free with respect to the transport's
// register lock, so a device worker may call it while Reset waits for that worker.
class DeviceSignals {
 public:
  virtual ~DeviceSignals() = default;
  // The device put buffers on a used ring and Queue::NeedsInterrupt said so: sets
  // InterruptStatus bit VIRTIO_MMIO_INT_VRING and raises the interrupt.
  virtual void SignalUsedBuffers() = 0;
  // The device's configuration space changed: bumps ConfigGeneration, sets
  // VIRTIO_MMIO_INT_CONFIG and raises the interrupt.
  virtual void SignalConfigChange() = 0;
  // The driver broke the spec (any error from a Queue, or a malformed request the
  // device cannot answer with a status byte): logs `error`, sets DEVICE_NEEDS_RESET
  // and signals a configuration change, as spec 2.1.2 asks. The device must stop
  // processing its queues until Reset.
  virtual void ReportDriverError(const base::Status& error) = 0;
};

// What a device gets when the driver sets DRIVER_OK. Everything in it stays valid until
// the device's Reset returns.
struct ActivationContext {
  GuestMemory memory;
  uint64_t features = 0;  // negotiated (driver-accepted) feature bits
  // One per queue the device declared, by index. A queue the driver did not enable
  // (QueueReady 0) is std::nullopt; the device must not expect it to be used.
  std::vector<std::optional<Queue>> queues;
  // notify[i] is signalled each time the driver kicks queue i: through a KVM
  // ioeventfd without a VM exit, or by the transport on a QueueNotify exit. Devices
  // add them to `loop` (nonblocking; Consume() before popping).
  std::vector<const base::EventFd*> notify;
  base::EventLoop* loop = nullptr;
  DeviceSignals* signals = nullptr;
};

class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;

  // VIRTIO_ID_* (linux/virtio_ids.h).
  virtual uint32_t device_type() const = 0;
  // Device-specific feature bits the device offers. The transport adds
  // VIRTIO_F_VERSION_1, VIRTIO_RING_F_INDIRECT_DESC and VIRTIO_RING_F_EVENT_IDX, which
  // Queue implements.
  virtual uint64_t avail_features() const = 0;
  // Maximum size of each queue (a power of two, at most 32768); the number of entries is
  // the number of queues.
  virtual std::vector<uint16_t> queue_max_sizes() const = 0;

  // Configuration space (the device's struct virtio_*_config). The transport calls
  // these only for [offset, offset + size) inside config_size(), with 1 to 8 bytes;
  // accesses outside are answered with zeros / ignored by the transport.
  virtual uint32_t config_size() const = 0;
  virtual void ReadConfig(uint32_t offset, std::span<uint8_t> data) = 0;
  virtual void WriteConfig(uint32_t offset, std::span<const uint8_t> data) = 0;

  // The driver set DRIVER_OK. An error means the device cannot run (e.g. a backend
  // failed); the transport logs it and sets DEVICE_NEEDS_RESET.
  [[nodiscard]] virtual base::Status Activate(ActivationContext context) = 0;
  // The driver wrote 0 to Status (or the VMM resets the device). Only called after a
  // successful Activate. On return the device has dropped its queues, removed its fds
  // from the event loop and will not call DeviceSignals again until the next Activate.
  virtual void Reset() = 0;
};

}  // namespace hull::devices::virtio
