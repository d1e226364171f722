// I8042: the part of the PC keyboard controller a guest kernel touches at boot — the
// controller commands Linux's i8042 driver issues when probing, and command 0xfe
// (pulse the CPU reset line), which is how `reboot=k` restarts the machine. Mapped
// on the port-I/O Bus at 0x60 (data) and 0x64 (status/command); called by vCPU threads.
// Follows the IBM PS/2 8042 interface as Linux's drivers/input/serio/i8042.h names it.
//
// The keyboard behind it acknowledges commands and types only what the VMM injects
// (SendCtrlAltDel, as Firecracker's i8042 does: the key bytes go to the output buffer
// and IRQ 1 is pulsed); there is no mouse and IRQ 12 is never raised, so guests should
// boot with `i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd` (as Firecracker does):
// the probe then only uses the polled controller commands modelled here.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "base/status.h"
#include "devices/bus.h"
#include "devices/interrupt.h"

namespace hull::devices::legacy {

// One window covering ports 0x60-0x64; offsets 1-3 (0x61-0x63) are not the
// controller's and read as 0xff (KVM's in-kernel PIT serves port 0x61 when created).
inline constexpr uint64_t kI8042Base = 0x60;
inline constexpr uint64_t kI8042Length = 5;
inline constexpr uint32_t kI8042KeyboardIrq = 1;

class I8042 : public BusDevice {
 public:
  // `reset` runs on the vCPU thread that wrote command 0xfe (or cleared the reset bit
  // through the output port), without the device lock held; it must be thread-safe
  // and should only ask the VMM to stop (e.g. signal an eventfd).
  // `keyboard_irq` (IRQ 1) is pulsed when an injected key byte is waiting; without
  // one, injected keys can still be polled.
  explicit I8042(std::function<void()> reset,
                 std::shared_ptr<InterruptLine> keyboard_irq = nullptr);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // Types Ctrl+Alt+Del: queues the same scancode bytes as Firecracker's i8042 (set 2
  // make codes: 0x14 Ctrl, 0x11 Alt, 0xe0 0x71 Del) and pulses IRQ 1; a guest with an
  // i8042 keyboard driver reboots (Linux: ctrl_alt_del). Any thread (the API thread).
  // Fails, queueing nothing, when the guest turned keyboard interrupts off in the
  // command byte or the output buffer has no room for all four bytes.
  [[nodiscard]] base::Status SendCtrlAltDel();

 private:
  // Return true when the guest asked for a reset.
  bool WriteCommand(uint8_t command);
  bool WriteData(uint8_t value);
  void ReadLocked(uint64_t offset, std::span<uint8_t> data);
  void KeyboardCommand(uint8_t value);
  uint8_t Status() const;
  void Respond(uint8_t byte, bool from_aux = false);

  void PulseKeyboardIrq();

  const std::function<void()> reset_;
  const std::shared_ptr<InterruptLine> keyboard_irq_;

  // All below guarded by mutex_ (several vCPU threads may poll the controller).
  mutable std::mutex mutex_;
  struct Byte {
    uint8_t value;
    bool from_aux;
    bool injected = false;  // a key the VMM typed (SendCtrlAltDel), not a reply
  };
  std::deque<Byte> output_;       // bytes the guest will read from port 0x60
  uint8_t command_byte_ = 0x45;   // KBDINT | SYSFLAG | XLATE: a PC after its BIOS
  uint8_t pending_command_ = 0;   // a command waiting for its data byte, or 0
  uint8_t keyboard_pending_ = 0;  // a keyboard command waiting for its argument, or 0
  bool last_write_was_command_ = false;
};

}  // namespace hull::devices::legacy
