#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "base/event_fd.h"
#include "base/logging.h"
#include "base/scoped_mmap.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::base {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::Error("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, PropagatesFirstErrorWithContext) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_EQ(r.status().WithContext("quartering").message(), "quartering: odd: 3");
}

TEST(Status, ErrnoNamesTheCall) {
  Status s = Status::Errno("open /x", ENOENT);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error_number(), ENOENT);
  EXPECT_NE(s.message().find("No such file"), std::string::npos);
}

TEST(UniqueFd, ClosesOnDestructionAndMove) {
  int raw;
  {
    Result<UniqueFd> fd = OpenFile("/dev/null", O_RDONLY);
    ASSERT_TRUE(fd.ok());
    raw = fd->get();
    EXPECT_NE(fcntl(raw, F_GETFD) & FD_CLOEXEC, 0);
    UniqueFd moved = std::move(fd.value());
    EXPECT_FALSE(fd->valid());
    EXPECT_EQ(moved.get(), raw);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1);
}

TEST(UniqueFd, OpenErrorNamesThePath) {
  Result<UniqueFd> fd = OpenFile("/nonexistent/hull", O_RDONLY);
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.status().message().find("/nonexistent/hull"), std::string::npos);
}

TEST(UniqueFd, ReadFileToStringRespectsLimit) {
  char path[] = "/tmp/hull-base-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  UniqueFd owner(fd);
  ASSERT_TRUE(WriteFully(fd, "hello", 5).ok());
  EXPECT_EQ(*ReadFileToString(path), "hello");
  EXPECT_FALSE(ReadFileToString(path, 4).ok());
  EXPECT_FALSE(ReadFileToString("/tmp").ok());
  unlink(path);
}

// procfs (like sysfs and cgroupfs) gives its files a size of 0: they are read to the end.
TEST(UniqueFd, ReadFileToStringReadsProcFilesThatSayTheyAreEmpty) {
  Result<std::string> status = ReadFileToString("/proc/self/status");
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(status->rfind("Name:", 0), 0u) << *status;
  EXPECT_NE(status->find("\nPid:"), std::string::npos);
  EXPECT_FALSE(ReadFileToString("/proc/self/status", 16).ok());
}

TEST(EventFd, SignalAccumulatesAndConsumes) {
  Result<EventFd> e = EventFd::Create(EFD_NONBLOCK);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e->Consume(), 0u);
  ASSERT_TRUE(e->Signal(2).ok());
  ASSERT_TRUE(e->Signal(3).ok());
  EXPECT_EQ(*e->Consume(), 5u);
  EXPECT_EQ(*e->Consume(), 0u);
}

TEST(ScopedMmap, MapsWritableMemoryAndRejectsZeroSize) {
  Result<ScopedMmap> m = ScopedMmap::Anonymous(8192);
  ASSERT_TRUE(m.ok());
  m->data()[8191] = 7;
  EXPECT_EQ(m->data()[8191], 7);
  ScopedMmap moved = std::move(m.value());
  EXPECT_FALSE(m->valid());
  EXPECT_EQ(moved.size(), 8192u);
  EXPECT_FALSE(ScopedMmap::Anonymous(0).ok());
}

TEST(Logging, ParsesLevelsAndFilters) {
  LogLevel level;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("loud", &level));
  SetLogLevel(LogLevel::kError);
  EXPECT_FALSE(LogEnabled(LogLevel::kWarning));
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
  SetLogLevel(LogLevel::kWarning);
}

}  // namespace
}  // namespace hull::base
