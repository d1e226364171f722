// InterruptLine: how a device model raises its interrupt without knowing about KVM.
// The VMM implements it (KVM_IRQ_LINE on a GSI, or an irqfd); tests use
// devices/testing/fake_interrupt.h. Devices may call it from any thread.
#pragma once

#include "base/status.h"

namespace hull::devices {

class InterruptLine {
 public:
  virtual ~InterruptLine() = default;

  // Drives the line to a level. Level-sensitive devices (the 8250 UART) keep it high
  // while a cause is pending; the interrupt controller turns that into what it needs.
  [[nodiscard]] virtual base::Status SetLevel(bool high) = 0;

  // An edge: high then low. Overridable for backends that inject an edge in one call.
  [[nodiscard]] virtual base::Status Pulse() {
    RETURN_IF_ERROR(SetLevel(true));
    return SetLevel(false);
  }
};

}  // namespace hull::devices
