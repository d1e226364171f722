#include "base/event_loop.h"

#include <sys/eventfd.h>

namespace hull::base {
namespace {

constexpr uint64_t kWakeId = 0;  // registration ids start at 1

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::Create() {
  int raw = ::epoll_create1(EPOLL_CLOEXEC);
  if (raw < 0) return Status::Errno("epoll_create1");
  UniqueFd epoll(raw);
  ASSIGN_OR_RETURN(EventFd wake, EventFd::Create(EFD_NONBLOCK));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.fd(), &ev) < 0) {
    return Status::Errno("epoll_ctl add (event loop wake-up)");
  }
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(epoll), std::move(wake)));
}

Status EventLoop::Add(int fd, uint32_t events, Callback callback) {
  std::lock_guard lock(mutex_);
  if (by_fd_.count(fd) != 0) return Status::Error("event loop: fd " + std::to_string(fd) + " added twice");
  uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
    return Status::Errno("epoll_ctl add fd " + std::to_string(fd));
  }
  auto cb = std::make_shared<Callback>(std::move(callback));
  by_fd_[fd] = Entry{id, cb};
  by_id_[id] = cb;
  return Status::Ok();
}

Status EventLoop::Remove(int fd) {
  std::lock_guard lock(mutex_);
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return Status::Error("event loop: fd " + std::to_string(fd) + " is not watched");
  by_id_.erase(it->second.id);
  by_fd_.erase(it);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) < 0) {
    return Status::Errno("epoll_ctl del fd " + std::to_string(fd));
  }
  return Status::Ok();
}

void EventLoop::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(task));
  }
  (void)wake_.Signal();
}

void EventLoop::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  (void)wake_.Signal();
}

void EventLoop::RunPostedTasks() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task();
}

Status EventLoop::Run() {
  constexpr int kMaxEvents = 32;
  epoll_event events[kMaxEvents];
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) {
        stop_ = false;  // a later Run() starts afresh
        return Status::Ok();
      }
    }
    int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        (void)wake_.Consume();
        RunPostedTasks();
        continue;
      }
      std::shared_ptr<Callback> cb;
      {
        std::lock_guard lock(mutex_);
        auto it = by_id_.find(id);
        if (it == by_id_.end()) continue;  // removed earlier in this round
        cb = it->second;
      }
      (*cb)(events[i].events);
    }
  }
}

}  // namespace hull::base
