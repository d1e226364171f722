#include "engine/monitor_stdin.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/unix_listener.h"

namespace hull::engine {

using base::Result;
using base::Status;
using base::UniqueFd;

namespace {
constexpr size_t kMaxHead = 64;
}  // namespace

Result<StdinServer> StdinServer::Listen(const std::string& dir, UniqueFd target, bool close_after_one) {
  // A container directory's path is longer than a socket address may be: bind relative
  // to it (the monitor is single-threaded, so changing directory is safe here).
  std::string path = dir + "/" + kAttachSocket;
  if (::chdir(dir.c_str()) != 0) return Status::Errno("chdir " + dir);
  auto listening = base::ListenUnix(kAttachSocket, 0600, static_cast<gid_t>(-1));
  if (::chdir("/") != 0) return Status::Errno("chdir /");
  ASSIGN_OR_RETURN(UniqueFd listener, std::move(listening));
  ::fcntl(listener.get(), F_SETFL, O_NONBLOCK);
  if (target) ::fcntl(target.get(), F_SETFL, ::fcntl(target.get(), F_GETFL) | O_NONBLOCK);
  return StdinServer(std::move(path), std::move(listener), std::move(target), close_after_one);
}

StdinServer::~StdinServer() {
  if (listener_) ::unlink(path_.c_str());
}

void StdinServer::Fill(std::vector<pollfd>& fds) const {
  fds.push_back({listener_.get(), POLLIN, 0});
  fds.push_back({target_ && !pending_.empty() ? target_.get() : -1, POLLOUT, 0});
  for (const Client& c : clients_) {
    bool wait = c.is_stdin && !pending_.empty();  // the container has not taken the last bytes
    fds.push_back({wait ? -1 : c.fd.get(), POLLIN, 0});
  }
}

void StdinServer::Handle(const pollfd* fds, size_t count) {
  if (count >= 2 && fds[1].revents && target_) {
    ssize_t n = ::write(target_.get(), pending_.data(), pending_.size());
    if (n > 0) {
      pending_.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      target_.reset();  // the container closed its stdin
      pending_.clear();
    }
  }
  for (size_t i = 2; i < count && i - 2 < clients_.size(); ++i) {
    if (fds[i].revents) ReadClient(clients_[i - 2]);
  }
  clients_.erase(std::remove_if(clients_.begin(), clients_.end(), [](const Client& c) { return !c.fd; }),
                 clients_.end());
  if (count >= 1 && fds[0].revents) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (fd) clients_.push_back(Client{std::move(fd)});
  }
  if (close_after_one_ && closing_ && pending_.empty()) target_.reset();
}

void StdinServer::ReadClient(Client& c) {
  char buf[16384];
  ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return EndStdin(c);
  std::string_view data(buf, static_cast<size_t>(n));
  if (c.is_stdin) {
    if (target_) pending_.append(data);
    return;
  }
  c.head.append(data);
  size_t nl = c.head.find('\n');
  if (nl == std::string::npos) {
    if (c.head.size() > kMaxHead) c.fd.reset();
    return;
  }
  std::string line = c.head.substr(0, nl), rest = c.head.substr(nl + 1);
  int rows = 0, cols = 0;
  if (line == "stdin" && target_ && !closing_) {
    c.is_stdin = true;
    pending_.append(rest);
  } else if (line == "detach") {
    // hulld's attach saw the detach keys and is about to end its stdin connection; that
    // end must not close the container's stdin (StdinOnce), as Docker's detach does not.
    for (Client& other : clients_) other.detached = other.detached || other.is_stdin;
    c.fd.reset();
  } else if (std::sscanf(line.c_str(), "resize %d %d", &rows, &cols) == 2 && rows >= 0 && cols >= 0) {
    if (on_resize) on_resize(rows, cols);
    c.fd.reset();
  } else {
    c.fd.reset();
  }
}

void StdinServer::EndStdin(Client& c) {
  if (c.is_stdin && close_after_one_ && !c.detached) closing_ = true;  // closed once what it sent is written
  c.fd.reset();
}

Result<UniqueFd> ConnectMonitor(const std::string& dir, const std::string& first_line) {
  // Through the directory's descriptor: the full path is too long for a socket address.
  auto dir_fd = base::OpenFile(dir, O_PATH | O_DIRECTORY);
  if (!dir_fd.ok()) return dir_fd.status();
  std::string path = "/proc/self/fd/" + std::to_string(dir_fd->get()) + "/" + kAttachSocket;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Status::Error("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Status::Errno("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Status::Errno("connecting to " + path);
  }
  std::string line = first_line + "\n";
  RETURN_IF_ERROR(base::WriteFully(fd.get(), line.data(), line.size()));
  return fd;
}

}  // namespace hull::engine
