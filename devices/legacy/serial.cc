#include "devices/legacy/serial.h"

#include <linux/serial_reg.h>

#include <cerrno>
#include <vector>

#include "base/logging.h"
#include "base/unique_fd.h"

namespace hull::devices::legacy {
namespace {

// IIR bits 7:6 read 11 once FCR has enabled the FIFOs; the Linux driver's autoconfig
// uses them to tell a 16550A from an 8250/16450.
constexpr uint8_t kIirFifoEnabled = 0xc0;
// With no modem behind it the line always looks connected and ready, so getty and
// the tty layer never wait for carrier.
constexpr uint8_t kMsrLineReady = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
constexpr uint8_t kMcrWritableBits = 0x1f;  // DTR, RTS, OUT1, OUT2, LOOP
constexpr uint8_t kIerWritableBits = 0x0f;  // a 16550A has no bits above MSI

}  // namespace

// The power-on values of QEMU's and most BIOSes' COM1: 9600 baud, OUT2 set.
Serial::Serial(std::shared_ptr<InterruptLine> irq, int output_fd)
    : irq_(std::move(irq)), mcr_(UART_MCR_OUT2), dll_(0x0c), output_fd_(output_fd) {}

void Serial::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < data.size(); ++i) data[i] = ReadRegister(offset + i);
  UpdateInterrupt();
}

void Serial::Write(uint64_t offset, std::span<const uint8_t> data) {
  std::vector<uint8_t> transmitted;
  {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < data.size(); ++i) {
      if (WriteRegister(offset + i, data[i])) transmitted.push_back(data[i]);
    }
    UpdateInterrupt();
  }
  // Outside mutex_: a slow or blocked output fd must not stall input or other vCPUs'
  // register reads. Guest writes to THR are serialized by the guest's own port lock.
  if (!transmitted.empty()) Output(transmitted);
}

uint8_t Serial::ReadRegister(uint64_t offset) {
  const bool dlab = lcr_ & UART_LCR_DLAB;
  switch (offset) {
    case UART_RX:
      if (dlab) return dll_;
      if (input_.empty()) return 0;
      {
        uint8_t byte = input_.front();
        input_.pop_front();
        return byte;
      }
    case UART_IER:
      return dlab ? dlm_ : ier_;
    case UART_IIR: {
      uint8_t iir = InterruptIdentification();
      // As on a 16550: reading IIR while it reports THRE acknowledges that interrupt.
      if ((iir & 0x0f) == UART_IIR_THRI) thre_pending_ = false;
      return iir;
    }
    case UART_LCR:
      return lcr_;
    case UART_MCR:
      return mcr_;
    case UART_LSR:
      return UART_LSR_THRE | UART_LSR_TEMT | (input_.empty() ? 0 : UART_LSR_DR);
    case UART_MSR:
      return ModemStatus();
    case UART_SCR:
      return scr_;
  }
  return 0xff;  // unreachable through the bus: the device is 8 bytes long
}

bool Serial::WriteRegister(uint64_t offset, uint8_t value) {
  const bool dlab = lcr_ & UART_LCR_DLAB;
  switch (offset) {
    case UART_TX:
      if (dlab) {
        dll_ = value;
        return false;
      }
      // Transmission is instantaneous: THR is empty again at once, so the THRE
      // interrupt is pending again after every write.
      thre_pending_ = true;
      if (mcr_ & UART_MCR_LOOP) {
        PushInput(value);
        return false;
      }
      return true;
    case UART_IER: {
      if (dlab) {
        dlm_ = value;
        return false;
      }
      const uint8_t old = ier_;
      ier_ = value & kIerWritableBits;
      // Enabling ETBEI with THR empty raises THRE at once (Linux's startup test for
      // UART_BUG_THRE toggles IER to check exactly this, as QEMU and Bochs model).
      if ((ier_ & UART_IER_THRI) && !(old & UART_IER_THRI)) thre_pending_ = true;
      return false;
    }
    case UART_FCR:
      fifo_enabled_ = value & UART_FCR_ENABLE_FIFO;
      // The driver clears the receive FIFO when it opens the port: input typed before
      // that is discarded, as on real hardware.
      if (value & UART_FCR_CLEAR_RCVR) input_.clear();
      return false;
    case UART_LCR:
      lcr_ = value;
      return false;
    case UART_MCR:
      mcr_ = value & kMcrWritableBits;
      return false;
    case UART_LSR:
    case UART_MSR:
      return false;  // read-only (writes are factory-test only on real parts)
    case UART_SCR:
      scr_ = value;
      return false;
  }
  return false;
}

uint8_t Serial::InterruptIdentification() const {
  uint8_t iir = UART_IIR_NO_INT;
  if ((ier_ & UART_IER_RDI) && !input_.empty()) {
    iir = UART_IIR_RDI;
  } else if ((ier_ & UART_IER_THRI) && thre_pending_) {
    iir = UART_IIR_THRI;
  }
  return iir | (fifo_enabled_ ? kIirFifoEnabled : 0);
}

uint8_t Serial::ModemStatus() const {
  if (!(mcr_ & UART_MCR_LOOP)) return kMsrLineReady;
  // Loopback wires the modem-control outputs back to the modem-status inputs; the
  // Linux driver's autoconfig checks this (MCR = LOOP|OUT2|RTS → MSR = DCD|CTS).
  uint8_t msr = 0;
  if (mcr_ & UART_MCR_DTR) msr |= UART_MSR_DSR;
  if (mcr_ & UART_MCR_RTS) msr |= UART_MSR_CTS;
  if (mcr_ & UART_MCR_OUT1) msr |= UART_MSR_RI;
  if (mcr_ & UART_MCR_OUT2) msr |= UART_MSR_DCD;
  return msr;
}

void Serial::PushInput(uint8_t byte) {
  if (input_.size() < kInputCapacity) {
    input_.push_back(byte);
    return;
  }
  if (!overflow_logged_) {
    LOG_WARNING_LIMITED << "serial: input FIFO full (" << kInputCapacity
                << " bytes unread by the guest); dropping input";
    overflow_logged_ = true;
  }
}

void Serial::UpdateInterrupt() {
  const bool level = (InterruptIdentification() & UART_IIR_NO_INT) == 0;
  if (level == irq_level_ || !irq_) return;
  if (base::Status s = irq_->SetLevel(level); !s.ok()) {
    // Leave irq_level_ alone so the next register access retries.
    if (!irq_error_logged_) {
      LOG_ERROR << "serial: cannot drive IRQ line: " << s.message();
    }
    irq_error_logged_ = true;
    return;
  }
  irq_level_ = level;
}

void Serial::EnqueueInput(std::span<const uint8_t> bytes) {
  std::lock_guard lock(mutex_);
  // A backlog that fits again ends the overflow episode, so the next one is logged.
  if (input_.size() + bytes.size() <= kInputCapacity) overflow_logged_ = false;
  for (uint8_t byte : bytes) PushInput(byte);
  UpdateInterrupt();
}

size_t Serial::PendingInput() const {
  std::lock_guard lock(mutex_);
  return input_.size();
}

void Serial::Output(std::span<const uint8_t> bytes) {
  std::lock_guard lock(output_mutex_);
  if (output_fd_ < 0 || output_failed_) return;
  base::Status s = base::WriteFully(output_fd_, bytes.data(), bytes.size());
  if (s.ok()) return;
  if (s.error_number() == EAGAIN || s.error_number() == EWOULDBLOCK) {
    // Nobody is draining a non-blocking sink (e.g. an unread pty): drop, keep going.
    if (!output_full_logged_) {
      LOG_WARNING_LIMITED << "serial: output full, dropping bytes";
    }
    output_full_logged_ = true;
    return;
  }
  LOG_ERROR << "serial: writing guest output failed, dropping further output: "
            << s.message();
  output_failed_ = true;
}

}  // namespace hull::devices::legacy
