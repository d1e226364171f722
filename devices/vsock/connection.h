// Connection: one virtio-vsock stream connection between the guest and a host Unix
// socket — the per-connection state machine of virtio 1.2, 5.10.6.4–5.10.6.6 (request,
// response, shutdown, reset) and its credit-based flow control, Firecracker's
// "connection state machine" (vsock/csm). It sees one host socket and the guest's
// packets; the Muxer routes packets to it, watches its socket and acts on its verdicts.
//
// Flow control. Guest → host: we advertise buf_alloc = the size of our host-bound
// buffer and fwd_cnt = bytes written to the host socket; a guest that sends beyond that
// credit is reset. Host → guest: we never send more than the guest's buf_alloc minus the
// bytes in flight (our rx_cnt minus its fwd_cnt), and we read the host socket only
// while there is credit, so a slow guest reader leaves the data in the host socket.
//
// Threads: the event loop thread, under the device's lock (through the Muxer).
#pragma once

#include <linux/virtio_vsock.h>

#include <chrono>
#include <compare>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "base/unique_fd.h"
#include "devices/vsock/packet.h"

namespace hull::devices::vsock {

using Clock = std::chrono::steady_clock;

// Host-side port (the port on CID 2) and the guest's port.
struct ConnKey {
  uint32_t local_port = 0;
  uint32_t peer_port = 0;
  auto operator<=>(const ConnKey&) const = default;
};

struct ConnLimits {
  uint32_t buf_alloc;                      // host-bound buffering we advertise
  std::chrono::milliseconds shutdown_timeout;  // for the guest's RST after a clean close
};

class Connection {
 public:
  enum class State {
    kLocalInit,    // host-initiated: REQUEST pending or sent, waiting for RESPONSE
    kEstablished,
    kClosing,      // the host closed its socket; we sent SHUTDOWN(RCV|SEND), waiting for RST
  };
  // What the Muxer does with the connection after a call.
  enum class Verdict {
    kKeep,
    kReset,  // send RST to the guest, close the host socket
    kClose,  // close the host socket without telling the guest (it sent RST)
  };

  // A connection the host opened (CONNECT): REQUEST goes to the guest first, and
  // `ok_line` ("OK <port>\n") to the host socket once the guest answers.
  static Connection HostInitiated(ConnKey key, base::UniqueFd stream, const ConnLimits& limits,
                                  Clock::time_point deadline);
  // A connection the guest requested (`request` carries its credit): RESPONSE goes first.
  static Connection GuestInitiated(ConnKey key, base::UniqueFd stream, const ConnLimits& limits,
                                   const virtio_vsock_hdr& request);

  ConnKey key() const { return key_; }
  State state() const { return state_; }
  bool host_initiated() const { return host_initiated_; }
  int fd() const { return stream_.get(); }

  // A packet from the guest for this connection (src/dst already matched).
  Verdict OnGuestPacket(const virtio_vsock_hdr& hdr, std::span<const uint8_t> payload);
  // The host socket reported `events` (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR).
  Verdict OnHostEvents(uint32_t events);
  // Its deadline passed.
  Verdict OnDeadline();

  // Whether the connection has a packet for the guest.
  bool has_pending_rx() const;
  // Builds the next packet for the guest into `slot` (header fields src/dst filled by
  // the caller through `hdr`); returns its used length, or nullopt when it turned out to
  // have nothing to send (the host socket had no data after all).
  std::optional<uint32_t> FillRx(RxSlot& slot, virtio_vsock_hdr hdr, Verdict* verdict);

  // The epoll events the Muxer should watch on the host socket (0: none).
  uint32_t wanted_events() const;
  std::optional<Clock::time_point> deadline() const { return deadline_; }

  // Why the last kReset verdict was given, when it is worth a log line (else nullptr).
  const char* reset_reason() const { return reset_reason_; }

  // Where the Muxer keeps it: registered epoll events, whether it is in the rx queue.
  uint32_t registered_events = 0;
  bool in_rxq = false;

 private:
  Connection(ConnKey key, base::UniqueFd stream, State state, const ConnLimits& limits)
      : key_(key), stream_(std::move(stream)), state_(state), limits_(limits) {}

  uint32_t PeerCredit() const;
  bool WantsRead() const;
  // Writes to the host socket, buffering what it does not take; false on a socket
  // error. Bytes that are not the guest's (`counted` false: the "OK" line) do not move
  // fwd_cnt.
  bool SendToHost(std::span<const uint8_t> data, bool counted);
  bool FlushTx();
  void Forwarded(size_t n);
  // After the tx buffer shrank or the guest shut down: SHUT_WR, credit updates.
  void AfterFlush();
  Verdict Check();
  // Reads host bytes into `slot` as an RW packet (true), or finds EOF / no data / no
  // credit (false; *verdict kReset on a socket error).
  bool ReadHost(RxSlot& slot, virtio_vsock_hdr& hdr, Verdict* verdict);

  ConnKey key_;
  base::UniqueFd stream_;
  State state_;
  bool host_initiated_ = false;
  ConnLimits limits_;
  std::optional<Clock::time_point> deadline_;
  const char* reset_reason_ = nullptr;

  // Host-bound bytes the host socket has not taken yet (at most limits_.buf_alloc).
  std::deque<std::vector<uint8_t>> tx_;
  size_t tx_front_offset_ = 0;
  size_t tx_size_ = 0;
  size_t uncounted_ = 0;            // of tx_size_: bytes that are not the guest's
  uint32_t fwd_cnt_ = 0;            // bytes written to the host socket
  uint32_t last_fwd_cnt_sent_ = 0;  // fwd_cnt the guest last heard from us
  uint32_t rx_cnt_ = 0;             // payload bytes sent to the guest
  uint32_t peer_buf_alloc_ = 0;
  uint32_t peer_fwd_cnt_ = 0;

  uint32_t guest_shutdown_ = 0;  // VIRTIO_VSOCK_SHUTDOWN_* the guest sent
  bool host_eof_ = false;        // the host socket's read side ended
  bool host_shut_wr_ = false;    // we shut the host socket's write side

  // Packets owed to the guest.
  bool send_request_ = false;
  bool send_response_ = false;
  bool host_readable_ = false;  // the socket polled readable; read when a buffer comes
  uint32_t send_shutdown_ = 0;  // flags of a SHUTDOWN still to send
  bool send_credit_request_ = false;
  bool credit_request_sent_ = false;
  bool send_credit_update_ = false;
};

}  // namespace hull::devices::vsock
