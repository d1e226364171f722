#include "tests/guests/qemu_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace hull::tests {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string ReadIfPresent(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::optional<std::string> FindQemu() {
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t end = dirs.find(':', pos);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(pos, end - pos) + "/qemu-system-x86_64";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    pos = end + 1;
  }
  return std::nullopt;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "hull-guest-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

QemuRun RunQemu(const QemuOptions& options) {
  QemuRun run;
  std::optional<std::string> qemu = FindQemu();
  TempDir dir;
  if (!qemu || dir.path().empty()) {
    run.error = !qemu ? "qemu-system-x86_64 not found" : "mkdtemp failed";
    return run;
  }
  const std::string serial = (dir.path() / "serial").string();
  const std::string log = (dir.path() / "qemu.log").string();
  const std::string gdb_socket = (dir.path() / "gdb.sock").string();
  std::vector<std::string> args = {
      *qemu, "-M", options.machine, "-accel", "tcg", "-m", "64", "-nodefaults",
      "-no-user-config", "-display", "none", "-monitor", "none", "-no-reboot",
      "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
      "-chardev", "file,id=com1,path=" + serial, "-serial", "chardev:com1"};
  if (options.while_paused) {
    args.insert(args.end(), {"-S", "-chardev",
                             "socket,id=gdb,path=" + gdb_socket + ",server=on,wait=off",
                             "-gdb", "chardev:gdb"});
  }
  args.insert(args.end(), options.boot_args.begin(), options.boot_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid;
  int spawn_error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    run.error = std::string("posix_spawn: ") + strerror(spawn_error);
    return run;
  }

  const auto deadline = steady_clock::now() + options.timeout;
  bool abandon = options.while_paused && !options.while_paused(gdb_socket);
  std::optional<steady_clock::time_point> stop_at;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    auto now = steady_clock::now();
    if (!options.stop_after_output.empty() && !stop_at &&
        ReadIfPresent(serial).ends_with(options.stop_after_output)) {
      stop_at = now + options.keep_running;
    }
    if (abandon || now >= deadline || (stop_at && now >= *stop_at)) {
      run.timed_out = !abandon && now >= deadline;
      run.stopped = !abandon && !run.timed_out;
      if (abandon) run.error = "the paused-QEMU hook failed";
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  if (!abandon && !run.timed_out && !run.stopped && WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  }
  run.serial = ReadIfPresent(serial);
  run.log = ReadIfPresent(log);
  return run;
}

}  // namespace hull::tests
