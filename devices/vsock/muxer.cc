#include "devices/vsock/muxer.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstring>

#include "base/logging.h"

namespace hull::devices::vsock {
namespace {

constexpr int kMaxAcceptsPerWake = 64;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

}  // namespace

base::Result<std::unique_ptr<Muxer>> Muxer::Create(MuxerOptions options) {
  ASSIGN_OR_RETURN(Listener listener, Listen(options.uds_path));
  int timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer < 0) {
    base::Status s = base::Status::Errno("timerfd_create");
    UnlinkListener(options.uds_path, listener);
    return s;
  }
  return std::unique_ptr<Muxer>(
      new Muxer(std::move(options), std::move(listener), base::UniqueFd(timer)));
}

Muxer::~Muxer() {
  Stop();
  UnlinkListener(options_.uds_path, listener_);
}

bool Muxer::ShouldLog() { return ++log_lines_ <= 32; }

void Muxer::Watch(int fd, uint32_t events, std::function<void(uint32_t)> work) {
  if (loop_ == nullptr) return;
  // The callback holds its own copy of run_: one the loop picked just before a Stop may
  // still run once (base/event_loop.h), and run_ then finds the device inactive. A
  // stale callback that lands in a later activation finds its fd or key gone or reused,
  // which costs a read that gets EAGAIN.
  auto callback = [run = run_, work = std::move(work)](uint32_t ready) {
    run([&] { work(ready); });
  };
  if (base::Status s = loop_->Add(fd, events, std::move(callback)); !s.ok()) {
    LOG_ERROR << "vsock: " << s.message();
  }
}

void Muxer::Unwatch(int fd) {
  if (loop_ != nullptr) (void)loop_->Remove(fd);
}

base::Status Muxer::Start(base::EventLoop* loop, RunFn run) {
  loop_ = loop;
  run_ = std::move(run);
  if (loop_ == nullptr) return base::Status::Ok();
  RETURN_IF_ERROR(loop_->Add(listener_.fd.get(), EPOLLIN, [run = run_, this](uint32_t) {
    run([this] { OnAccept(); });
  }));
  listener_watched_ = true;
  base::Status s = loop_->Add(timer_.get(), EPOLLIN, [run = run_, this](uint32_t) {
    run([this] { OnTimer(); });
  });
  if (!s.ok()) Stop();
  return s;
}

void Muxer::Stop() {
  if (loop_ != nullptr) {
    if (listener_watched_) Unwatch(listener_.fd.get());
    Unwatch(timer_.get());
    for (auto& [fd, stream] : pending_) Unwatch(fd);
    for (auto& [key, conn] : conns_) {
      if (conn->registered_events != 0) Unwatch(conn->fd());
    }
  }
  listener_watched_ = false;
  resume_accept_.reset();
  loop_ = nullptr;
  pending_.clear();
  conns_.clear();
  local_ports_.clear();
  rxq_.clear();
  resets_.clear();
  armed_.reset();
  itimerspec off{};
  (void)::timerfd_settime(timer_.get(), 0, &off, nullptr);
}

void Muxer::OnAccept() {
  for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
    int raw = ::accept4(listener_.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (raw < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // Out of fds, most likely: stop watching for a moment rather than spin.
      if (ShouldLog()) {
        LOG_WARNING_LIMITED << "vsock: accept on " << options_.uds_path << ": " << std::strerror(errno);
      }
      Unwatch(listener_.fd.get());
      listener_watched_ = false;
      resume_accept_ = Clock::now() + kAcceptRetry;
      ArmTimer(*resume_accept_);
      return;
    }
    base::UniqueFd stream(raw);
    if (pending_.size() >= options_.max_pending_streams ||
        conns_.size() + pending_.size() >= options_.max_connections) {
      if (ShouldLog()) {
        LOG_WARNING_LIMITED << "vsock: " << options_.uds_path << ": connection limit reached, closing a new host connection";
      }
      continue;  // closes it
    }
    Clock::time_point deadline = Clock::now() + options_.connect_timeout;
    pending_[raw] = PendingStream{std::move(stream), "", deadline};
    Watch(raw, EPOLLIN, [this, raw](uint32_t) { OnPendingReadable(raw); });
    ArmTimer(deadline);
  }
}

void Muxer::DropPending(int fd, const char* why) {
  auto it = pending_.find(fd);
  if (it == pending_.end()) return;
  if (why != nullptr && ShouldLog()) {
    LOG_INFO << "vsock: host connection on " << options_.uds_path << ": " << why;
  }
  Unwatch(fd);
  pending_.erase(it);
}

void Muxer::OnPendingReadable(int fd) {
  auto it = pending_.find(fd);
  if (it == pending_.end()) return;
  PendingStream& p = it->second;
  char buf[kMaxConnectLine];
  // Peek, then take no more than the line: what follows it belongs to the stream.
  ssize_t n = ::recv(fd, buf, kMaxConnectLine - p.line.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    return DropPending(fd, "read error before the CONNECT line");
  }
  if (n == 0) return DropPending(fd, "closed before the CONNECT line");
  auto* newline = static_cast<char*>(std::memchr(buf, '\n', static_cast<size_t>(n)));
  size_t take = newline != nullptr ? static_cast<size_t>(newline - buf) + 1 : static_cast<size_t>(n);
  if (::recv(fd, buf, take, MSG_DONTWAIT) != static_cast<ssize_t>(take)) {
    return DropPending(fd, "read error in the CONNECT line");
  }
  p.line.append(buf, newline != nullptr ? take - 1 : take);
  if (newline == nullptr) {
    if (p.line.size() + 1 >= kMaxConnectLine) DropPending(fd, "CONNECT line too long");
    return;
  }
  std::optional<uint32_t> port = ParseConnectLine(p.line);
  if (!port) return DropPending(fd, "malformed CONNECT line");
  base::UniqueFd stream = std::move(p.fd);
  Unwatch(fd);
  pending_.erase(it);
  ConnectToGuest(std::move(stream), *port);
}

uint32_t Muxer::AllocateLocalPort(uint32_t peer_port) {
  for (;;) {
    uint32_t port = next_local_port_;
    next_local_port_ = port + 1 >= (1u << 31) ? kFirstLocalPort : port + 1;
    if (local_ports_.count(port) == 0 && conns_.count({port, peer_port}) == 0) return port;
  }
}

void Muxer::ConnectToGuest(base::UniqueFd stream, uint32_t guest_port) {
  if (conns_.size() >= options_.max_connections) return;  // closes the stream
  ConnKey key{AllocateLocalPort(guest_port), guest_port};
  auto conn = std::make_unique<Connection>(Connection::HostInitiated(
      key, std::move(stream), limits(), Clock::now() + options_.connect_timeout));
  local_ports_.insert(key.local_port);
  Connection& c = *conn;
  conns_[key] = std::move(conn);
  Update(c, Connection::Verdict::kKeep);
}

void Muxer::ConnectToHost(const virtio_vsock_hdr& request) {
  if (conns_.size() + pending_.size() >= options_.max_connections) {
    if (ShouldLog()) {
      LOG_WARNING_LIMITED << "vsock: connection limit reached, refusing guest port " << request.src_port;
    }
    return ResetPacket(request);
  }
  std::string path = options_.uds_path + "_" + std::to_string(request.dst_port);
  base::Result<base::UniqueFd> stream = Connect(path);
  if (!stream.ok()) {
    if (ShouldLog()) {
      LOG_INFO << "vsock: guest connection to port " << request.dst_port << ": " << stream.status().message();
    }
    return ResetPacket(request);
  }
  ConnKey key{request.dst_port, request.src_port};
  auto conn = std::make_unique<Connection>(
      Connection::GuestInitiated(key, std::move(*stream), limits(), request));
  Connection& c = *conn;
  conns_[key] = std::move(conn);
  Update(c, Connection::Verdict::kKeep);
}

void Muxer::OnGuestPacket(const virtio_vsock_hdr& hdr, std::span<const uint8_t> payload) {
  auto it = conns_.find({hdr.dst_port, hdr.src_port});
  if (it != conns_.end()) {
    Connection& conn = *it->second;
    Update(conn, conn.OnGuestPacket(hdr, payload));
  } else if (hdr.op == VIRTIO_VSOCK_OP_REQUEST) {
    ConnectToHost(hdr);
  } else {
    ResetPacket(hdr);  // no connection: RST (ResetPacket ignores an RST)
  }
}

void Muxer::ResetPacket(const virtio_vsock_hdr& hdr) {
  if (hdr.op == VIRTIO_VSOCK_OP_RST) return;  // never answer a RST with one
  resets_.push_back({hdr.dst_cid, {hdr.dst_port, hdr.src_port}});
}

void Muxer::OnConnectionEvents(ConnKey key, uint32_t events) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  Connection& conn = *it->second;
  Update(conn, conn.OnHostEvents(events));
}

void Muxer::Update(Connection& conn, Connection::Verdict verdict) {
  if (verdict != Connection::Verdict::kKeep) {
    return Remove(conn, verdict == Connection::Verdict::kReset);
  }
  uint32_t wanted = conn.wanted_events();
  if (loop_ != nullptr && wanted != conn.registered_events) {
    if (conn.registered_events != 0) Unwatch(conn.fd());
    if (wanted != 0) {
      ConnKey key = conn.key();
      Watch(conn.fd(), wanted, [this, key](uint32_t events) {
        OnConnectionEvents(key, events);
      });
    }
    conn.registered_events = wanted;
  }
  if (conn.has_pending_rx() && !conn.in_rxq) {
    rxq_.push_back(conn.key());
    conn.in_rxq = true;
  }
  if (conn.deadline()) ArmTimer(*conn.deadline());
}

void Muxer::Remove(Connection& conn, bool send_rst) {
  ConnKey key = conn.key();
  if (conn.reset_reason() != nullptr && ShouldLog()) {
    LOG_WARNING_LIMITED << "vsock: resetting connection " << key.local_port << "<->" << key.peer_port
                << ": " << conn.reset_reason();
  }
  if (conn.registered_events != 0) Unwatch(conn.fd());
  if (send_rst) resets_.push_back({kHostCid, key});
  if (conn.host_initiated()) local_ports_.erase(key.local_port);
  conns_.erase(key);  // closes the host socket; a stale rxq_ entry is skipped later
}

virtio_vsock_hdr Muxer::HeaderTo(ConnKey key) const {
  virtio_vsock_hdr hdr{};
  hdr.src_cid = kHostCid;
  hdr.dst_cid = options_.guest_cid;
  hdr.src_port = key.local_port;
  hdr.dst_port = key.peer_port;
  hdr.type = VIRTIO_VSOCK_TYPE_STREAM;
  return hdr;
}

std::optional<uint32_t> Muxer::FillRx(RxSlot& slot) {
  if (!resets_.empty()) {
    PendingReset r = resets_.front();
    resets_.pop_front();
    virtio_vsock_hdr hdr = HeaderTo(r.key);
    hdr.src_cid = r.src_cid;
    hdr.op = VIRTIO_VSOCK_OP_RST;
    return slot.Finish(hdr);
  }
  while (!rxq_.empty()) {
    ConnKey key = rxq_.front();
    rxq_.pop_front();
    auto it = conns_.find(key);
    if (it == conns_.end() || !it->second->in_rxq) continue;
    Connection& conn = *it->second;
    conn.in_rxq = false;
    Connection::Verdict verdict;
    std::optional<uint32_t> used = conn.FillRx(slot, HeaderTo(key), &verdict);
    Update(conn, verdict);
    if (used) return used;
    if (!resets_.empty()) return FillRx(slot);  // the connection just failed: its RST
  }
  return std::nullopt;
}

void Muxer::ArmTimer(Clock::time_point deadline) {
  if (armed_ && *armed_ <= deadline) return;
  armed_ = deadline;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  if (ns <= 0) ns = 1;  // zero would disarm
  itimerspec spec{};
  spec.it_value.tv_sec = ns / 1000000000;
  spec.it_value.tv_nsec = ns % 1000000000;
  (void)::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void Muxer::OnTimer() {
  uint64_t expirations;
  (void)!::read(timer_.get(), &expirations, sizeof(expirations));
  armed_.reset();
  Clock::time_point now = Clock::now();
  if (resume_accept_ && *resume_accept_ <= now && loop_ != nullptr) {
    resume_accept_.reset();
    Watch(listener_.fd.get(), EPOLLIN, [this](uint32_t) { OnAccept(); });
    listener_watched_ = true;
  }
  std::vector<int> expired_streams;
  for (auto& [fd, p] : pending_) {
    if (p.deadline <= now) expired_streams.push_back(fd);
  }
  for (int fd : expired_streams) DropPending(fd, "no CONNECT line in time");
  std::vector<ConnKey> expired;
  for (auto& [key, conn] : conns_) {
    if (conn->deadline() && *conn->deadline() <= now) expired.push_back(key);
  }
  for (ConnKey key : expired) {
    Connection& conn = *conns_.at(key);
    if (ShouldLog()) {
      LOG_INFO << "vsock: connection " << key.local_port << "<->" << key.peer_port << " timed out";
    }
    Update(conn, conn.OnDeadline());
  }
  // Re-arm for whatever is next.
  if (resume_accept_) ArmTimer(*resume_accept_);
  for (auto& [fd, p] : pending_) ArmTimer(p.deadline);
  for (auto& [key, conn] : conns_) {
    if (conn->deadline()) ArmTimer(*conn->deadline());
  }
}

}  // namespace hull::devices::vsock
