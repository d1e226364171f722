// RunProcess: runs a program to completion for a test, capturing stdout and stderr
// separately, with a wall-clock limit after which the process is killed (so a test can
// never hang). Tests use it to drive hull-vmm as a user would.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace hull::testing {

struct ProcessResult {
  int exit_status = -1;   // exit code, or 128 + signal number
  bool timed_out = false;
  std::string out;
  std::string err;
};

ProcessResult RunProcess(const std::vector<std::string>& argv, double timeout_seconds = 60,
                         const std::string& stdin_data = "");

// Like RunProcess, but sends `signal` to the process `signal_after_seconds` after it
// started (as a user's Ctrl-C or a supervisor's SIGTERM would).
ProcessResult RunProcessAndSignal(const std::vector<std::string>& argv, int signal,
                                  double signal_after_seconds, double timeout_seconds = 60);

// Everything RunProcess and RunProcessAndSignal can be told, and a little more.
struct RunOptions {
  double timeout_seconds = 60;
  std::string stdin_data;
  int signal = 0;  // sent signal_after_seconds after the start; 0: none
  double signal_after_seconds = 0;
  // Start it as PID 1 of a new PID namespace (clone(CLONE_NEWPID)), as hull starts
  // `hull-vmm --jail --no-supervisor`.
  bool new_pid_namespace = false;
  std::function<void(pid_t)> started;  // called with its pid once it runs
};
ProcessResult RunProcessWith(const std::vector<std::string>& argv, const RunOptions& options);

// The value of environment variable `name`, or `fallback`.
std::string EnvOr(const char* name, const std::string& fallback);

// A temporary file with the given contents, removed on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& contents, const std::string& suffix = "");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace hull::testing
