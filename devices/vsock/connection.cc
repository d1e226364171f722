#include "devices/vsock/connection.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <string>


namespace hull::devices::vsock {

Connection Connection::HostInitiated(ConnKey key, base::UniqueFd stream, const ConnLimits& limits,
                                     Clock::time_point deadline) {
  Connection c(key, std::move(stream), State::kLocalInit, limits);
  c.host_initiated_ = true;
  c.send_request_ = true;
  c.deadline_ = deadline;
  return c;
}

Connection Connection::GuestInitiated(ConnKey key, base::UniqueFd stream,
                                      const ConnLimits& limits, const virtio_vsock_hdr& request) {
  Connection c(key, std::move(stream), State::kEstablished, limits);
  c.send_response_ = true;
  c.peer_buf_alloc_ = request.buf_alloc;
  c.peer_fwd_cnt_ = request.fwd_cnt;
  return c;
}

uint32_t Connection::PeerCredit() const {
  // Wrapping arithmetic: a guest fwd_cnt "ahead" of what we sent makes in_flight huge,
  // which leaves no credit rather than a lot of it.
  uint32_t in_flight = rx_cnt_ - peer_fwd_cnt_;
  return in_flight >= peer_buf_alloc_ ? 0 : peer_buf_alloc_ - in_flight;
}

bool Connection::WantsRead() const {
  return state_ == State::kEstablished && !(guest_shutdown_ & VIRTIO_VSOCK_SHUTDOWN_RCV) &&
         !host_eof_ && PeerCredit() > 0;
}

bool Connection::has_pending_rx() const {
  return send_request_ || send_response_ || host_readable_ || send_shutdown_ != 0 ||
         send_credit_request_ || send_credit_update_;
}

uint32_t Connection::wanted_events() const {
  uint32_t events = 0;
  if (tx_size_ > 0) events |= EPOLLOUT;
  if (WantsRead() && !host_readable_) events |= EPOLLIN;
  return events;
}

void Connection::Forwarded(size_t n) {
  size_t skip = std::min(n, uncounted_);
  uncounted_ -= skip;
  fwd_cnt_ += static_cast<uint32_t>(n - skip);
}

bool Connection::SendToHost(std::span<const uint8_t> data, bool counted) {
  if (tx_size_ == 0) {
    while (!data.empty()) {
      ssize_t n = ::send(stream_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return false;
      }
      size_t sent = static_cast<size_t>(n);
      if (!counted) uncounted_ += sent;
      Forwarded(sent);
      data = data.subspan(sent);
    }
  }
  if (!data.empty()) {
    tx_.emplace_back(data.begin(), data.end());
    tx_size_ += data.size();
    if (!counted) uncounted_ += data.size();
  }
  return true;
}

bool Connection::FlushTx() {
  while (!tx_.empty()) {
    const std::vector<uint8_t>& front = tx_.front();
    ssize_t n = ::send(stream_.get(), front.data() + tx_front_offset_,
                       front.size() - tx_front_offset_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;
    }
    tx_front_offset_ += static_cast<size_t>(n);
    tx_size_ -= static_cast<size_t>(n);
    Forwarded(static_cast<size_t>(n));
    if (tx_front_offset_ == front.size()) {
      tx_.pop_front();
      tx_front_offset_ = 0;
    }
  }
  AfterFlush();
  return true;
}

void Connection::AfterFlush() {
  if ((guest_shutdown_ & VIRTIO_VSOCK_SHUTDOWN_SEND) && tx_size_ == 0 && !host_shut_wr_) {
    (void)::shutdown(stream_.get(), SHUT_WR);
    host_shut_wr_ = true;
  }
  // Tell the guest about freed buffer space before it can run out of credit.
  if (!(guest_shutdown_ & VIRTIO_VSOCK_SHUTDOWN_SEND) &&
      fwd_cnt_ - last_fwd_cnt_sent_ >= limits_.buf_alloc / 2) {
    send_credit_update_ = true;
  }
}

Connection::Verdict Connection::Check() {
  // The guest will neither send nor receive: once its data reached the host, answer
  // with RST (spec 5.10.6.6: the peer ends a clean disconnect with RST).
  if (guest_shutdown_ == kShutdownBoth) {
    if (tx_size_ == 0) return Verdict::kReset;
    if (!deadline_) deadline_ = Clock::now() + limits_.shutdown_timeout;
  }
  return Verdict::kKeep;
}

Connection::Verdict Connection::OnGuestPacket(const virtio_vsock_hdr& hdr,
                                              std::span<const uint8_t> payload) {
  peer_buf_alloc_ = hdr.buf_alloc;
  peer_fwd_cnt_ = hdr.fwd_cnt;
  if (PeerCredit() > 0) credit_request_sent_ = false;
  if (hdr.op == VIRTIO_VSOCK_OP_RST) return Verdict::kClose;
  if (hdr.op == VIRTIO_VSOCK_OP_RESPONSE) {
    if (state_ != State::kLocalInit) return Verdict::kReset;
    state_ = State::kEstablished;
    deadline_.reset();
    std::string line = "OK " + std::to_string(key_.local_port) + "\n";
    if (!SendToHost({reinterpret_cast<const uint8_t*>(line.data()), line.size()}, false)) {
      return Verdict::kReset;
    }
    return Check();
  }
  if (state_ == State::kLocalInit) return Verdict::kReset;  // nothing else before RESPONSE
  switch (hdr.op) {
    case VIRTIO_VSOCK_OP_RW:
      if (guest_shutdown_ & VIRTIO_VSOCK_SHUTDOWN_SEND) return Verdict::kReset;
      if (payload.size() > limits_.buf_alloc - (tx_size_ - uncounted_)) {
        reset_reason_ = "the guest sent beyond the credit we gave it";
        return Verdict::kReset;
      }
      if (!SendToHost(payload, true)) return Verdict::kReset;
      AfterFlush();
      break;
    case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
      break;
    case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
      send_credit_update_ = true;
      break;
    case VIRTIO_VSOCK_OP_SHUTDOWN:
      guest_shutdown_ |= hdr.flags & kShutdownBoth;
      AfterFlush();
      break;
    default:  // REQUEST on a live connection, or an op the spec does not define
      return Verdict::kReset;
  }
  return Check();
}

Connection::Verdict Connection::OnHostEvents(uint32_t events) {
  if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && tx_size_ > 0) {
    if (!FlushTx()) return Verdict::kReset;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && WantsRead()) host_readable_ = true;
  return Check();
}

Connection::Verdict Connection::OnDeadline() {
  if (deadline_ && *deadline_ <= Clock::now()) return Verdict::kReset;
  return Verdict::kKeep;
}

bool Connection::ReadHost(RxSlot& slot, virtio_vsock_hdr& hdr, Verdict* verdict) {
  if (!WantsRead()) {
    host_readable_ = false;
    if (state_ == State::kEstablished && PeerCredit() == 0 && !credit_request_sent_ &&
        !(guest_shutdown_ & VIRTIO_VSOCK_SHUTDOWN_RCV)) {
      send_credit_request_ = true;
    }
    return false;
  }
  uint32_t want = std::min(slot.payload_capacity(), PeerCredit());
  std::vector<iovec> iov = slot.PayloadIov(want);
  if (iov.empty()) return false;  // a buffer with room for a header only
  for (;;) {
    ssize_t n = ::readv(stream_.get(), iov.data(), static_cast<int>(iov.size()));
    if (n > 0) {
      hdr.op = VIRTIO_VSOCK_OP_RW;
      hdr.len = static_cast<uint32_t>(n);
      rx_cnt_ += static_cast<uint32_t>(n);
      // A short read drained the socket: poll again rather than read into EAGAIN.
      if (static_cast<uint64_t>(n) < RxSlot::IovBytes(iov)) host_readable_ = false;
      return true;
    }
    if (n == 0) {
      host_eof_ = true;
      host_readable_ = false;
      pollfd p{stream_.get(), POLLOUT, 0};
      bool closed = ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
      if (closed) {
        // The host closed the socket: nothing more either way. Wait for the guest's RST.
        state_ = State::kClosing;
        send_shutdown_ = kShutdownBoth;
        deadline_ = Clock::now() + limits_.shutdown_timeout;
      } else {
        send_shutdown_ |= VIRTIO_VSOCK_SHUTDOWN_SEND;  // half-close: the host sends no more
      }
      return false;
    }
    if (errno == EINTR) continue;
    host_readable_ = false;
    if (errno != EAGAIN && errno != EWOULDBLOCK) *verdict = Verdict::kReset;
    return false;
  }
}

std::optional<uint32_t> Connection::FillRx(RxSlot& slot, virtio_vsock_hdr hdr, Verdict* verdict) {
  *verdict = Verdict::kKeep;
  hdr.type = VIRTIO_VSOCK_TYPE_STREAM;
  hdr.flags = 0;
  hdr.len = 0;
  if (send_request_) {
    send_request_ = false;
    hdr.op = VIRTIO_VSOCK_OP_REQUEST;
  } else if (send_response_) {
    send_response_ = false;
    hdr.op = VIRTIO_VSOCK_OP_RESPONSE;
  } else if (host_readable_ && ReadHost(slot, hdr, verdict)) {
    // hdr is an RW packet now
  } else if (*verdict != Verdict::kKeep) {
    return std::nullopt;
  } else if (send_shutdown_ != 0) {
    hdr.op = VIRTIO_VSOCK_OP_SHUTDOWN;
    hdr.flags = send_shutdown_;
    send_shutdown_ = 0;
  } else if (send_credit_request_) {
    send_credit_request_ = false;
    credit_request_sent_ = true;
    hdr.op = VIRTIO_VSOCK_OP_CREDIT_REQUEST;
  } else if (send_credit_update_) {
    hdr.op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
  } else {
    return std::nullopt;
  }
  // Every packet carries our credit, so none needs a separate CREDIT_UPDATE after it.
  hdr.buf_alloc = limits_.buf_alloc;
  hdr.fwd_cnt = fwd_cnt_;
  last_fwd_cnt_sent_ = fwd_cnt_;
  send_credit_update_ = false;
  return slot.Finish(hdr);
}

}  // namespace hull::devices::vsock
