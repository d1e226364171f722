#include "devices/legacy/i8042.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "devices/testing/fake_interrupt.h"

namespace hull::devices::legacy {
namespace {

constexpr uint64_t kData = 0;    // port 0x60
constexpr uint64_t kStatus = 4;  // port 0x64
constexpr uint8_t kObf = 0x01;

class I8042Test : public ::testing::Test {
 protected:
  uint8_t In(uint64_t offset) {
    uint8_t value = 0;
    i8042_.Read(offset, {&value, 1});
    return value;
  }
  void Out(uint64_t offset, uint8_t value) { i8042_.Write(offset, {&value, 1}); }
  // Polls like Linux's i8042_wait_read, then reads the response.
  int Response() {
    if (!(In(kStatus) & kObf)) return -1;
    return In(kData);
  }

  std::atomic<int> resets_{0};
  std::shared_ptr<testing::FakeInterruptLine> irq_ =
      std::make_shared<testing::FakeInterruptLine>();
  I8042 i8042_{[this] { ++resets_; }, irq_};
};

TEST_F(I8042Test, SelfTestAnswers0x55ThroughTheOutputBuffer) {
  EXPECT_FALSE(In(kStatus) & kObf);
  Out(kStatus, 0xaa);
  EXPECT_TRUE(In(kStatus) & kObf);
  EXPECT_EQ(In(kData), 0x55);
  EXPECT_FALSE(In(kStatus) & kObf);  // drained: Linux's i8042_flush terminates
}

TEST_F(I8042Test, PulseResetCommandCallsResetCallbackOnce) {
  Out(kStatus, 0xaa);
  Out(kStatus, 0x20);
  EXPECT_EQ(resets_, 0);
  Out(kStatus, 0xfe);
  EXPECT_EQ(resets_, 1);
}

TEST_F(I8042Test, ClearingResetBitOfOutputPortResets) {
  Out(kStatus, 0xd1);
  Out(kData, 0xdf);  // A20 on, reset line high: the classic A20 enable, no reset
  EXPECT_EQ(resets_, 0);
  Out(kStatus, 0xd1);
  Out(kData, 0xde);
  EXPECT_EQ(resets_, 1);
}

TEST_F(I8042Test, CommandByteRoundTripsAndPortTogglesUpdateIt) {
  Out(kStatus, 0x60);
  Out(kData, 0x47);
  Out(kStatus, 0x20);
  EXPECT_EQ(Response(), 0x47);
  Out(kStatus, 0xa7);  // disable AUX: Linux's i8042_toggle_aux checks bit 5
  Out(kStatus, 0x20);
  EXPECT_EQ(Response(), 0x67);
  Out(kStatus, 0xa8);
  Out(kStatus, 0xad);  // disable keyboard: bit 4
  Out(kStatus, 0x20);
  EXPECT_EQ(Response(), 0x57);
  Out(kStatus, 0xae);
  Out(kStatus, 0x20);
  EXPECT_EQ(Response(), 0x47);
}

TEST_F(I8042Test, AuxLoopbackEchoesWithAuxStatusBit) {
  Out(kStatus, 0xd3);
  Out(kData, 0x5a);
  EXPECT_EQ(In(kStatus) & 0x21, 0x21);
  EXPECT_EQ(In(kData), 0x5a);
}

TEST_F(I8042Test, KeyboardCommandsAreAcknowledged) {
  Out(kData, 0xf2);  // identify
  EXPECT_EQ(Response(), 0xfa);
  EXPECT_EQ(Response(), 0xab);
  EXPECT_EQ(Response(), 0x83);
  Out(kData, 0xed);  // set LEDs, then its argument
  Out(kData, 0x00);
  EXPECT_EQ(Response(), 0xfa);
  EXPECT_EQ(Response(), 0xfa);
  EXPECT_EQ(Response(), -1);
}

TEST_F(I8042Test, UnknownCommandIsIgnored) {
  Out(kStatus, 0x42);
  EXPECT_FALSE(In(kStatus) & kObf);
  EXPECT_EQ(resets_, 0);
  Out(kStatus, 0xaa);  // still answers afterwards
  EXPECT_EQ(Response(), 0x55);
}

TEST_F(I8042Test, UnreadResponsesAreBounded) {
  for (int i = 0; i < 1000; ++i) Out(kStatus, 0x20);
  int count = 0;
  while (Response() >= 0) ++count;
  EXPECT_GT(count, 0);
  EXPECT_LE(count, 16);
}

TEST_F(I8042Test, PortsBetweenDataAndStatusFloat) {
  for (uint64_t offset : {1, 2, 3}) EXPECT_EQ(In(offset), 0xff);
  Out(2, 0xfe);
  EXPECT_EQ(resets_, 0);
}

TEST_F(I8042Test, CtrlAltDelQueuesFirecrackersScancodesAndPulsesIrq1) {
  ASSERT_TRUE(i8042_.SendCtrlAltDel().ok());
  EXPECT_EQ(irq_->pulses(), 1);
  EXPECT_FALSE(irq_->level());  // an edge, not a level left high
  uint8_t status = In(kStatus);
  EXPECT_TRUE(status & kObf);
  EXPECT_FALSE(status & 0x20);  // from the keyboard, not the AUX port
  EXPECT_EQ(In(kData), 0x14);   // Ctrl
  EXPECT_EQ(irq_->pulses(), 2);  // bytes remain: the interrupt is raised again
  EXPECT_EQ(In(kData), 0x11);   // Alt
  EXPECT_EQ(In(kData), 0xe0);   // Del (extended)
  EXPECT_EQ(irq_->pulses(), 4);
  EXPECT_EQ(In(kData), 0x71);
  EXPECT_EQ(irq_->pulses(), 4);  // drained: no further interrupt
  EXPECT_FALSE(In(kStatus) & kObf);
  EXPECT_EQ(resets_, 0);  // the guest decides what Ctrl+Alt+Del means
}

TEST_F(I8042Test, CtrlAltDelIsRefusedWhenTheGuestDisabledKeyboardInterrupts) {
  Out(kStatus, 0x60);  // write command byte
  Out(kData, 0x44);    // KBDINT clear
  base::Status status = i8042_.SendCtrlAltDel();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("keyboard interrupts"), std::string::npos);
  EXPECT_EQ(irq_->pulses(), 0);
  EXPECT_FALSE(In(kStatus) & kObf);
}

TEST_F(I8042Test, CtrlAltDelIsRefusedWhenTheBufferCannotHoldIt) {
  // 16 bytes of room: four sequences fit, the fifth does not, and nothing partial is queued.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(i8042_.SendCtrlAltDel().ok()) << i;
  base::Status status = i8042_.SendCtrlAltDel();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("full"), std::string::npos);
  int count = 0;
  while (Response() >= 0) ++count;
  EXPECT_EQ(count, 16);
}

TEST_F(I8042Test, CommandRepliesStayPolledWithoutInterrupts) {
  Out(kData, 0xf2);  // identify: three reply bytes
  EXPECT_EQ(Response(), 0xfa);
  EXPECT_EQ(Response(), 0xab);
  EXPECT_EQ(Response(), 0x83);
  EXPECT_EQ(irq_->pulses(), 0);
}

TEST_F(I8042Test, CtrlAltDelWorksWithoutAnInterruptLine) {
  I8042 polled([] {});
  ASSERT_TRUE(polled.SendCtrlAltDel().ok());
  uint8_t value = 0;
  polled.Read(kData, {&value, 1});
  EXPECT_EQ(value, 0x14);
}

}  // namespace
}  // namespace hull::devices::legacy
