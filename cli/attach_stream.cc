#include "cli/attach_stream.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

#include "api/detach_keys.h"
#include "base/terminal.h"
#include "base/unique_fd.h"

namespace hull::cli {

using base::Status;

Status StreamDemuxer::Feed(std::string_view data) {
  if (tty_) return base::WriteFully(1, data.data(), data.size());
  pending_.append(data);
  size_t at = 0;
  while (pending_.size() - at >= 8) {
    const auto* h = reinterpret_cast<const unsigned char*>(pending_.data() + at);
    size_t n = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | h[7];
    if (pending_.size() - at - 8 < n) break;
    if (h[0] > 2) return Status::Error("malformed stream from hulld (stream type " + std::to_string(h[0]) + ")");
    RETURN_IF_ERROR(base::WriteFully(h[0] == 2 ? 2 : 1, pending_.data() + at + 8, n));
    at += 8 + n;
  }
  pending_.erase(0, at);
  return Status::Ok();
}

namespace {

// Signals `docker run` proxies (all but those a terminal or child causes).
constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM};

class ScopedSignalFd {
 public:
  ScopedSignalFd(bool forwarded, bool winch) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kForwarded) {
      if (forwarded) sigaddset(&set, s);
    }
    if (winch) sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_BLOCK, &set, &old_);
    fd_ = base::UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~ScopedSignalFd() {
    fd_.reset();
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  int fd() const { return fd_.get(); }

 private:
  sigset_t old_;
  base::UniqueFd fd_;
};

Status SendAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Status::Errno("writing to hulld");
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

Status RelayHijacked(int fd, const std::string& buffered, const RelayOptions& options) {
  StreamDemuxer out(options.tty);
  RETURN_IF_ERROR(out.Feed(buffered));
  bool resize = options.tty && options.on_resize && base::TerminalWindowSize();
  std::optional<ScopedSignalFd> signals;
  if (options.on_signal || resize) signals.emplace(bool(options.on_signal), resize);
  base::RawTerminal raw(options.tty && options.send_stdin ? 0 : -1);
  auto send_size = [&] {
    if (auto size = base::TerminalWindowSize(); size && resize) options.on_resize(size->rows, size->cols);
  };
  send_size();
  bool stdin_open = options.send_stdin;
  bool watch_keys = options.tty && options.send_stdin && !options.detach_keys.empty();
  api::DetachKeyFilter keys(watch_keys ? options.detach_keys : "");
  char buf[65536];
  for (;;) {
    pollfd fds[3] = {{fd, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0},
                     {signals ? signals->fd() : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return Status::Errno("poll");
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo si;
      while (::read(signals->fd(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH) {
          send_size();
        } else {
          options.on_signal(static_cast<int>(si.ssi_signo));
        }
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::string in(buf, n > 0 ? static_cast<size_t>(n) : 0);
      if (n > 0 && watch_keys) {
        std::string pass;
        if (keys.Feed(in, &pass)) {
          (void)SendAll(fd, (pass + options.detach_keys).data(), pass.size() + options.detach_keys.size());
          if (options.detached) *options.detached = true;
          return Status::Ok();
        }
        in = std::move(pass);
      }
      if (n <= 0 || !SendAll(fd, in.data(), in.size()).ok()) {
        stdin_open = false;
        ::shutdown(fd, SHUT_WR);  // the container's stdin reaches EOF
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == ECONNRESET) return Status::Ok();
      if (n < 0) return Status::Errno("reading from hulld");
      if (n == 0) return Status::Ok();
      RETURN_IF_ERROR(out.Feed(std::string_view(buf, static_cast<size_t>(n))));
    }
  }
}

}  // namespace hull::cli
