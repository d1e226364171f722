#include "benchmarks/vmm_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/unique_fd.h"

extern char** environ;

namespace hull::benchmarks {
namespace {

constexpr size_t kMaxKeptOutput = 1u << 20;

int64_t ClockNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Everything the child needs, built before vfork(): the child may only call
// async-signal-safe functions and must not allocate.
struct ExecImage {
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ExecImage BuildExecImage(const ProbeOptions& options) {
  ExecImage image;
  for (char** e = environ; *e != nullptr; ++e) image.env_storage.emplace_back(*e);
  for (const std::string& e : options.extra_env) image.env_storage.push_back(e);
  for (const std::string& a : options.argv) image.argv.push_back(const_cast<char*>(a.c_str()));
  image.argv.push_back(nullptr);
  for (std::string& e : image.env_storage) image.envp.push_back(e.data());
  image.envp.push_back(nullptr);
  return image;
}

struct Pipe {
  base::UniqueFd read;
  base::UniqueFd write;
};

base::Result<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return base::Status::Errno("pipe2");
  return Pipe{base::UniqueFd(fds[0]), base::UniqueFd(fds[1])};
}

// Appends what is readable (keeping at most kMaxKeptOutput) and adds the number of bytes
// read to *total; returns false at EOF or on error.
bool Drain(int fd, std::string& into, size_t* total) {
  char buf[65536];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  *total += static_cast<size_t>(n);
  if (into.size() < kMaxKeptOutput) into.append(buf, static_cast<size_t>(n));
  return true;
}

// "Name:   1234 kB" lines of /proc/PID/status.
void ReadProcStatus(pid_t pid, ProbeResult& result) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos || line.find(" kB") == std::string::npos) continue;
    result.memory_kib[line.substr(0, colon)] = std::strtoll(line.c_str() + colon + 1, nullptr, 10);
  }
}

// From /proc/PID/smaps: "GuestRamRss", the Rss of guest RAM, which is what both VMMs
// map from a memfd of at least kMinGuestRamBytes (the benchmark gives them memfd-backed
// RAM), and "AnonHugePages", the transparent huge pages of all mappings. Counting guest
// RAM by mapping rather than as RssShmem matters where the VMM's own binary and
// libraries live on tmpfs (as in the nested test VM): their pages are shmem too.
void ReadSmaps(pid_t pid, ProbeResult& result) {
  constexpr uint64_t kMinGuestRamBytes = 1u << 20;
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
  std::string line;
  bool in_guest_ram = false;
  int64_t guest_ram_kib = 0;
  int64_t huge_kib = 0;
  while (std::getline(in, line)) {
    unsigned long long start = 0, end = 0;
    char dash = 0;
    std::istringstream header(line);
    if (header >> std::hex >> start >> dash >> end && dash == '-') {  // a new mapping
      std::string perms, offset, dev, inode, path;
      header >> perms >> offset >> dev >> inode;
      std::getline(header >> std::ws, path);
      in_guest_ram = path.rfind("/memfd:", 0) == 0 && end - start >= kMinGuestRamBytes;
      if (in_guest_ram) result.guest_ram_mappings.push_back(path);
    } else if (in_guest_ram && line.rfind("Rss:", 0) == 0) {
      guest_ram_kib += std::strtoll(line.c_str() + 4, nullptr, 10);
    } else if (line.rfind("AnonHugePages:", 0) == 0) {
      huge_kib += std::strtoll(line.c_str() + 14, nullptr, 10);
    }
  }
  result.memory_kib["GuestRamRss"] = guest_ram_kib;
  result.memory_kib["AnonHugePages"] = huge_kib;
}

// The child side of vfork() or clone(CLONE_VM | CLONE_VFORK): only async-signal-safe calls.
[[noreturn]] void ExecChild(const ExecImage& image, int in, int out, int err) {
  if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
      dup2(err, STDERR_FILENO) < 0) {
    _exit(127);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  execve(image.argv[0], image.argv.data(), image.envp.data());
  _exit(127);
}

struct CloneChild {
  const ExecImage* image;
  int in, out, err;
};

int ExecCloneChild(void* arg) {
  const CloneChild& c = *static_cast<const CloneChild*>(arg);
  ExecChild(*c.image, c.in, c.out, c.err);
}

// vfork() into a new PID namespace: the child runs on `stack` in our memory until its
// exec, while we wait (CLONE_VFORK), as posix_spawn does.
pid_t VforkIntoNewPidNamespace(const CloneChild& child) {
  alignas(16) static char stack[64 * 1024];
  return clone(ExecCloneChild, stack + sizeof(stack),
               CLONE_VM | CLONE_VFORK | CLONE_NEWPID | SIGCHLD, const_cast<CloneChild*>(&child));
}

}  // namespace

int64_t MonotonicNs() { return ClockNs(CLOCK_MONOTONIC); }
int64_t RealtimeNs() { return ClockNs(CLOCK_REALTIME); }

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "wait status " + std::to_string(wait_status);
}

base::Result<ProbeResult> RunProbe(const ProbeOptions& options) {
  if (options.argv.empty()) return base::Status::Error("no command to run");
  ExecImage image = BuildExecImage(options);
  ASSIGN_OR_RETURN(base::UniqueFd dev_null, base::OpenFile("/dev/null", O_RDONLY));
  ASSIGN_OR_RETURN(Pipe out, MakePipe());
  // stderr to an unnamed file, read once the process is gone: on one CPU, a pipe would
  // wake the driver for every line the VMM writes while it boots (hull-vmm --no-seccomp's
  // warning, a jailer's notes) and charge the VMM for the driver's work.
  base::UniqueFd err_file(::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!err_file) return base::Status::Errno("a file for the VMM's stderr (O_TMPFILE in /tmp)");

  ProbeResult result;
  int64_t mono_before = MonotonicNs();
  int64_t real = RealtimeNs();
  result.start_ns = MonotonicNs();
  result.realtime_offset_ns = real - (mono_before + result.start_ns) / 2;
  CloneChild child{&image, dev_null.get(), out.write.get(), err_file.get()};
  pid_t pid = options.new_pid_namespace ? VforkIntoNewPidNamespace(child) : vfork();
  if (pid == 0) ExecChild(image, child.in, child.out, child.err);
  if (pid < 0) return base::Status::Errno(options.new_pid_namespace ? "clone" : "vfork");
  out.write.reset();
  int raw_pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (raw_pidfd < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return base::Status::Errno("pidfd_open");
  }
  base::UniqueFd pidfd(raw_pidfd);

  int64_t deadline = result.start_ns + int64_t{options.timeout_ms} * 1000000;
  int64_t kill_at = 0;  // memory mode: when to read /proc and kill; 0 = not yet known
  bool sent_kill = false;
  bool out_open = true;
  size_t out_bytes = 0;
  while (!result.exit_ns || out_open) {
    int64_t now = MonotonicNs();
    int64_t until = kill_at != 0 ? std::min(deadline, kill_at) : deadline;
    if (now >= until) {
      // Exited while something else still holds its pipes, or killed and not yet
      // reported dead: the blocking reap below finishes it.
      if (result.exit_ns || sent_kill) break;
      if (kill_at != 0 && now >= kill_at) {
        ReadProcStatus(pid, result);
        ReadSmaps(pid, result);
      } else {
        result.timed_out = true;
      }
      result.killed_by_probe = true;
      sent_kill = true;
      kill(pid, SIGKILL);
      kill_at = 0;
      deadline = now + 5000000000;  // the kernel takes it from here
      continue;
    }
    pollfd fds[2] = {{out_open ? out.read.get() : -1, POLLIN, 0},
                     {result.exit_ns ? -1 : pidfd.get(), POLLIN, 0}};
    int timeout_ms = static_cast<int>((until - now + 999999) / 1000000);
    if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
      base::Status error = base::Status::Errno("poll");
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return error;
    }
    int64_t at = MonotonicNs();
    if (fds[0].revents != 0) {
      size_t before = out_bytes;
      out_open = Drain(out.read.get(), result.out, &out_bytes);
      for (const std::string& marker : options.stdout_markers) {
        if (!result.marker_ns.count(marker) && result.out.find(marker) != std::string::npos)
          result.marker_ns[marker] = at;
      }
      if (!result.first_output_ns && out_bytes > before) {
        result.first_output_ns = at;
        if (options.kill_after_first_output_ms && !sent_kill) {
          kill_at = at + int64_t{*options.kill_after_first_output_ms} * 1000000;
        }
      }
    }
    if (fds[1].revents != 0) {
      result.exit_ns = at;
      waitpid(pid, &result.wait_status, 0);  // cannot fail: our child, and it is a zombie
    }
  }
  if (!result.exit_ns) {
    kill(pid, SIGKILL);
    waitpid(pid, &result.wait_status, 0);
    result.exit_ns = MonotonicNs();
  }
  if (::lseek(err_file.get(), 0, SEEK_SET) == 0) {
    size_t err_bytes = 0;
    while (Drain(err_file.get(), result.err, &err_bytes)) {
    }
  }
  return result;
}

}  // namespace hull::benchmarks
