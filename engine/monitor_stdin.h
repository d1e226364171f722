// A container's stdin and terminal size, held by its monitor (monitor.h) and fed by
// hulld: the monitor listens on DIR/attach.sock; each connection starts with one line —
// "stdin\n" followed by bytes for the container's stdin (the pipe or, with a terminal,
// the pty the supervisor reads), or "resize ROWS COLS\n". When a stdin connection ends
// and the container has StdinOnce (docker run -i), the container's stdin is closed, so
// it reads end of file — unless a "detach\n" connection came first (the client typed its
// detach keys; the monitor closes that connection once noted). The server side runs in the monitor's poll loop (one thread);
// ConnectMonitor is what hulld's attach and resize routes call.
#pragma once

#include <poll.h>

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::engine {

inline constexpr const char* kAttachSocket = "attach.sock";

class StdinServer {
 public:
  // `target`: where stdin bytes go (made non-blocking); invalid: stdin is not open, only
  // resizes are served.
  static base::Result<StdinServer> Listen(const std::string& dir, base::UniqueFd target, bool close_after_one);
  StdinServer(StdinServer&&) = default;
  ~StdinServer();  // removes the socket file

  // Adds the descriptors to poll; Handle() takes the same entries back after poll.
  void Fill(std::vector<pollfd>& fds) const;
  void Handle(const pollfd* fds, size_t count);
  std::function<void(int rows, int cols)> on_resize;

 private:
  StdinServer(std::string path, base::UniqueFd listener, base::UniqueFd target, bool close_after_one)
      : path_(std::move(path)), listener_(std::move(listener)), target_(std::move(target)),
        close_after_one_(close_after_one) {}
  struct Client {
    base::UniqueFd fd;
    std::string head;      // the first line, until it is complete
    bool is_stdin = false;
    bool detached = false;  // its client typed the detach keys: its end keeps stdin open
  };
  void ReadClient(Client& c);
  void EndStdin(Client& c);

  std::string path_;
  base::UniqueFd listener_;
  base::UniqueFd target_;
  bool close_after_one_;
  bool closing_ = false;  // a stdin client of a close_after_one_ container has ended
  std::vector<Client> clients_;
  std::string pending_;  // read from a client, not yet written to target_
};

// hulld's side: connects to the monitor of the container in `dir` and sends `first_line`
// ("stdin" or "resize R C", without the newline). Fails while no monitor listens.
base::Result<base::UniqueFd> ConnectMonitor(const std::string& dir, const std::string& first_line);

}  // namespace hull::engine
