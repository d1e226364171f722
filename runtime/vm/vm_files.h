// What one micro-VM owns on the host, each with an owner that removes it: the private
// work directory (initramfs, writable layer, sockets, logs), the VMM process (killed if
// still running, and with PR_SET_PDEATHSIG so it dies with hull), the listening socket;
// and small file helpers. Used by the VM runner on its thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::runtime::vm {

// A VM's private directory, hull-vm-XXXXXX. Its file `lock` is flock'ed by the process
// that made it for as long as that process lives, so a directory whose lock is free was
// left by a hull that was killed (SIGKILL leaves no chance to clean up): Create sweeps
// those first.
class WorkDir {
 public:
  // A new private directory under `root` ("" → $TMPDIR or /tmp).
  static base::Result<WorkDir> Create(const std::string& root);
  WorkDir(WorkDir&& other) noexcept
      : path_(std::move(other.path_)), lock_(std::move(other.lock_)) {
    other.path_.clear();
  }
  WorkDir(const WorkDir&) = delete;
  ~WorkDir();
  const std::string& path() const { return path_; }

 private:
  WorkDir(std::string path, base::UniqueFd lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  std::string path_;
  base::UniqueFd lock_;
};

// Removes the VM directories under `root` whose owner is gone; returns how many.
int SweepStaleWorkDirs(const std::string& root);

class VmmProcess {
 public:
  // Starts argv with stdin /dev/null and stdout/stderr to `log`, in its own process
  // group (a terminal's Ctrl-C reaches hull, which decides), and — new_pid_namespace —
  // as PID 1 of a new PID namespace (how `hull-vmm --jail --no-supervisor` is started).
  static base::Result<VmmProcess> Start(const std::vector<std::string>& argv,
                                        const std::string& log, bool new_pid_namespace = false);
  VmmProcess(VmmProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}
  VmmProcess(const VmmProcess&) = delete;
  ~VmmProcess();  // SIGKILL and reap, if still running

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  // Reaps it (it has exited); returns the wait status.
  int Wait();

 private:
  VmmProcess(pid_t pid, base::UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  pid_t pid_ = -1;
  base::UniqueFd pidfd_;
};

// A sparse file of `size_mib` with an ext4 (labelled guest::kWritableLabel, no journal,
// no discard at mkfs time) for the VM's writes.
base::Status CreateWritableLayer(const std::string& path, uint64_t size_mib);
base::Result<base::UniqueFd> ListenUnix(const std::string& path);
base::Status WriteFile(const std::string& path, const std::string& data);
// The last lines of the console log, without the noise of an empty tail.
std::string ConsoleTail(const std::string& path, size_t max_bytes = 3000);
// "VMM said: <last lines>; " or "".
std::string VmmLogTail(const std::string& path);
std::string DescribeWaitStatus(int status);

}  // namespace hull::runtime::vm
