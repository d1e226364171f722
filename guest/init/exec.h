// hull-init's exec sessions: extra processes the host starts in the running container
// (EXEC_START, guest/PROTOCOL.md), each with its own stdio relayed as exec frames tagged
// with the session id, its own signals and terminal size, and its exit reported as
// EXEC_EXIT once its output is drained. Driven by the main relay loop (relay.cc) on
// hull-init's only thread: it polls the fds this adds and hands back what is ready.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "guest/init/process.h"
#include "guest/protocol.h"
#include "guest/spec.h"

namespace hull::guest::init {

class ExecSessions {
 public:
  // `main` gives the container's hostname and rlimits; frames go out on `channel`.
  ExecSessions(const GuestSpec& main, int channel) : main_(main), channel_(channel) {}
  ~ExecSessions() { KillAll(); }

  // An exec frame from the host. Errors are the channel's (the host is gone); a session
  // that cannot start is reported to the host as EXEC_ERROR and EXEC_EXIT.
  base::Status Handle(const Frame& frame);
  // Appends the fds to poll; Ready() gets the polled array from the same index on.
  void AddPollFds(std::vector<pollfd>* fds);
  base::Status Ready(const pollfd* fds);
  // A reaped child: true if it was an exec's process.
  bool Reaped(pid_t pid, int status);
  // Reports the sessions whose process ended and whose output is drained (or whose drain
  // time is over). Returns the poll timeout until the next drain deadline (-1: none).
  base::Result<int> Finish();
  // True while some session's stdin backlog is too long to take more from the host.
  bool StdinFull() const;
  // The container ends with its main process: every exec's process group is killed.
  void KillAll();

 private:
  struct Session {
    Child child;
    std::string stdin_buffer;
    bool close_stdin = false;
    bool exited = false;
    int status = 0;
    int64_t deadline_ms = 0;
  };
  enum class Slot { kStdout, kStderr, kStdin };

  base::Status Start(uint32_t id, std::string_view request);
  base::Status Send(const std::string& frame);
  base::Status Forward(uint32_t id, Session& s, Slot slot);

  const GuestSpec& main_;
  int channel_;
  std::map<uint32_t, Session> sessions_;
  std::vector<std::pair<uint32_t, Slot>> polled_;  // what each added pollfd was
};

}  // namespace hull::guest::init
