#include "devices/bus.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace hull::devices {
namespace {

// Remembers the offsets it saw; reads return the low byte of offset + i.
class RecordingDevice : public BusDevice {
 public:
  void Read(uint64_t offset, std::span<uint8_t> data) override {
    reads.push_back(offset);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(offset + i);
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    writes.push_back(offset);
    written.assign(data.begin(), data.end());
  }
  std::vector<uint64_t> reads, writes;
  std::vector<uint8_t> written;
};

TEST(Bus, TranslatesAddressesToDeviceOffsets) {
  Bus bus;
  auto a = std::make_shared<RecordingDevice>();
  auto b = std::make_shared<RecordingDevice>();
  ASSERT_TRUE(bus.Insert(a, 0x3f8, 8).ok());
  ASSERT_TRUE(bus.Insert(b, 0xd0000000, 0x200).ok());

  uint8_t byte = 0;
  ASSERT_TRUE(bus.Read(0x3fd, {&byte, 1}));
  EXPECT_EQ(byte, 5);
  const uint8_t value[4] = {1, 2, 3, 4};
  ASSERT_TRUE(bus.Write(0xd0000100, value));
  EXPECT_EQ(a->reads, std::vector<uint64_t>{5});
  EXPECT_EQ(b->writes, std::vector<uint64_t>{0x100});
  EXPECT_EQ(b->written, std::vector<uint8_t>({1, 2, 3, 4}));
}

TEST(Bus, RejectsZeroLengthAndNullDevice) {
  Bus bus;
  base::Status s = bus.Insert(std::make_shared<RecordingDevice>(), 0x60, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("zero-length"), std::string::npos) << s.message();
  EXPECT_FALSE(bus.Insert(nullptr, 0x60, 1).ok());
}

TEST(Bus, RejectsOverlapsOnEitherSide) {
  Bus bus;
  ASSERT_TRUE(bus.Insert(std::make_shared<RecordingDevice>(), 0x100, 0x10).ok());
  auto dev = std::make_shared<RecordingDevice>();
  base::Status s = bus.Insert(dev, 0x10f, 1);  // last byte of the existing range
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("overlaps [0x100, 0x10f]"), std::string::npos) << s.message();
  EXPECT_FALSE(bus.Insert(dev, 0xf0, 0x11).ok());   // reaches its first byte
  EXPECT_FALSE(bus.Insert(dev, 0x0, 0x1000).ok());  // covers it entirely
  EXPECT_FALSE(bus.Insert(dev, 0x104, 2).ok());     // inside it
  // Adjacent ranges on both sides are fine.
  EXPECT_TRUE(bus.Insert(dev, 0xf0, 0x10).ok());
  EXPECT_TRUE(bus.Insert(dev, 0x110, 0x10).ok());
}

TEST(Bus, RejectsRangeThatWrapsButAcceptsOneEndingAtTop) {
  Bus bus;
  auto dev = std::make_shared<RecordingDevice>();
  EXPECT_FALSE(bus.Insert(dev, UINT64_MAX - 1, 3).ok());
  ASSERT_TRUE(bus.Insert(dev, UINT64_MAX - 1, 2).ok());
  uint8_t data[2];
  EXPECT_TRUE(bus.Read(UINT64_MAX - 1, data));
  EXPECT_FALSE(bus.Read(UINT64_MAX, data));  // would wrap
}

TEST(Bus, ReportsUnmappedAccesses) {
  Bus bus;
  auto dev = std::make_shared<RecordingDevice>();
  ASSERT_TRUE(bus.Insert(dev, 0x100, 0x10).ok());
  uint8_t data[1];
  EXPECT_FALSE(bus.Read(0xff, data));
  EXPECT_FALSE(bus.Read(0x110, data));
  EXPECT_FALSE(bus.Write(0x0, data));
  EXPECT_FALSE(Bus().Read(0x100, data));
  EXPECT_FALSE(bus.Read(0x100, std::span<uint8_t>()));  // empty access maps nothing
  EXPECT_TRUE(dev->reads.empty());
  EXPECT_TRUE(dev->writes.empty());
}

TEST(Bus, TreatsAccessCrossingTheEndOfARangeAsUnmapped) {
  Bus bus;
  auto dev = std::make_shared<RecordingDevice>();
  auto next = std::make_shared<RecordingDevice>();
  ASSERT_TRUE(bus.Insert(dev, 0x100, 0x10).ok());
  ASSERT_TRUE(bus.Insert(next, 0x110, 0x10).ok());
  uint8_t data[4];
  EXPECT_FALSE(bus.Read(0x10e, data));  // two bytes in each device
  EXPECT_FALSE(bus.Write(0x10d, data));
  EXPECT_TRUE(bus.Read(0x10c, data));  // exactly the last four bytes
  EXPECT_EQ(dev->reads, std::vector<uint64_t>{0xc});
  EXPECT_TRUE(next->reads.empty());
  EXPECT_TRUE(next->writes.empty());
}

}  // namespace
}  // namespace hull::devices
