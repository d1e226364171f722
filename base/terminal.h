// The host terminal while hull relays a container's pseudo-terminal (`hull run -t`, both
// runtimes): raw mode for as long as a RawTerminal lives — restored by its destructor,
// and by a handler on the fatal signals hull does not otherwise catch, so no exit path
// leaves the user's shell in raw mode — and the window size the container's terminal
// should follow. Called on the thread that runs the container; one RawTerminal at a time.
#pragma once

#include <cstdint>
#include <optional>

namespace hull::base {

struct WindowSize {
  uint16_t rows = 0;
  uint16_t cols = 0;
};

class RawTerminal {
 public:
  // Raw mode on `fd` if it is a terminal; otherwise does nothing (active() is false).
  explicit RawTerminal(int fd);
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal();
  bool active() const { return active_; }

 private:
  bool active_ = false;
};

// The window size of the first of `fd`, then 0, 1, 2 that is a terminal.
std::optional<WindowSize> TerminalWindowSize(int fd = 0);

}  // namespace hull::base
