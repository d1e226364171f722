// MetricsFile: Firecracker's metrics_path — the VM's metrics (GET /metrics's object) as
// one JSON line per flush, appended to a regular file (created if missing) or written
// into a FIFO. Opened by the main thread before any seccomp filter exists; afterwards
// only write(2) is needed, which every thread's filter allows. Flushed by the main
// thread (every metrics_period_s and at the end) and by the API thread (PUT /actions
// FlushMetrics); Write is serialized by its own lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "base/unique_fd.h"
#include "vmm/metrics/resident_memory.h"

namespace hull::vmm {

class MetricsFile {
 public:
  // O_RDWR so that opening a FIFO never waits for a reader; O_NONBLOCK so that a FIFO
  // nobody drains never stops a VMM thread (the line is then dropped and counted).
  static base::Result<std::unique_ptr<MetricsFile>> Open(const std::string& path);

  // Appends `json_object` and a newline as one write. Any thread.
  [[nodiscard]] base::Status Write(const std::string& json_object);
  // Composes the line (with its timestamp) and appends it under the same lock, so lines
  // from the flusher, FlushMetrics and the exit stay in time order. Any thread.
  [[nodiscard]] base::Status Write(const std::function<std::string()>& compose);
  // Lines that could not be written whole (a full FIFO).
  uint64_t missed() const;
  const std::string& path() const { return path_; }

 private:
  MetricsFile(std::string path, base::UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  base::Status WriteLocked(const std::string& json_object);
  const std::string path_;
  mutable std::mutex mu_;
  base::UniqueFd fd_;   // guarded by mu_ for writes
  uint64_t missed_ = 0; // guarded by mu_
};

// GET /metrics's object: {"utc_timestamp_ms", "vmm": {"resident_memory_bytes"}} plus
// the members of `devices_json` (RunningVm::MetricsJson: block_*, net_*, vcpu), as JSON
// text. `rss` may be null (no /proc), `devices_json` empty (before boot).
std::string ComposeMetrics(const ResidentMemory* rss, const std::string& devices_json);

// The periodic flush: a thread that writes compose() to `file` every `period_s` seconds
// and once more when stopped (hull-vmm's exit). main() starts it before the VM runs
// (threads cannot be created once the main thread is confined) and stops it before the
// devices go away; `on_start` runs first on the new thread (its seccomp filter).
class MetricsFlusher {
 public:
  MetricsFlusher(MetricsFile* file, double period_s, std::function<std::string()> compose,
                 std::function<void()> on_start = {});
  ~MetricsFlusher();  // Stop()
  // Writes the last line and joins the thread. Idempotent.
  void Stop();

 private:
  void Loop(double period_s, const std::function<void()>& on_start);
  void Flush();
  MetricsFile* const file_;
  const std::function<std::string()> compose_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hull::vmm
