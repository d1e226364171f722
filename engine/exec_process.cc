#include "engine/exec_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "runtime/namespace/container.h"

extern char** environ;

namespace hull::engine {

using base::Result;
using base::Status;
using base::UniqueFd;
using nlohmann::json;

json ExecSpecToJson(const runtime::ns::ExecSpec& s) {
  return json{{"argv", s.process.argv}, {"env", s.process.env}, {"cwd", s.process.cwd},
              {"user", s.process.user}, {"cgroup_procs", s.cgroup_procs}, {"tty", s.tty},
              {"caps", s.caps}, {"seccomp", s.seccomp}, {"seccomp_cache_dir", s.seccomp_cache_dir},
              {"no_new_privileges", s.no_new_privileges}};
}

Result<runtime::ns::ExecSpec> ExecSpecFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    runtime::ns::ExecSpec s;
    j.at("argv").get_to(s.process.argv);
    j.at("env").get_to(s.process.env);
    j.at("cwd").get_to(s.process.cwd);
    j.at("user").get_to(s.process.user);
    j.at("cgroup_procs").get_to(s.cgroup_procs);
    j.at("tty").get_to(s.tty);
    j.at("caps").get_to(s.caps);
    j.at("seccomp").get_to(s.seccomp);
    j.at("seccomp_cache_dir").get_to(s.seccomp_cache_dir);
    j.at("no_new_privileges").get_to(s.no_new_privileges);
    return s;
  } catch (const json::exception& e) {
    return Status::Error(std::string("exec spec: ") + e.what());
  }
}

int RunExecProcess() {
  ::signal(SIGPIPE, SIG_DFL);
  std::string text;
  char buf[8192];
  ::lseek(kExecSpecFd, 0, SEEK_SET);
  for (;;) {
    ssize_t n = ::read(kExecSpecFd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  UniqueFd spec_fd(kExecSpecFd);
  UniqueFd container(kExecContainerFd);
  ::fcntl(container.get(), F_SETFD, FD_CLOEXEC);
  auto spec = ExecSpecFromJson(text);
  if (!spec.ok()) return runtime::ns::kExitRuntimeError;
  return runtime::ns::RunExec(*spec, container.get(), UniqueFd(kExecControlFd));
}

Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Errno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<pid_t> SpawnHelper(const std::vector<std::string>& args, const std::vector<std::pair<int, int>>& fds) {
  // Sources are first copied above every target, so no dup2 overwrites a later source.
  std::vector<UniqueFd> high;
  for (const auto& [target, source] : fds) {
    high.emplace_back(::fcntl(source, F_DUPFD_CLOEXEC, 64));
    if (!high.back()) return Status::Errno("F_DUPFD_CLOEXEC");
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  for (size_t i = 0; i < fds.size(); ++i) {
    posix_spawn_file_actions_adddup2(&files, high[i].get(), fds[i].first);
  }
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int err = posix_spawn(&pid, argv[0], &files, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&files);
  if (err != 0) return Status::Errno(std::string("starting ") + argv[0], err);
  return pid;
}

}  // namespace hull::engine
