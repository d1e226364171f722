// A hulld of api_bench's own: a temporary root and socket under a fresh /tmp directory,
// `--bridge none` (nothing on the host's network), its log in that directory. Stop()
// — also run by the destructor, so an early return or a failed step cleans up too —
// force-removes every container through the API, stops hulld with SIGTERM (SIGKILL
// after 10 s), kills any process still naming the root (a monitor, a supervisor) and
// removes the directory. Used by api_bench's one thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace hull::bench {

class PrivateHulld {
 public:
  static base::Result<PrivateHulld> Start(const std::string& hulld_path);
  PrivateHulld(PrivateHulld&& other) noexcept;
  PrivateHulld& operator=(PrivateHulld&&) = delete;
  ~PrivateHulld() { Stop(); }

  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }
  // The last `bytes` of hulld's log (for a report of what went wrong).
  std::string LogTail(size_t bytes = 2000) const;
  void Stop();

 private:
  PrivateHulld() = default;
  std::string dir_, socket_;
  pid_t pid_ = -1;
};

// Process IDs whose command line mentions `text` (other than our own).
std::vector<pid_t> ProcessesMentioning(const std::string& text);

}  // namespace hull::bench
