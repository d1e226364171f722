// EventLoop: one epoll loop that runs callbacks when file descriptors become ready —
// the thread that serves every device fd of a VM (STYLE.md: "one event loop for
// device fds"). The VMM runs it on its own thread; devices add their queue-notify
// EventFds and backend fds to it; other threads hand it work with Post.
//
// Threads: Add, Remove, Post and Stop may be called from any thread, including from a
// callback. Callbacks run on the thread inside Run(), one at a time. A Remove from
// another thread can race with a callback already picked for this round, which may
// then still run once: callbacks must check their owner's state under its own lock.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/event_fd.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::base {

class EventLoop {
 public:
  // Called with the epoll events (EPOLLIN, EPOLLHUP, ...) that were ready.
  using Callback = std::function<void(uint32_t events)>;

  static Result<std::unique_ptr<EventLoop>> Create();

  // Watches `fd` (not owned; it must stay open until Remove) for `events`
  // (level-triggered). One registration per fd.
  [[nodiscard]] Status Add(int fd, uint32_t events, Callback callback);
  [[nodiscard]] Status Remove(int fd);
  // Runs `task` on the loop thread, in order, soon.
  void Post(std::function<void()> task);

  // Dispatches events until Stop(). Returns an error only if epoll itself fails.
  [[nodiscard]] Status Run();
  // Makes Run return after the callback it is running, if any.
  void Stop();

 private:
  EventLoop(UniqueFd epoll, EventFd wake) : epoll_(std::move(epoll)), wake_(std::move(wake)) {}
  void RunPostedTasks();

  UniqueFd epoll_;
  EventFd wake_;  // Post and Stop wake epoll_wait through it

  std::mutex mutex_;  // guards everything below
  uint64_t next_id_ = 1;
  struct Entry {
    uint64_t id;
    std::shared_ptr<Callback> callback;
  };
  std::map<int, Entry> by_fd_;
  std::map<uint64_t, std::shared_ptr<Callback>> by_id_;  // epoll data is the id, not the fd
  std::vector<std::function<void()>> posted_;
  bool stop_ = false;
};

}  // namespace hull::base
