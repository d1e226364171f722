#include "devices/legacy/i8042.h"

#include <utility>

#include "base/logging.h"

namespace hull::devices::legacy {
namespace {

// Port offsets within the window at 0x60.
constexpr uint64_t kDataOffset = 0;
constexpr uint64_t kCommandOffset = 4;

// Status register (read at 0x64), names as in Linux's i8042.h.
constexpr uint8_t kStrObf = 0x01;      // output buffer full
constexpr uint8_t kStrSysFlag = 0x04;  // self test passed
constexpr uint8_t kStrCmdDat = 0x08;   // last write went to the command port
constexpr uint8_t kStrKeylock = 0x10;  // 1: keyboard not inhibited
constexpr uint8_t kStrAuxData = 0x20;  // the output byte came from the AUX port

// Command byte (controller RAM byte 0) bits the port enable/disable commands touch.
constexpr uint8_t kCtrKbdInt = 0x01;  // raise IRQ 1 when a keyboard byte is waiting
constexpr uint8_t kCtrKbdDis = 0x10;
constexpr uint8_t kCtrAuxDis = 0x20;

// Controller commands.
constexpr uint8_t kCmdReadCtr = 0x20;
constexpr uint8_t kCmdWriteCtr = 0x60;
constexpr uint8_t kCmdAuxDisable = 0xa7;
constexpr uint8_t kCmdAuxEnable = 0xa8;
constexpr uint8_t kCmdAuxTest = 0xa9;
constexpr uint8_t kCmdSelfTest = 0xaa;
constexpr uint8_t kCmdKbdTest = 0xab;
constexpr uint8_t kCmdKbdDisable = 0xad;
constexpr uint8_t kCmdKbdEnable = 0xae;
constexpr uint8_t kCmdReadInputPort = 0xc0;
constexpr uint8_t kCmdReadOutputPort = 0xd0;
constexpr uint8_t kCmdWriteOutputPort = 0xd1;
constexpr uint8_t kCmdWriteKbdOutput = 0xd2;
constexpr uint8_t kCmdWriteAuxOutput = 0xd3;
constexpr uint8_t kCmdWriteAux = 0xd4;
constexpr uint8_t kCmdPulseReset = 0xfe;

constexpr uint8_t kSelfTestOk = 0x55;
constexpr uint8_t kInterfaceTestOk = 0x00;
constexpr uint8_t kOutputPortResetLine = 0x01;  // 0 asserts the CPU reset line
constexpr uint8_t kOutputPortA20 = 0x02;

// Keyboard (device) protocol bytes.
constexpr uint8_t kKbdAck = 0xfa;
constexpr uint8_t kKbdResend = 0xfe;
constexpr uint8_t kKbdSelfTestPassed = 0xaa;

// A guest that writes without reading must not grow the queue without bound.
// 16 bytes, as Firecracker's i8042 buffer.
constexpr size_t kOutputCapacity = 16;

// Ctrl+Alt+Del as Firecracker's i8042 types it (KEY_CTRL 0x14, KEY_ALT 0x11, KEY_DEL 0xe071).
constexpr uint8_t kCtrlAltDelBytes[] = {0x14, 0x11, 0xe0, 0x71};

}  // namespace

I8042::I8042(std::function<void()> reset, std::shared_ptr<InterruptLine> keyboard_irq)
    : reset_(std::move(reset)), keyboard_irq_(std::move(keyboard_irq)) {}

base::Status I8042::SendCtrlAltDel() {
  {
    std::lock_guard lock(mutex_);
    if (!(command_byte_ & kCtrKbdInt)) {
      return base::Status::Error("the guest has disabled keyboard interrupts in the i8042");
    }
    if (kOutputCapacity - output_.size() < std::size(kCtrlAltDelBytes)) {
      return base::Status::Error(
          "the i8042 output buffer is full (the guest is not reading its keyboard)");
    }
    for (uint8_t byte : kCtrlAltDelBytes) output_.push_back({byte, false, true});
  }
  PulseKeyboardIrq();
  return base::Status::Ok();
}

void I8042::PulseKeyboardIrq() {
  if (!keyboard_irq_) return;
  if (base::Status s = keyboard_irq_->Pulse(); !s.ok()) {
    LOG_WARNING_LIMITED << "i8042: IRQ 1: " << s.message();
  }
}

void I8042::Read(uint64_t offset, std::span<uint8_t> data) {
  bool more_keys = false;
  {
    std::lock_guard lock(mutex_);
    ReadLocked(offset, data);
    // Like Firecracker: while injected key bytes remain, each read of one re-raises the
    // interrupt, so an interrupt-driven driver reads the whole key sequence. Replies to
    // commands stay polled, as before.
    more_keys = offset == kDataOffset && !output_.empty() && output_.front().injected &&
                (command_byte_ & kCtrKbdInt);
  }
  if (more_keys) PulseKeyboardIrq();
}

void I8042::ReadLocked(uint64_t offset, std::span<uint8_t> data) {
  for (size_t i = 0; i < data.size(); ++i) {
    uint8_t value = 0xff;
    if (offset + i == kCommandOffset) {
      value = Status();
    } else if (offset + i == kDataOffset) {
      // Reading an empty buffer returns the last byte on hardware; 0 is as good.
      value = 0;
      if (!output_.empty()) {
        value = output_.front().value;
        output_.pop_front();
      }
    }
    data[i] = value;
  }
}

void I8042::Write(uint64_t offset, std::span<const uint8_t> data) {
  bool reset = false;
  {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < data.size(); ++i) {
      if (offset + i == kCommandOffset) reset |= WriteCommand(data[i]);
      if (offset + i == kDataOffset) reset |= WriteData(data[i]);
    }
  }
  if (reset && reset_) reset_();
}

uint8_t I8042::Status() const {
  // The input buffer is consumed at once, so IBF (0x02) never shows.
  uint8_t status = kStrSysFlag | kStrKeylock;
  if (last_write_was_command_) status |= kStrCmdDat;
  if (!output_.empty()) {
    status |= kStrObf;
    if (output_.front().from_aux) status |= kStrAuxData;
  }
  return status;
}

void I8042::Respond(uint8_t byte, bool from_aux) {
  if (output_.size() < kOutputCapacity) output_.push_back({byte, from_aux});
}

bool I8042::WriteCommand(uint8_t command) {
  last_write_was_command_ = true;
  pending_command_ = 0;
  switch (command) {
    case kCmdReadCtr:
      Respond(command_byte_);
      break;
    case kCmdWriteCtr:
    case kCmdWriteOutputPort:
    case kCmdWriteKbdOutput:
    case kCmdWriteAuxOutput:
    case kCmdWriteAux:
      pending_command_ = command;  // the argument follows on port 0x60
      break;
    case kCmdAuxDisable:
      command_byte_ |= kCtrAuxDis;
      break;
    case kCmdAuxEnable:
      command_byte_ &= ~kCtrAuxDis;
      break;
    case kCmdKbdDisable:
      command_byte_ |= kCtrKbdDis;
      break;
    case kCmdKbdEnable:
      command_byte_ &= ~kCtrKbdDis;
      break;
    case kCmdSelfTest:
      output_.clear();  // the controller resets its buffer as part of the test
      Respond(kSelfTestOk);
      break;
    case kCmdKbdTest:
    case kCmdAuxTest:
      Respond(kInterfaceTestOk);
      break;
    case kCmdReadInputPort:
      Respond(0);
      break;
    case kCmdReadOutputPort:
      Respond(kOutputPortResetLine | kOutputPortA20);
      break;
    case kCmdPulseReset:
      LOG_INFO << "i8042: guest pulsed the reset line";
      return true;
    default:
      LOG_DEBUG << "i8042: ignoring unknown command 0x" << std::hex << int{command};
      break;
  }
  return false;
}

bool I8042::WriteData(uint8_t value) {
  last_write_was_command_ = false;
  const uint8_t command = std::exchange(pending_command_, 0);
  switch (command) {
    case kCmdWriteCtr:
      command_byte_ = value;
      return false;
    case kCmdWriteOutputPort:
      if (!(value & kOutputPortResetLine)) {
        LOG_INFO << "i8042: guest cleared the reset line in the output port";
        return true;
      }
      return false;
    case kCmdWriteKbdOutput:
      Respond(value);
      return false;
    case kCmdWriteAuxOutput:
      Respond(value, /*from_aux=*/true);
      return false;
    case kCmdWriteAux:
      // No mouse is attached: answer as a device that did not understand.
      Respond(kKbdResend, /*from_aux=*/true);
      return false;
    default:
      KeyboardCommand(value);
      return false;
  }
}

// A data byte with no controller command pending goes to the keyboard, which answers
// like a minimal MF2 keyboard so that a driver polling for the reply gets one.
void I8042::KeyboardCommand(uint8_t value) {
  if (std::exchange(keyboard_pending_, 0) != 0) {  // the argument of 0xed/0xf0/0xf3
    Respond(kKbdAck);
    return;
  }
  switch (value) {
    case 0xed:  // set LEDs
    case 0xf0:  // select scancode set
    case 0xf3:  // set typematic rate
      keyboard_pending_ = value;
      Respond(kKbdAck);
      break;
    case 0xee:  // echo
      Respond(0xee);
      break;
    case 0xf2:  // identify: an MF2 keyboard
      Respond(kKbdAck);
      Respond(0xab);
      Respond(0x83);
      break;
    case 0xff:  // reset and self test
      Respond(kKbdAck);
      Respond(kKbdSelfTestPassed);
      break;
    default:
      Respond(kKbdAck);
      break;
  }
}

}  // namespace hull::devices::legacy
