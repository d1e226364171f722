#include "devices/legacy/serial.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/serial_reg.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <numeric>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "devices/testing/fake_interrupt.h"

namespace hull::devices::legacy {
namespace {

using devices::testing::FakeInterruptLine;

class SerialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    pipe_read_.reset(fds[0]);
    pipe_write_.reset(fds[1]);
    serial_ = std::make_unique<Serial>(irq_, pipe_write_.get());
  }

  uint8_t In(uint64_t reg) {
    uint8_t value = 0;
    serial_->Read(reg, {&value, 1});
    return value;
  }
  void Out(uint64_t reg, uint8_t value) { serial_->Write(reg, {&value, 1}); }
  void Enqueue(std::string_view text) {
    serial_->EnqueueInput({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }
  // Everything written to the output pipe so far.
  std::vector<uint8_t> Output() {
    std::vector<uint8_t> out(1 << 16);
    ssize_t n = ::read(pipe_read_.get(), out.data(), out.size());
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
  }

  std::shared_ptr<FakeInterruptLine> irq_ = std::make_shared<FakeInterruptLine>();
  base::UniqueFd pipe_read_, pipe_write_;
  std::unique_ptr<Serial> serial_;
};

TEST_F(SerialTest, DivisorLatchRoundTripsUnderDlabWithoutTouchingThrOrIer) {
  Out(UART_IER, 0x05);
  Out(UART_LCR, UART_LCR_DLAB | 0x03);
  Out(UART_DLL, 0x01);  // 115200 baud
  Out(UART_DLM, 0x02);
  EXPECT_EQ(In(UART_DLL), 0x01);
  EXPECT_EQ(In(UART_DLM), 0x02);
  Out(UART_LCR, 0x03);  // 8N1, DLAB off
  EXPECT_EQ(In(UART_LCR), 0x03);
  EXPECT_EQ(In(UART_IER), 0x05);
  EXPECT_TRUE(Output().empty());  // the DLL write was not transmitted
  Out(UART_LCR, UART_LCR_DLAB);
  EXPECT_EQ(In(UART_DLL), 0x01);
}

TEST_F(SerialTest, ScratchRegisterHoldsEveryValue) {
  for (int v : {0x00, 0x55, 0xaa, 0xff}) {
    Out(UART_SCR, static_cast<uint8_t>(v));
    EXPECT_EQ(In(UART_SCR), v);
  }
}

TEST_F(SerialTest, IerKeepsOnlyTheFourBitsLinuxAutoconfigExpects) {
  Out(UART_IER, 0x00);
  EXPECT_EQ(In(UART_IER), 0x00);
  Out(UART_IER, 0xff);  // no UUE bit (0x40): not mistaken for an XScale UART
  EXPECT_EQ(In(UART_IER), 0x0f);
}

TEST_F(SerialTest, LoopbackWiresModemControlToModemStatus) {
  EXPECT_EQ(In(UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
  // Exactly what 8250 autoconfig writes and expects.
  Out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
  EXPECT_EQ(In(UART_MSR) & 0xf0, 0x90);
  Out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
  EXPECT_EQ(In(UART_MSR) & 0xf0, UART_MSR_DSR | UART_MSR_RI);
  Out(UART_MCR, UART_MCR_LOOP);
  EXPECT_EQ(In(UART_MSR) & 0xf0, 0);
  Out(UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
  EXPECT_EQ(In(UART_MCR), 0x0b);
  EXPECT_EQ(In(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

TEST_F(SerialTest, LoopbackReturnsTransmittedBytesToTheReceiver) {
  Out(UART_MCR, UART_MCR_LOOP);
  Out(UART_TX, 'x');
  Out(UART_TX, 'y');
  EXPECT_TRUE(In(UART_LSR) & UART_LSR_DR);
  EXPECT_EQ(In(UART_RX), 'x');
  EXPECT_EQ(In(UART_RX), 'y');
  EXPECT_FALSE(In(UART_LSR) & UART_LSR_DR);
  EXPECT_TRUE(Output().empty());
}

TEST_F(SerialTest, EnabledFifoIdentifiesAs16550A) {
  EXPECT_EQ(In(UART_IIR), UART_IIR_NO_INT);
  Out(UART_FCR, UART_FCR_ENABLE_FIFO);
  EXPECT_EQ(In(UART_IIR) >> 6, 3);
  EXPECT_EQ(In(UART_IIR) & 0x20, 0);  // not a 16750's 64-byte FIFO
  Out(UART_FCR, 0);
  EXPECT_EQ(In(UART_IIR) >> 6, 0);
}

TEST_F(SerialTest, TransmitsEveryByteValueToTheOutputFdUnchanged) {
  std::vector<uint8_t> sent(256);
  std::iota(sent.begin(), sent.end(), 0);
  for (uint8_t byte : sent) {
    EXPECT_TRUE(In(UART_LSR) & UART_LSR_THRE);
    Out(UART_TX, byte);
  }
  EXPECT_EQ(In(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
  EXPECT_EQ(Output(), sent);
}

TEST_F(SerialTest, InputSetsDataReadyAndIsReadInOrder) {
  EXPECT_FALSE(In(UART_LSR) & UART_LSR_DR);
  Enqueue("abc");
  EXPECT_EQ(serial_->PendingInput(), 3u);
  std::string got;
  while (In(UART_LSR) & UART_LSR_DR) got += static_cast<char>(In(UART_RX));
  EXPECT_EQ(got, "abc");
  EXPECT_EQ(In(UART_RX), 0);  // an empty receiver reads harmlessly
}

TEST_F(SerialTest, ReceiveInterruptFollowsDataReady) {
  Out(UART_IER, UART_IER_RDI);
  EXPECT_FALSE(irq_->level());
  Enqueue("hi");
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(UART_IIR), UART_IIR_RDI);
  In(UART_RX);
  EXPECT_TRUE(irq_->level());
  In(UART_RX);
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(In(UART_IIR), UART_IIR_NO_INT);
}

TEST_F(SerialTest, IirReportsReceivedDataBeforeThre) {
  Out(UART_FCR, UART_FCR_ENABLE_FIFO);
  Enqueue("z");
  Out(UART_IER, UART_IER_RDI | UART_IER_THRI);
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(UART_IIR), 0xc0 | UART_IIR_RDI);
  EXPECT_EQ(In(UART_IIR), 0xc0 | UART_IIR_RDI);  // RDA is not acknowledged by IIR
  EXPECT_EQ(In(UART_RX), 'z');
  EXPECT_TRUE(irq_->level());  // THRE is still pending underneath
  EXPECT_EQ(In(UART_IIR), 0xc0 | UART_IIR_THRI);
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(In(UART_IIR), 0xc0 | UART_IIR_NO_INT);
}

TEST_F(SerialTest, ThreInterruptRaisedOnEnableAndAfterEachWriteClearedByIir) {
  Out(UART_IER, UART_IER_THRI);
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(UART_IIR), UART_IIR_THRI);
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(In(UART_IIR), UART_IIR_NO_INT);

  Out(UART_TX, 'a');  // transmitted at once: THR empty again
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(UART_IIR), UART_IIR_THRI);
  EXPECT_FALSE(irq_->level());

  // Linux's UART_BUG_THRE probe: IER off and on again must re-assert THRE.
  Out(UART_IER, 0);
  Out(UART_IER, UART_IER_THRI);
  EXPECT_EQ(In(UART_IIR), UART_IIR_THRI);

  Out(UART_TX, 'b');
  EXPECT_TRUE(irq_->level());
  Out(UART_IER, 0);  // masking lowers the line without reading IIR
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(irq_->levels(), std::vector<bool>({true, false, true, false, true, false,
                                               true, false}));
}

TEST_F(SerialTest, InputBeyondCapacityIsDroppedNotBuffered) {
  std::vector<uint8_t> big(Serial::kInputCapacity + 100, 'a');
  big[0] = 'F';
  serial_->EnqueueInput(big);
  EXPECT_EQ(serial_->PendingInput(), Serial::kInputCapacity);
  Enqueue("more");  // still full: dropped
  EXPECT_EQ(serial_->PendingInput(), Serial::kInputCapacity);
  EXPECT_EQ(In(UART_RX), 'F');  // the oldest bytes were kept
  Enqueue("x");
  EXPECT_EQ(serial_->PendingInput(), Serial::kInputCapacity);
}

TEST_F(SerialTest, FifoResetDiscardsPendingInput) {
  Enqueue("stale");
  Out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
  EXPECT_EQ(serial_->PendingInput(), 0u);
  EXPECT_FALSE(In(UART_LSR) & UART_LSR_DR);
}

TEST_F(SerialTest, ClosedOutputPipeDropsOutputWithoutCrashing) {
  ::signal(SIGPIPE, SIG_IGN);
  pipe_read_.reset();
  Out(UART_IER, UART_IER_THRI);
  for (char c : std::string("after the reader went away")) Out(UART_TX, c);
  Out(UART_SCR, 0x5a);  // the device keeps working
  EXPECT_EQ(In(UART_SCR), 0x5a);
  EXPECT_EQ(In(UART_IIR), UART_IIR_THRI);
}

TEST_F(SerialTest, SurvivesAFailingInterruptLineAndCatchesUpLater) {
  irq_->set_fail(true);
  Out(UART_IER, UART_IER_RDI);
  Enqueue("q");
  EXPECT_FALSE(irq_->level());
  irq_->set_fail(false);
  EXPECT_TRUE(In(UART_LSR) & UART_LSR_DR);  // the next access retries the line
  EXPECT_TRUE(irq_->level());
}

TEST_F(SerialTest, WideAccessTouchesConsecutiveRegisters) {
  const uint8_t values[2] = {0x03, 0x0b};  // LCR, MCR
  serial_->Write(UART_LCR, values);
  EXPECT_EQ(In(UART_LCR), 0x03);
  EXPECT_EQ(In(UART_MCR), 0x0b);
}

TEST_F(SerialTest, HostInputThreadAndVcpuReaderAgreeOnEveryByte) {
  constexpr int kBytes = 20000;
  std::thread input([&] {
    for (int i = 0; i < kBytes; i += 100) {
      std::vector<uint8_t> chunk(100);
      for (int j = 0; j < 100; ++j) chunk[j] = static_cast<uint8_t>(i + j);
      serial_->EnqueueInput(chunk);
    }
  });
  int received = 0;
  bool in_order = true;
  while (received < kBytes) {
    if (!(In(UART_LSR) & UART_LSR_DR)) continue;
    in_order &= In(UART_RX) == static_cast<uint8_t>(received);
    ++received;
  }
  input.join();
  EXPECT_TRUE(in_order);
}

TEST(SerialOutput, WritesToARegularFile) {
  char path[] = "/tmp/hull_serial_XXXXXX";
  base::UniqueFd file(::mkostemp(path, O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  ::unlink(path);
  Serial serial(nullptr, file.get());  // no interrupt line at all is tolerated
  for (char c : std::string("ok\n")) {
    uint8_t byte = static_cast<uint8_t>(c);
    serial.Write(UART_TX, {&byte, 1});
  }
  char buf[8] = {};
  ASSERT_EQ(::pread(file.get(), buf, sizeof(buf), 0), 3);
  EXPECT_STREQ(buf, "ok\n");
}

}  // namespace
}  // namespace hull::devices::legacy
