// The split virtqueue against a fake driver: chains, indirect tables, the used ring,
// notification suppression, and every way a hostile driver can break the rules.
#include "devices/virtio/queue.h"

#include "devices/virtio/virtio_uapi.h"

#include <gtest/gtest.h>

#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"

namespace hull::devices::virtio {
namespace {

using testing::Buffer;

constexpr uint64_t kIndirect = 1ull << VIRTIO_RING_F_INDIRECT_DESC;
constexpr uint64_t kEventIdx = 1ull << VIRTIO_RING_F_EVENT_IDX;
constexpr QueueLayout kLayout{16, 0x1000, 0x2000, 0x3000};

class QueueTest : public ::testing::Test {
 protected:
  Queue MakeQueue(uint64_t features = kIndirect, QueueLayout layout = kLayout) {
    driver_ = std::make_unique<testing::FakeQueueDriver>(ram_.memory(), layout);
    auto q = Queue::Create(ram_.memory(), layout, features);
    EXPECT_TRUE(q.ok()) << q.status().message();
    return std::move(q).value();
  }
  // Pop must fail with a message containing `what`, and the queue must stay broken.
  void ExpectDriverError(Queue& q, const std::string& what) {
    auto popped = q.Pop();
    ASSERT_FALSE(popped.ok()) << "expected a driver error: " << what;
    EXPECT_NE(popped.status().message().find(what), std::string::npos) << popped.status().message();
    EXPECT_TRUE(q.broken());
    EXPECT_FALSE(q.Pop().ok()) << "a broken queue must not serve chains again";
  }
  void Desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next = 0) {
    vring_desc d{};
    d.addr = addr;
    d.len = len;
    d.flags = flags;
    d.next = next;
    driver_->WriteDescriptor(i, d);
  }

  testing::FakeGuestMemory ram_;
  std::unique_ptr<testing::FakeQueueDriver> driver_;
};

TEST_F(QueueTest, EmptyRingPopsNothing) {
  Queue q = MakeQueue();
  auto popped = q.Pop();
  ASSERT_TRUE(popped.ok());
  EXPECT_FALSE(popped->has_value());
}

TEST_F(QueueTest, PopsChainWithReadableThenWritableBuffers) {
  Queue q = MakeQueue();
  Buffer b[] = {{0x10000, 10, false}, {0x11000, 20, false}, {0x12000, 30, true}};
  uint16_t head = driver_->AddChain(b);
  auto popped = q.Pop();
  ASSERT_TRUE(popped.ok() && popped->has_value());
  const DescriptorChain& chain = **popped;
  EXPECT_EQ(chain.head(), head);
  ASSERT_EQ(chain.readable().size(), 2u);
  ASSERT_EQ(chain.writable().size(), 1u);
  EXPECT_EQ(chain.readable()[1].addr, 0x11000u);
  EXPECT_EQ(chain.readable_bytes(), 30u);
  EXPECT_EQ(chain.writable_bytes(), 30u);
  EXPECT_FALSE(q.Pop()->has_value());
}

TEST_F(QueueTest, AddUsedPublishesHeadAndLengthAndWrapsAround) {
  Queue q = MakeQueue(kIndirect, {4, 0x1000, 0x2000, 0x3000});
  for (uint32_t i = 0; i < 10; ++i) {
    Buffer b[] = {{0x10000, 8, true}};
    uint16_t head = driver_->AddChain(b);
    auto popped = q.Pop();
    ASSERT_TRUE(popped.ok() && popped->has_value());
    ASSERT_TRUE(q.AddUsed((*popped)->head(), i).ok());
    auto used = driver_->PopUsed();
    ASSERT_TRUE(used.has_value());
    EXPECT_EQ(used->id, head);
    EXPECT_EQ(used->len, i);
  }
  EXPECT_EQ(driver_->used_idx(), 10);
}

TEST_F(QueueTest, UndoPopReturnsTheSameChainAgain) {
  Queue q = MakeQueue();
  Buffer b[] = {{0x10000, 8, true}};
  uint16_t head = driver_->AddChain(b);
  ASSERT_TRUE(q.Pop()->has_value());
  q.UndoPop();
  auto again = q.Pop();
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->head(), head);
}

TEST_F(QueueTest, FollowsIndirectTable) {
  Queue q = MakeQueue();
  Buffer b[] = {{0x10000, 4, false}, {0x11000, 5, true}, {0x12000, 6, true}};
  driver_->AddIndirectChain(b, 0x8000);
  auto popped = q.Pop();
  ASSERT_TRUE(popped.ok() && popped->has_value()) << popped.status().message();
  EXPECT_EQ((*popped)->readable_bytes(), 4u);
  EXPECT_EQ((*popped)->writable_bytes(), 11u);
  EXPECT_EQ((*popped)->writable()[1].addr, 0x12000u);
}

TEST_F(QueueTest, RejectsIndirectWhenNotNegotiated) {
  Queue q = MakeQueue(0);
  Buffer b[] = {{0x10000, 4, false}};
  driver_->AddIndirectChain(b, 0x8000);
  ExpectDriverError(q, "not negotiated");
}

TEST_F(QueueTest, RejectsNestedIndirectTable) {
  Queue q = MakeQueue();
  Buffer b[] = {{0x10000, 4, false}};
  driver_->AddIndirectChain(b, 0x8000);
  vring_desc nested{};
  nested.addr = 0x9000;
  nested.len = 16;
  nested.flags = VRING_DESC_F_INDIRECT;
  ASSERT_TRUE(ram_.memory().WriteObject<vring_desc>(0x8000, nested).ok());
  ExpectDriverError(q, "inside an indirect table");
}

TEST_F(QueueTest, RejectsIndirectDescriptorWithNextFlag) {
  Queue q = MakeQueue();
  Desc(0, 0x8000, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
  driver_->MakeAvailable(0);
  ExpectDriverError(q, "VRING_DESC_F_NEXT");
}

TEST_F(QueueTest, RejectsIndirectTableOfZeroOrOddLength) {
  for (uint32_t len : {0u, 15u, 17u, 0xfffffff0u}) {
    Queue q = MakeQueue();
    Desc(0, 0x8000, len, VRING_DESC_F_INDIRECT);
    driver_->MakeAvailable(0);
    ExpectDriverError(q, "indirect table");
  }
}

TEST_F(QueueTest, RejectsIndirectTableOutsideGuestMemory) {
  Queue q = MakeQueue();
  Desc(0, (1u << 20) - 16, 32, VRING_DESC_F_INDIRECT);  // runs past the end of RAM
  driver_->MakeAvailable(0);
  ExpectDriverError(q, "outside guest memory");
}

TEST_F(QueueTest, RejectsDescriptorChainThatLoops) {
  Queue q = MakeQueue();
  Desc(0, 0x10000, 8, VRING_DESC_F_NEXT, 1);
  Desc(1, 0x10000, 8, VRING_DESC_F_NEXT, 0);
  driver_->MakeAvailable(0);
  ExpectDriverError(q, "loops");
}

TEST_F(QueueTest, RejectsDescriptorThatPointsAtItself) {
  Queue q = MakeQueue();
  Desc(3, 0x10000, 8, VRING_DESC_F_NEXT, 3);
  driver_->MakeAvailable(3);
  ExpectDriverError(q, "loops");
}

TEST_F(QueueTest, RejectsLoopInsideIndirectTable) {
  Queue q = MakeQueue();
  vring_desc looping{};
  looping.addr = 0x10000;
  looping.len = 8;
  looping.flags = VRING_DESC_F_NEXT;
  looping.next = 0;
  ASSERT_TRUE(ram_.memory().WriteObject<vring_desc>(0x8000, looping).ok());
  Desc(0, 0x8000, 16, VRING_DESC_F_INDIRECT);
  driver_->MakeAvailable(0);
  ExpectDriverError(q, "loops");
}

TEST_F(QueueTest, RejectsBuffersOutsideGuestMemory) {
  const uint64_t kHoleAddress = 1u << 24;  // between the two fake regions
  const uint64_t kCrossesRegionEnd = (1u << 20) - 4;
  const uint64_t kWrapsAddressSpace = ~uint64_t{0} - 3;
  for (uint64_t addr : {kHoleAddress, kCrossesRegionEnd, kWrapsAddressSpace}) {
    Queue q = MakeQueue();
    Buffer b[] = {{addr, 8, true}};
    driver_->AddChain(b);
    ExpectDriverError(q, "outside guest memory");
  }
}

TEST_F(QueueTest, RejectsHugeLength) {
  Queue q = MakeQueue();
  Buffer b[] = {{0x10000, 0xffffffffu, false}};
  driver_->AddChain(b);
  ExpectDriverError(q, "outside guest memory");
}

TEST_F(QueueTest, AcceptsZeroLengthBufferWithoutTouchingMemory) {
  Queue q = MakeQueue();
  Buffer b[] = {{1u << 24, 0, false}, {0x10000, 4, true}};  // the empty one is in the hole
  driver_->AddChain(b);
  auto popped = q.Pop();
  ASSERT_TRUE(popped.ok() && popped->has_value()) << popped.status().message();
  EXPECT_EQ((*popped)->readable_bytes(), 0u);
}

TEST_F(QueueTest, RejectsReadableBufferAfterWritableOne) {
  Queue q = MakeQueue();
  Buffer b[] = {{0x10000, 4, true}, {0x11000, 4, false}};
  driver_->AddChain(b);
  ExpectDriverError(q, "readable descriptor after a device-writable");
}

TEST_F(QueueTest, RejectsHeadIndexOutsideQueue) {
  Queue q = MakeQueue();
  driver_->MakeAvailable(16);
  ExpectDriverError(q, "head index");
}

TEST_F(QueueTest, RejectsNextIndexOutsideQueue) {
  Queue q = MakeQueue();
  Desc(0, 0x10000, 8, VRING_DESC_F_NEXT, 200);
  driver_->MakeAvailable(0);
  ExpectDriverError(q, "next index 200");
}

TEST_F(QueueTest, RejectsAvailableIndexMoreThanQueueSizeAhead) {
  Queue q = MakeQueue();
  driver_->SetAvailIdx(17);
  ExpectDriverError(q, "more than the queue size");
}

TEST(QueueCreate, RejectsSizesThatAreNotPowersOfTwo) {
  testing::FakeGuestMemory ram;
  for (uint16_t size : {0, 3, 100, 65535}) {
    EXPECT_FALSE(Queue::Create(ram, {size, 0x1000, 0x2000, 0x3000}, 0).ok()) << size;
  }
  EXPECT_TRUE(Queue::Create(ram, {1, 0x1000, 0x2000, 0x3000}, 0).ok());
}

TEST(QueueCreate, RejectsMisalignedOrOutOfMemoryRings) {
  testing::FakeGuestMemory ram;
  EXPECT_FALSE(Queue::Create(ram, {16, 0x1008, 0x2000, 0x3000}, 0).ok());
  EXPECT_FALSE(Queue::Create(ram, {16, 0x1000, 0x2001, 0x3000}, 0).ok());
  EXPECT_FALSE(Queue::Create(ram, {16, 0x1000, 0x2000, 0x3002}, 0).ok());
  EXPECT_FALSE(Queue::Create(ram, {16, (1u << 20) - 16, 0x2000, 0x3000}, 0).ok());
  EXPECT_FALSE(Queue::Create(ram, {16, 0x1000, 0x2000, 1u << 24}, 0).ok());
  EXPECT_FALSE(Queue::Create(ram, {32768, 0x1000, 0x2000, 0xf0000}, 0).ok());
}

TEST_F(QueueTest, NoInterruptWhenNothingNewWasUsed) {
  for (uint64_t features : {uint64_t{0}, kEventIdx}) {
    Queue q = MakeQueue(features);
    EXPECT_FALSE(*q.NeedsInterrupt()) << "nothing used yet";
    Buffer b[] = {{0x10000, 8, true}};
    driver_->AddChain(b);
    ASSERT_TRUE(q.AddUsed((*q.Pop())->head(), 8).ok());
    EXPECT_TRUE(*q.NeedsInterrupt());
    EXPECT_FALSE(*q.NeedsInterrupt()) << "a spurious kick must not cause an interrupt";
  }
}

TEST_F(QueueTest, NoInterruptFlagSuppressesInterrupt) {
  Queue q = MakeQueue(0);
  Buffer b[] = {{0x10000, 8, true}};
  driver_->AddChain(b);
  ASSERT_TRUE(q.AddUsed((*q.Pop())->head(), 8).ok());
  driver_->SetAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
  EXPECT_FALSE(*q.NeedsInterrupt());
  driver_->SetAvailFlags(0);
  driver_->AddChain(b);
  ASSERT_TRUE(q.AddUsed((*q.Pop())->head(), 8).ok());
  EXPECT_TRUE(*q.NeedsInterrupt());
}

TEST_F(QueueTest, EventIdxInterruptsOnlyWhenUsedIndexPassesUsedEvent) {
  Queue q = MakeQueue(kEventIdx);
  driver_->SetUsedEvent(2);  // "interrupt me when the third chain is used"
  auto use_one = [&] {
    Buffer b[] = {{0x10000, 8, true}};
    driver_->AddChain(b);
    ASSERT_TRUE(q.AddUsed((*q.Pop())->head(), 8).ok());
  };
  use_one();
  EXPECT_TRUE(*q.NeedsInterrupt()) << "the first interrupt is always sent";
  use_one();
  EXPECT_FALSE(*q.NeedsInterrupt()) << "used idx 2 has not passed used_event 2";
  use_one();
  EXPECT_TRUE(*q.NeedsInterrupt()) << "used idx 3 passed used_event 2";
  EXPECT_FALSE(*q.NeedsInterrupt()) << "nothing new since the last interrupt";
}

TEST_F(QueueTest, EventIdxEnableNotificationPublishesAvailEvent) {
  Queue q = MakeQueue(kEventIdx);
  Buffer b[] = {{0x10000, 8, true}};
  driver_->AddChain(b);
  driver_->AddChain(b);
  ASSERT_TRUE(q.Pop()->has_value());
  auto more = q.EnableNotification();
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(*more) << "a second chain is waiting";
  EXPECT_EQ(driver_->avail_event(), 1);
  ASSERT_TRUE(q.Pop()->has_value());
  EXPECT_FALSE(*q.EnableNotification());
  EXPECT_EQ(driver_->avail_event(), 2);
}

TEST_F(QueueTest, DisableNotificationSetsNoNotifyUntilEnabled) {
  Queue q = MakeQueue(0);
  ASSERT_TRUE(q.DisableNotification().ok());
  EXPECT_EQ(driver_->used_flags(), VRING_USED_F_NO_NOTIFY);
  EXPECT_FALSE(*q.EnableNotification());
  EXPECT_EQ(driver_->used_flags(), 0);
}

TEST(BufferCursor, ReadsAndWritesAcrossBufferBoundaries) {
  testing::FakeGuestMemory ram;
  const uint8_t bytes[] = {1, 2, 3, 4, 5, 6, 7};
  ASSERT_TRUE(ram.memory().Write(0x10000, bytes, 3).ok());
  ASSERT_TRUE(ram.memory().Write(0x20000, bytes + 3, 4).ok());
  DescriptorChain chain(0, {{0x10000, 3, false}, {0x20000, 4, false}, {0x30000, 2, true},
                            {0x40000, 0, true}, {0x50000, 5, true}});
  ChainReader reader(ram, chain);
  auto value = reader.ReadObject<uint32_t>();
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 0x04030201u);
  EXPECT_EQ(reader.remaining(), 3u);
  uint8_t too_many[4];
  EXPECT_FALSE(reader.Read(too_many).ok());
  EXPECT_EQ(reader.remaining(), 3u) << "a failed read consumes nothing";

  ChainWriter writer(ram, chain);
  ASSERT_TRUE(writer.Write(std::span<const uint8_t>(bytes, 6)).ok());
  EXPECT_EQ(writer.consumed(), 6u);
  EXPECT_EQ(*ram.memory().ReadObject<uint8_t>(0x50003), 6);
  EXPECT_FALSE(writer.WriteObject<uint16_t>(0).ok()) << "one byte left";
  auto spans = writer.Take(1);
  ASSERT_TRUE(spans.ok());
  ASSERT_EQ(spans->size(), 1u);
}

}  // namespace
}  // namespace hull::devices::virtio
