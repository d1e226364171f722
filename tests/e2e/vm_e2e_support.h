// Helpers for the VM e2e tests: `hull run` as a child process whose output can be
// watched while it runs (to signal it once the container is up), and checks that a run
// left nothing behind (VMM processes, work directories).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace hull::e2e {

class LiveProcess {
 public:
  explicit LiveProcess(const std::vector<std::string>& argv);
  ~LiveProcess();  // kills it if still running
  // Reads stdout until it contains `text` or `timeout_s` passes; false on timeout.
  bool WaitForStdout(const std::string& text, double timeout_s);
  void Signal(int signal);
  // Waits (killing it after `timeout_s`); returns the exit status (128 + signal if killed).
  int Wait(double timeout_s);
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  void Pump(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
};

// How many processes have `needle` in their command line (e.g. a store root).
int CountProcessesMatching(const std::string& needle);

}  // namespace hull::e2e
