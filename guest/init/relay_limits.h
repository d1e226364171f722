// What the main process's relay (relay.cc) and exec sessions (exec.cc) share: how long
// output is still collected after a process exited, for descendants that hold its pipes
// open (Docker's run likewise stops at the main process), how much of the host's stdin
// may wait for a process before the channel stops being read, and the clock they use.
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>

namespace hull::guest::init {

inline constexpr int kDrainMs = 300;
inline constexpr size_t kMaxStdinBuffer = 1 << 20;

inline int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace hull::guest::init
