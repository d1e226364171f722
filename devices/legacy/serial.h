// Serial: an 8250/16550A UART as the Linux 8250 driver sees it (ttyS0 at I/O ports
// 0x3f8-0x3ff, IRQ 4). vCPU threads reach it through the port-I/O Bus; a host input
// thread feeds it with EnqueueInput. Register semantics follow the TI/National
// PC16550D data sheet, restricted to what a virtual line needs: output is transmitted
// instantly, so THR is always empty and the transmit FIFO never fills.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>

#include "devices/bus.h"
#include "devices/interrupt.h"

namespace hull::devices::legacy {

inline constexpr uint64_t kCom1Base = 0x3f8;  // ttyS0
inline constexpr uint64_t kSerialLength = 8;
inline constexpr uint32_t kCom1Irq = 4;

class Serial : public BusDevice {
 public:
  // Host bytes waiting for the guest; more than this is dropped (and logged), since a
  // guest that never reads must not make the VMM grow without bound.
  static constexpr size_t kInputCapacity = 64 * 1024;

  // `irq` is COM1's line (IRQ 4). `output_fd` receives every byte the guest transmits:
  // stdout, a regular file, a pty master, a pipe; it is not owned and must stay open
  // while this device exists; -1 discards output. Writes block if the fd blocks; on a
  // non-blocking fd that is full, bytes are dropped. Any other write error (EPIPE, EIO)
  // is logged once and all later output is dropped.
  Serial(std::shared_ptr<InterruptLine> irq, int output_fd);

  // BusDevice, called by vCPU threads. Each byte of a wider access is a separate
  // register access at consecutive offsets (the 8250 is byte-wide).
  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // Called by the host input thread: queues bytes for the guest to read from RBR.
  void EnqueueInput(std::span<const uint8_t> bytes);
  // How many queued input bytes the guest has not read yet.
  size_t PendingInput() const;

 private:
  uint8_t ReadRegister(uint64_t offset);
  // Returns true when `value` was transmitted and must go to the output fd.
  bool WriteRegister(uint64_t offset, uint8_t value);
  uint8_t InterruptIdentification() const;
  uint8_t ModemStatus() const;
  void PushInput(uint8_t byte);
  void UpdateInterrupt();
  void Output(std::span<const uint8_t> bytes);

  const std::shared_ptr<InterruptLine> irq_;

  // Register state and the input FIFO; guarded by mutex_ (vCPU threads and the input
  // thread). The interrupt line is driven under it too, so level changes stay ordered.
  mutable std::mutex mutex_;
  std::deque<uint8_t> input_;
  uint8_t ier_ = 0;
  uint8_t lcr_ = 0;
  uint8_t mcr_;
  uint8_t scr_ = 0;
  uint8_t dll_;
  uint8_t dlm_ = 0;
  bool fifo_enabled_ = false;
  bool thre_pending_ = false;  // the THR-empty interrupt, until IIR reports it
  bool irq_level_ = false;
  bool irq_error_logged_ = false;
  bool overflow_logged_ = false;

  // Output side; guarded by output_mutex_ so a blocked write never holds mutex_.
  std::mutex output_mutex_;
  const int output_fd_;
  bool output_failed_ = false;
  bool output_full_logged_ = false;
};

}  // namespace hull::devices::legacy
