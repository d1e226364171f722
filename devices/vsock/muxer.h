// Muxer: the host side of one VM's virtio-vsock, over Unix sockets exactly as
// Firecracker's vsock "unix muxer" does it.
//  - Host-initiated: a host process connects to uds_path and writes `CONNECT <port>\n`;
//    the Muxer picks a local port (from 1 << 30 upwards), sends the guest a REQUEST to
//    <port>, and on RESPONSE writes `OK <local port>\n` to the host socket, which then
//    carries the byte stream. A RST or no answer within connect_timeout closes the
//    host socket; so do a malformed line and a line not finished within connect_timeout.
//  - Guest-initiated: a REQUEST to CID 2 port P connects to the listener at
//    `<uds_path>_<P>`; none → RST.
// It owns the listening socket (for the device's lifetime; unlinked on destruction),
// the connections (until the device is reset) and the packets owed to the guest.
// Every socket is nonblocking and watched on the VM's event loop; host-bound buffering
// is bounded per connection (buf_alloc) and the number of connections is bounded too.
//
// Threads: Create on the VMM's set-up thread; everything else on the event loop thread
// (or under the device's lock from a vCPU thread in Start/Stop). The `run` function
// Start receives wraps every loop callback (it takes the device's lock).
#pragma once

#include <linux/virtio_vsock.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "base/event_loop.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "devices/vsock/connection.h"
#include "devices/vsock/packet.h"
#include "devices/vsock/unix_socket.h"

namespace hull::devices::vsock {

struct MuxerOptions {
  uint64_t guest_cid = 3;
  std::string uds_path;
  uint32_t buf_alloc = 256 * 1024;  // per-connection host-bound buffer (Firecracker's size)
  size_t max_connections = 1023;    // established or being set up
  size_t max_pending_streams = 64;  // accepted host sockets whose CONNECT line is not in yet
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds shutdown_timeout{2000};
};

inline constexpr uint32_t kFirstLocalPort = 1u << 30;
// RSTs for packets that match no connection, waiting for rx buffers. When full, the
// device stops taking tx packets until the guest posts rx buffers.
inline constexpr size_t kMaxPendingResets = 256;

class Muxer {
 public:
  using RunFn = std::function<void(const std::function<void()>&)>;

  // Binds the listening socket at options.uds_path.
  static base::Result<std::unique_ptr<Muxer>> Create(MuxerOptions options);
  ~Muxer();
  Muxer(const Muxer&) = delete;
  Muxer& operator=(const Muxer&) = delete;

  // The driver is up: watch the listener (and later sockets) on `loop`.
  base::Status Start(base::EventLoop* loop, RunFn run);
  // The device is reset: close every connection and half-read host socket, stop
  // watching. The listener stays open (host connects wait in its backlog).
  void Stop();

  // A well-formed stream packet from the guest, addressed from guest_cid to CID 2.
  void OnGuestPacket(const virtio_vsock_hdr& hdr, std::span<const uint8_t> payload);
  // Queues a RST for `hdr` (a packet nobody takes), from its destination to its source.
  void ResetPacket(const virtio_vsock_hdr& hdr);

  bool has_pending_rx() const { return !resets_.empty() || !rxq_.empty(); }
  bool rx_backlog_full() const { return resets_.size() >= kMaxPendingResets; }
  // Writes the next packet for the guest into `slot`; its used length, or nullopt.
  std::optional<uint32_t> FillRx(RxSlot& slot);

  size_t connection_count() const { return conns_.size(); }
  size_t pending_stream_count() const { return pending_.size(); }
  const MuxerOptions& options() const { return options_; }

 private:
  struct PendingStream {
    base::UniqueFd fd;
    std::string line;
    Clock::time_point deadline;
  };

  Muxer(MuxerOptions options, Listener listener, base::UniqueFd timer)
      : options_(std::move(options)), listener_(std::move(listener)), timer_(std::move(timer)) {}

  ConnLimits limits() const { return {options_.buf_alloc, options_.shutdown_timeout}; }
  // Adds `fd` to the loop; `work` runs through run_ (under the device's lock).
  void Watch(int fd, uint32_t events, std::function<void(uint32_t)> work);
  void Unwatch(int fd);
  void OnAccept();
  void OnPendingReadable(int fd);
  void DropPending(int fd, const char* why);
  bool ShouldLog();  // the first 32 warnings per device, then silence
  void OnConnectionEvents(ConnKey key, uint32_t events);
  void OnTimer();
  void ConnectToGuest(base::UniqueFd stream, uint32_t guest_port);
  void ConnectToHost(const virtio_vsock_hdr& request);
  uint32_t AllocateLocalPort(uint32_t peer_port);
  // Applies `verdict` and brings the connection's watch, rx queue place and deadline
  // up to date.
  void Update(Connection& conn, Connection::Verdict verdict);
  void Remove(Connection& conn, bool send_rst);
  void ArmTimer(Clock::time_point deadline);
  virtio_vsock_hdr HeaderTo(ConnKey key) const;

  const MuxerOptions options_;
  Listener listener_;
  base::UniqueFd timer_;  // timerfd: connect and shutdown timeouts
  std::optional<Clock::time_point> armed_;

  base::EventLoop* loop_ = nullptr;  // while started
  bool listener_watched_ = false;
  std::optional<Clock::time_point> resume_accept_;  // after accept failed (EMFILE)
  uint64_t log_lines_ = 0;
  RunFn run_;  // set by Start; loop callbacks hold copies
  std::map<int, PendingStream> pending_;
  std::map<ConnKey, std::unique_ptr<Connection>> conns_;
  std::set<uint32_t> local_ports_;  // of host-initiated connections
  uint32_t next_local_port_ = kFirstLocalPort;
  std::deque<ConnKey> rxq_;         // connections with packets for the guest, in turn
  struct PendingReset {
    uint64_t src_cid;
    ConnKey key;
  };
  std::deque<PendingReset> resets_;
};

}  // namespace hull::devices::vsock
