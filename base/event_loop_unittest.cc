// The device event loop: callbacks on readiness, Post, Stop from another thread, and
// Remove.
#include "base/event_loop.h"

#include <sys/eventfd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace hull::base {
namespace {

TEST(EventLoop, RunsCallbackWhenFdIsReadyAndStopsFromAnotherThread) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  auto fd = EventFd::Create(EFD_NONBLOCK);
  ASSERT_TRUE(fd.ok());
  std::atomic<int> calls{0};
  ASSERT_TRUE((*loop)->Add(fd->fd(), EPOLLIN, [&](uint32_t events) {
    EXPECT_TRUE(events & EPOLLIN);
    (void)fd->Consume();
    if (++calls == 2) (*loop)->Stop();
  }).ok());
  std::thread runner([&] { EXPECT_TRUE((*loop)->Run().ok()); });
  ASSERT_TRUE(fd->Signal().ok());
  while (calls < 1) std::this_thread::yield();
  ASSERT_TRUE(fd->Signal().ok());
  runner.join();
  EXPECT_EQ(calls, 2);
}

TEST(EventLoop, PostedTasksRunOnTheLoopThreadInOrder) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  std::vector<int> order;
  std::thread::id loop_thread;
  std::thread runner([&] {
    loop_thread = std::this_thread::get_id();
    (void)(*loop)->Run();
  });
  std::thread::id ran_on;
  (*loop)->Post([&] { order.push_back(1); });
  (*loop)->Post([&] {
    order.push_back(2);
    ran_on = std::this_thread::get_id();
    (*loop)->Stop();
  });
  runner.join();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(ran_on, loop_thread);
}

TEST(EventLoop, RemovedFdNoLongerRunsItsCallback) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  auto fd = EventFd::Create(EFD_NONBLOCK);
  ASSERT_TRUE(fd.ok());
  bool called = false;
  ASSERT_TRUE((*loop)->Add(fd->fd(), EPOLLIN, [&](uint32_t) { called = true; }).ok());
  ASSERT_TRUE((*loop)->Remove(fd->fd()).ok());
  ASSERT_TRUE(fd->Signal().ok());
  (*loop)->Post([&] { (*loop)->Stop(); });
  ASSERT_TRUE((*loop)->Run().ok());
  EXPECT_FALSE(called);
  EXPECT_FALSE((*loop)->Remove(fd->fd()).ok()) << "not watched any more";
}

TEST(EventLoop, RejectsTheSameFdTwice) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  auto fd = EventFd::Create(EFD_NONBLOCK);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE((*loop)->Add(fd->fd(), EPOLLIN, [](uint32_t) {}).ok());
  EXPECT_FALSE((*loop)->Add(fd->fd(), EPOLLIN, [](uint32_t) {}).ok());
}

TEST(EventLoop, StopBeforeRunMakesRunReturnAtOnce) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  (*loop)->Stop();
  EXPECT_TRUE((*loop)->Run().ok());
}

}  // namespace
}  // namespace hull::base
