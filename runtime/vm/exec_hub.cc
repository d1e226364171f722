#include "runtime/vm/exec_hub.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/logging.h"
#include "base/unix_listener.h"

namespace hull::runtime::vm {
namespace {

using guest::FrameType;

// Clients are not read while this much waits for the guest's channel.
constexpr size_t kMaxBacklog = 1 << 20;
// A client that takes no output for this long is dropped rather than stall the VM's relay.
constexpr int kClientSendTimeoutS = 10;
// What a client whose VM ended is told: killed with the container, as Docker reports it.
const guest::ExitReport kKilled{.signaled = true, .code = SIGKILL};

}  // namespace

base::Result<std::unique_ptr<ExecHub>> ExecHub::Listen(const std::string& path) {
  ASSIGN_OR_RETURN(base::UniqueFd listener, base::ListenUnix(path, 0600, static_cast<gid_t>(-1)));
  base::UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return base::Status::Errno("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener.get();
  if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, listener.get(), &ev) != 0)
    return base::Status::Errno("epoll_ctl");
  return std::unique_ptr<ExecHub>(new ExecHub(path, std::move(listener), std::move(epoll)));
}

ExecHub::~ExecHub() { VmEnded(); }

int ExecHub::poll_fd() const {
  if (channel_.backlog && channel_.backlog() > kMaxBacklog) return -1;
  return epoll_ ? epoll_.get() : -1;
}

void ExecHub::GuestReady(uint32_t version) {
  ready_ = true;
  version_ = version;
  std::vector<int> fds;
  for (auto& [fd, c] : clients_) fds.push_back(fd);
  for (int fd : fds) {
    auto it = clients_.find(fd);
    if (it == clients_.end() || it->second.held.empty()) continue;
    if (version_ < 2) {
      EndClient(fd, "the guest's hull-init is too old for exec", {.code = 126});
      continue;
    }
    std::string held = std::move(it->second.held);
    if (channel_.send) channel_.send(held);
  }
}

void ExecHub::MainExited() {
  main_exited_ = true;
  if (listener_) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.get(), nullptr);
  listener_.reset();
}

void ExecHub::VmEnded() {
  channel_ = {};
  std::vector<int> fds;
  for (auto& [fd, c] : clients_) fds.push_back(fd);
  for (int fd : fds) EndClient(fd, "", kKilled);
  sessions_.clear();
  listener_.reset();
  epoll_.reset();
  if (!path_.empty()) unlink(path_.c_str());
  path_.clear();
}

base::Status ExecHub::Process() {
  epoll_event events[16];
  int n = epoll_wait(epoll_.get(), events, 16, 0);
  if (n < 0 && errno != EINTR) return base::Status::Errno("epoll_wait");
  for (int i = 0; i < n; ++i) {
    if (listener_ && events[i].data.fd == listener_.get()) {
      Accept();
    } else {
      ReadClient(events[i].data.fd);
    }
  }
  return base::Status::Ok();
}

void ExecHub::Accept() {
  base::UniqueFd fd(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd) return;
  timeval tv{kClientSendTimeoutS, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd.get();
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) return;
  int key = fd.get();
  clients_[key].fd = std::move(fd);
}

void ExecHub::ReadClient(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& c = it->second;
  char buf[guest::kMaxPayload];
  ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    // The client left. Its process goes on, as a detached exec would (Docker's rule):
    // it only loses its stdin.
    if (c.session && ready_)
      ToGuest(c, guest::EncodeExecFrame(FrameType::kExecStdinClose, c.session));
    EndClient(fd, "", {});
    return;
  }
  c.decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
  while (clients_.count(fd)) {
    auto frame = c.decoder.Next();
    if (!frame.ok()) {
      LOG_WARNING << "exec client: " << frame.status().message();
      EndClient(fd, "exec: " + frame.status().message(), {.code = 125});
      return;
    }
    if (!*frame) return;
    if (auto s = ClientFrame(c, **frame); !s.ok()) {
      EndClient(fd, "exec: " + s.message(), {.code = 125});
      return;
    }
  }
}

base::Status ExecHub::ClientFrame(Client& c, const guest::Frame& f) {
  if (!guest::IsExecFrame(f.type))
    return base::Status::Error("an exec client may send exec frames only");
  if (f.type == FrameType::kExecStart) {
    if (c.session) return base::Status::Error("a second EXEC_START on one connection");
    if (main_exited_) return base::Status::Error("the container's main process has exited");
    if (ready_ && version_ < 2) return base::Status::Error("the guest's hull-init is too old for exec");
    c.session = next_session_++;
    sessions_[c.session] = c.fd.get();
  } else if (!c.session) {
    return base::Status::Error("the first frame must be EXEC_START");
  }
  ToGuest(c, guest::WithSession(f, c.session));
  return base::Status::Ok();
}

void ExecHub::ToGuest(Client& c, const std::string& frame) {
  if (!ready_) {
    c.held += frame;
  } else if (channel_.send) {
    channel_.send(frame);
  }
}

base::Status ExecHub::FromGuest(const guest::Frame& f) {
  // Values are checked even for sessions nobody waits for: a malformed frame is the
  // guest's protocol error either way.
  if (f.type == FrameType::kExecStarted) RETURN_IF_ERROR(guest::DecodeExecStarted(f).status());
  if (f.type == FrameType::kExecExit) RETURN_IF_ERROR(guest::DecodeExecExit(f).status());
  if (static_cast<uint8_t>(f.type) < 0x80)
    return base::Status::Error("protocol: a host-side exec frame from the guest");
  auto it = sessions_.find(guest::SessionOf(f));
  if (it == sessions_.end()) return base::Status::Ok();  // not a session of ours
  int fd = it->second;
  if (f.type == FrameType::kExecExit) sessions_.erase(it);
  auto client = clients_.find(fd);
  if (fd < 0 || client == clients_.end()) return base::Status::Ok();  // its client left
  if (!SendToClient(client->second, guest::WithSession(f, 0))) {
    EndClient(fd, "", {});
    return base::Status::Ok();
  }
  if (f.type == FrameType::kExecExit) {
    client->second.session = 0;  // ended: nothing more to tell it
    EndClient(fd, "", {});
  }
  return base::Status::Ok();
}

bool ExecHub::SendToClient(Client& c, const std::string& frame) {
  size_t done = 0;
  while (done < frame.size()) {
    ssize_t n = send(c.fd.get(), frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // gone, or stalled past kClientSendTimeoutS
    done += static_cast<size_t>(n);
  }
  return true;
}

void ExecHub::EndClient(int fd, const std::string& why, const guest::ExitReport& report) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& c = it->second;
  // A client still owed an answer gets one: why, and an exit report.
  bool owed = !why.empty() || (c.session && sessions_.count(c.session));
  if (owed) {
    if (!why.empty()) (void)SendToClient(c, guest::EncodeExecFrame(FrameType::kExecError, 0, why));
    (void)SendToClient(c, guest::EncodeExecExit(0, report));
  }
  if (c.session) {
    auto s = sessions_.find(c.session);
    if (s != sessions_.end()) s->second = -1;  // the guest's frames for it are dropped
  }
  if (epoll_) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(it);
}

}  // namespace hull::runtime::vm
