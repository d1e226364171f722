// The `hull run` side of exec into a running micro-VM (guest/PROTOCOL.md, "Exec
// sessions"): listens on a Unix socket (exec.sock in the container's VM directory),
// accepts exec clients (exec_client.h), gives each a session id, forwards its frames to
// hull-init over the VM's one channel and the guest's frames of that session back to it.
// Owned by RunVmContainer (container.cc); runs on the VM runner's thread, which polls
// poll_fd() (an epoll over the listener and the clients), calls Process() when it is
// ready, hands over the guest's exec frames and says when the guest is ready and when
// the main process has exited. Clients are trusted no more than the guest: a client's
// malformed or out-of-place frame ends that client, never the VM.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"
#include "guest/protocol.h"

namespace hull::runtime::vm {

class ExecHub {
 public:
  // Frames for the guest go through `send`; `backlog` says how much waits to be written
  // to the channel (clients are not read while it is long).
  struct Channel {
    std::function<void(const std::string&)> send;
    std::function<size_t()> backlog;
  };

  static base::Result<std::unique_ptr<ExecHub>> Listen(const std::string& socket_path);
  ~ExecHub();

  // The fd to poll for POLLIN, or -1 while the channel's backlog is too long.
  int poll_fd() const;
  void Attach(Channel channel) { channel_ = std::move(channel); }
  // hull-init reported in, speaking protocol `version`: held sessions start.
  void GuestReady(uint32_t version);
  // The main process exited: no new sessions; running ones end with the VM.
  void MainExited();
  // The VM is gone: every client still waiting is told its process was killed (137),
  // the socket is removed. Safe to call more than once.
  void VmEnded();
  // poll_fd() is readable: accepts clients, reads their frames.
  base::Status Process();
  // An exec frame from the guest. Errors are the guest's (a malformed frame).
  base::Status FromGuest(const guest::Frame& frame);

 private:
  struct Client {
    base::UniqueFd fd;
    guest::FrameDecoder decoder{guest::Direction::kToGuest};
    uint32_t session = 0;  // 0 until its EXEC_START
    std::string held;      // frames for the guest until it is ready
  };
  ExecHub(std::string path, base::UniqueFd listener, base::UniqueFd epoll)
      : path_(std::move(path)), listener_(std::move(listener)), epoll_(std::move(epoll)) {}

  void Accept();
  void ReadClient(int fd);
  base::Status ClientFrame(Client& c, const guest::Frame& f);
  void ToGuest(Client& c, const std::string& frame);
  // Ends a client: `why` (if any) and an exit report go to it first.
  void EndClient(int fd, const std::string& why, const guest::ExitReport& report);
  bool SendToClient(Client& c, const std::string& frame);

  std::string path_;
  base::UniqueFd listener_;
  base::UniqueFd epoll_;
  Channel channel_;
  bool ready_ = false;
  bool main_exited_ = false;
  uint32_t version_ = 0;
  uint32_t next_session_ = 1;
  std::map<int, Client> clients_;           // by fd
  std::map<uint32_t, int> sessions_;        // session id → client fd; -1: client gone
};

}  // namespace hull::runtime::vm
