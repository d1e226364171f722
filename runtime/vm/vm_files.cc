#include "runtime/vm/vm_files.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/logging.h"
#include "guest/spec.h"
#include "rootfs-builder/subprocess.h"
#include "runtime/vm/vmm_jail.h"

namespace hull::runtime::vm {

namespace {

constexpr char kWorkDirPrefix[] = "hull-vm-";
// A directory without a lock file is swept only when older than this: its maker may be
// between mkdtemp and creating the lock.
constexpr int kLocklessGraceS = 60;

}  // namespace

int SweepStaleWorkDirs(const std::string& root) {
  int swept = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(kWorkDirPrefix, 0) != 0 || !entry.is_directory(ec)) continue;
    std::string dir = entry.path().string();
    auto lock = base::OpenFile(dir + "/lock", O_RDONLY | O_NOFOLLOW);
    if (lock.ok()) {
      if (flock(lock->get(), LOCK_EX | LOCK_NB) != 0) continue;  // its hull is alive
    } else {
      struct stat st;
      if (lstat(dir.c_str(), &st) != 0 || time(nullptr) - st.st_mtime < kLocklessGraceS) continue;
    }
    CleanUpStaleJail(dir);  // its VMM, its cgroup (the jail's mounts died with it)
    std::filesystem::remove_all(dir, ec);
    if (!ec) ++swept;
  }
  return swept;
}

base::Result<WorkDir> WorkDir::Create(const std::string& root) {
  std::string base = root;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = tmp && *tmp ? tmp : "/tmp";
  }
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (int n = SweepStaleWorkDirs(base); n > 0) {
    LOG_INFO << "vm: removed " << n << " VM directories left by a killed hull in " << base;
  }
  std::string templ = base + "/" + kWorkDirPrefix + "XXXXXX";
  if (!mkdtemp(templ.data())) return base::Status::Errno("creating a directory in " + base);
  WorkDir dir(templ, base::UniqueFd());
  ASSIGN_OR_RETURN(dir.lock_, base::OpenFile(templ + "/lock", O_RDWR | O_CREAT | O_EXCL, 0600));
  if (flock(dir.lock_.get(), LOCK_EX) != 0) return base::Status::Errno("locking " + templ);
  return dir;
}

WorkDir::~WorkDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

base::Result<VmmProcess> VmmProcess::Start(const std::vector<std::string>& argv,
                                           const std::string& log, bool new_pid_namespace) {
  ASSIGN_OR_RETURN(base::UniqueFd out, base::OpenFile(log, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  ASSIGN_OR_RETURN(base::UniqueFd null, base::OpenFile("/dev/null", O_RDONLY));
  // Readable once hull has died: how the child learns that it missed its death signal
  // (getppid() cannot tell from inside a new PID namespace, where it is 0).
  base::UniqueFd parent(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));
  if (!parent) return base::Status::Errno("pidfd_open");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A fork either way; the raw clone only adds the PID namespace.
  pid_t pid = new_pid_namespace
                  ? static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0))
                  : fork();
  if (pid < 0) return base::Status::Errno(new_pid_namespace ? "clone" : "fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    pollfd hull{parent.get(), POLLIN, 0};
    if (poll(&hull, 1, 0) != 0) _exit(127);  // hull died before the line above
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(null.get(), 0);
    dup2(out.get(), 1);
    dup2(out.get(), 2);
    execv(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  base::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    int err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return base::Status::Errno("pidfd_open", err);
  }
  return VmmProcess(pid, std::move(pidfd));
}

int VmmProcess::Wait() {
  int status = 0;
  if (pid_ > 0) {
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  return status;
}

VmmProcess::~VmmProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
}

base::Status CreateWritableLayer(const std::string& path, uint64_t size_mib) {
  {
    ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
    if (ftruncate(fd.get(), static_cast<off_t>(size_mib << 20)) != 0)
      return base::Status::Errno("sizing " + path);
  }
  return rootfs::RunProgram({"mkfs.ext4", "-q", "-F", "-L", guest::kWritableLabel, "-O",
                             "^has_journal", "-E", "nodiscard", path})
      .WithContext("writable layer");
}

base::Result<base::UniqueFd> ListenUnix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path))
    return base::Status::Error("socket path too long: " + path);
  memcpy(addr.sun_path, path.c_str(), path.size());
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return base::Status::Errno("socket");
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd.get(), 1) != 0)
    return base::Status::Errno("listening on " + path);
  return fd;
}

base::Status WriteFile(const std::string& path, const std::string& data) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  return base::WriteFully(fd.get(), data.data(), data.size());
}

std::string ConsoleTail(const std::string& path, size_t max_bytes) {
  auto text = base::ReadFileToString(path);
  if (!text.ok() || text->empty()) return "(nothing on the console)";
  std::string t = text->size() > max_bytes ? text->substr(text->size() - max_bytes) : *text;
  if (text->size() > max_bytes) t = t.substr(std::min(t.size(), t.find('\n') + 1));
  return t;
}

std::string VmmLogTail(const std::string& path) {
  auto text = base::ReadFileToString(path);
  if (!text.ok() || text->empty()) return "";
  std::string t = text->size() > 1000 ? text->substr(text->size() - 1000) : *text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return "the VMM said: " + t + "; ";
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "VMM exit status " + std::to_string(WEXITSTATUS(status));
  // hull-vmm's seccomp filters kill the whole VMM with SIGSYS when any of its threads
  // makes a system call outside its allowlist: a security stop, not a crash.
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
    return "security stop: hull-vmm made a system call outside its seccomp allowlist and was "
           "killed (SIGSYS, status 159)";
  }
  if (WIFSIGNALED(status)) return "VMM killed by signal " + std::to_string(WTERMSIG(status));
  return "VMM wait status " + std::to_string(status);
}

}  // namespace hull::runtime::vm
