// Runs qemu-system-x86_64 with TCG for the test guest's own tests (test_guest_*.cc): a
// private temporary directory per run, COM1 captured to a file byte for byte, a
// wall-clock limit, and optionally a hook that runs while QEMU waits paused (-S) for a
// debugger (gdb_remote.h). Only for tests; not thread-safe beyond one run per object.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hull::tests {

// qemu-system-x86_64 on PATH, if installed.
std::optional<std::string> FindQemu();

// A private directory (mkdtemp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }  // empty if mkdtemp failed

 private:
  std::filesystem::path path_;
};

struct QemuOptions {
  std::string machine = "microvm,x-option-roms=off,rtc=off";
  // What to boot and how, e.g. {"-kernel", image, "-append", cmdline}.
  std::vector<std::string> boot_args;
  std::chrono::milliseconds timeout{20000};
  // When set, QEMU starts paused with its gdbstub on a Unix socket; this runs with the
  // socket's path and must leave the guest running (gdb "detach"). False: give up.
  std::function<bool(const std::string& gdb_socket)> while_paused;
  // When set: once COM1 output ends with this, QEMU runs `keep_running` longer and is
  // then killed (for a guest that never ends by itself).
  std::string stop_after_output;
  std::chrono::milliseconds keep_running{500};
};

struct QemuRun {
  std::string serial;      // every byte the guest wrote to COM1
  std::string log;         // QEMU's own stdout and stderr
  int exit_code = -1;      // -1 when QEMU did not exit by itself
  bool timed_out = false;  // killed at `timeout`
  bool stopped = false;    // killed `keep_running` after `stop_after_output`
  std::string error;       // why the run could not be made; empty when it was
};

// Runs QEMU (which must be installed) with -accel tcg, 64 MiB, -nodefaults,
// -no-reboot, the exit port at 0xf4 (isa-debug-exit, exit code (status << 1) | 1),
// COM1 to a file, plus `options`.
QemuRun RunQemu(const QemuOptions& options);

}  // namespace hull::tests
