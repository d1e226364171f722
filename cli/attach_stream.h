// The client side of Docker's container streams: splitting the multiplexed frames of
// attach, exec and logs (8-byte header: stream 0/1/2, three zero bytes, big-endian
// length) onto our stdout and stderr, and relaying a hijacked connection — our stdin to
// it (half-closed at EOF), its output to us, and signals we receive to a callback (the
// kill endpoint, as `docker run --sig-proxy` does). Main thread only.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hull::cli {

// Splits a byte stream into frames and writes each payload to fd 1 (stdin echo and
// stdout) or 2 (stderr); with a TTY there are no frames and all of it goes to fd 1.
class StreamDemuxer {
 public:
  explicit StreamDemuxer(bool tty) : tty_(tty) {}
  base::Status Feed(std::string_view data);

 private:
  bool tty_;
  std::string pending_;
};

struct RelayOptions {
  bool tty = false;
  bool send_stdin = false;                   // -i: copy our stdin to the stream
  std::function<void(int signal)> on_signal;  // set: signals are caught and handed here
  // set (with tty): called at the start and on SIGWINCH with our terminal's size
  std::function<void(int rows, int cols)> on_resize;
  // With tty and stdin: these bytes (api/detach_keys.h), typed, end the relay at once
  // and set *detached, as the docker CLI does. They are sent on first, so hulld detaches
  // too and leaves the container's stdin open. Empty: none.
  std::string detach_keys;
  bool* detached = nullptr;
};

// Relays until the stream ends (our terminal in raw mode meanwhile with tty and stdin) (the container or exec process is done). `buffered`:
// stream bytes read along with the response header.
base::Status RelayHijacked(int fd, const std::string& buffered, const RelayOptions& options);

}  // namespace hull::cli
