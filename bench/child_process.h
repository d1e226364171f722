// A program hull bench runs and times: started with posix_spawn (stdin /dev/null, stdout
// and stderr on pipes), its output watched for marker lines, its exit seen through a
// pidfd, and the memory of its whole process tree read from /proc. hull bench makes
// itself a child subreaper, so processes an instance leaves behind come back to it.
// Single-threaded: the suite calls all of this from the main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::bench {

using Clock = std::chrono::steady_clock;

struct RunResult {
  int wait_status = -1;
  bool timed_out = false;
  double exit_ms = 0;                      // start → exit of the program
  std::optional<double> first_output_ms;   // start → first byte on stdout
  std::map<std::string, double> markers;   // start → first time each marker was printed
  std::string output;                      // stdout (the first 64 KiB)
  std::string error_tail;                  // the end of stderr
  bool ok() const;                         // exited 0 in time
  std::string Describe() const;            // "exit status 3: <stderr's last line>"
};

class ChildProcess {
 public:
  // `markers`: strings whose first appearance on stdout is timed.
  static base::Result<ChildProcess> Start(const std::vector<std::string>& argv,
                                          std::vector<std::string> markers = {});
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool exited() const { return exited_; }

  // Reads output until `marker` was printed (true), or the program ended or the
  // deadline passed (false).
  bool WaitForMarker(const std::string& marker, Clock::time_point deadline);
  // Reads output until the program exits or the deadline passes (then timed_out).
  RunResult Wait(Clock::time_point deadline);
  // Ends the instance: SIGKILL to the leaves of its process tree (the container's own
  // processes, which lets the runtime above them clean up), then to everything left
  // after `grace`; then waits. Returns what was seen.
  RunResult Stop(std::chrono::milliseconds grace);

  const RunResult& result() const { return result_; }

 private:
  ChildProcess() = default;
  void Pump(int timeout_ms);  // one poll round: reads pipes, notices the exit
  void NoteExit();

  pid_t pid_ = -1;
  bool exited_ = false;
  Clock::time_point start_;
  base::UniqueFd out_, err_, pidfd_;
  std::vector<std::string> markers_;
  RunResult result_;
};

// Every process below `pid` (children, their children, ...), `pid` included.
std::vector<pid_t> ProcessTree(pid_t pid);
// Sum of Pss over the processes (smaps_rollup), in KiB; processes gone meanwhile count 0.
uint64_t PssKib(const std::vector<pid_t>& pids);
// Reaps exited children of this process that are not in `keep` (orphans handed to the
// subreaper).
void ReapOrphans(const std::vector<pid_t>& keep = {});
// Runs argv to completion (for clean-up commands), ignoring its output.
int RunQuietly(const std::vector<std::string>& argv, std::chrono::seconds timeout);

}  // namespace hull::bench
