#include "engine/exec_process.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>

#include "base/unique_fd.h"
#include "engine/exec_vm.h"
#include "engine/json_strings.h"
#include "guest/spec.h"
#include "runtime/namespace/container.h"
#include "runtime/namespace/sync_socket.h"
#include "runtime/vm/exec_client.h"

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
  if (IsVmExecSpec(text)) return RunVmExecProcess(text);
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

// ---- Exec into a micro-VM (exec_vm.h) ----
namespace {  // exec into a micro-VM (exec_vm.h)

// What the docker CLI reports when an exec cannot start (exit status 126).
constexpr int kExitCannotStart = 126;

// A host terminal for the exec: raw (the guest's terminal does the line discipline), the
// helper's controlling terminal so that hulld's resizes reach it as SIGWINCH.
Status OpenHostTerminal(UniqueFd* master, UniqueFd* slave) {
  int m = -1, s = -1;
  if (::openpty(&m, &s, nullptr, nullptr, nullptr) != 0) return Status::Errno("openpty");
  master->reset(m);
  slave->reset(s);
  ::fcntl(m, F_SETFD, FD_CLOEXEC);
  ::fcntl(s, F_SETFD, FD_CLOEXEC);
  termios t{};
  if (::tcgetattr(s, &t) == 0) {
    ::cfmakeraw(&t);
    ::tcsetattr(s, TCSANOW, &t);
  }
  if (::ioctl(s, TIOCSCTTY, 0) != 0) return Status::Errno("TIOCSCTTY");
  return Status::Ok();
}

}  // namespace

Result<UniqueFd> VmExecSpecFile(const RunPlan& plan, const json& config, bool tty, bool attach_stdin) {
  guest::ExecSpec s;
  try {
    const auto& c = plan.container;
    s.args = StringList(config, "Cmd");
    s.env = c.process.env;
    for (const auto& e : StringList(config, "Env")) {
      if (e.find('=') == std::string::npos) return Status::Error("invalid environment variable: " + e);
      SetEnv(s.env, e);
    }
    if (tty) SetEnv(s.env, "TERM=xterm");
    s.cwd = config.value("WorkingDir", "");
    if (s.cwd.empty()) s.cwd = c.process.cwd.empty() ? "/" : c.process.cwd;
    if (s.cwd[0] != '/') return Status::Error("the working directory '" + s.cwd + "' is invalid, it needs to be an absolute path");
    s.user = config.value("User", "");
    if (s.user.empty()) s.user = c.process.user;
  } catch (const json::exception& e) {
    return Status::Error(std::string("invalid exec config: ") + e.what());
  }
  s.tty = tty;
  s.stdin_open = attach_stdin;
  UniqueFd fd(::memfd_create("hull-exec-spec", MFD_CLOEXEC));
  if (!fd) return Status::Errno("memfd_create");
  std::string text = json{{"vm_exec_socket", plan.vm_work_root + "/" + runtime::vm::kExecSocketName},
                          {"exec", json::parse(guest::ExecSpecToJson(s))}}.dump();
  RETURN_IF_ERROR(base::WriteFully(fd.get(), text.data(), text.size()));
  return fd;
}

bool IsVmExecSpec(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_object() && j.contains("vm_exec_socket");
}

int RunVmExecProcess(const std::string& text) {
  UniqueFd ctl(kExecControlFd);
  auto fail = [&](const std::string& why) {
    if (ctl) (void)runtime::ns::SendSync(ctl.get(), "error " + std::to_string(kExitCannotStart) + " " + why);
    std::fprintf(stderr, "hulld exec-process: %s\n", why.c_str());
    return kExitCannotStart;
  };
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("exec") || !j["vm_exec_socket"].is_string()) return fail("malformed exec spec");
  auto spec = guest::ExecSpecFromJson(j["exec"].dump());
  if (!spec.ok()) return fail(spec.status().message());
  runtime::vm::ExecClientIo io;
  io.in = spec->stdin_open ? 0 : -1;
  UniqueFd master, slave;
  if (spec->tty) {
    if (auto s = OpenHostTerminal(&master, &slave); !s.ok()) return fail(s.message());
    if (auto s = runtime::ns::SendSync(ctl.get(), "pty", master.get()); !s.ok()) return fail(s.message());
    master.reset();
    io.in = spec->stdin_open ? slave.get() : -1;
    io.out = io.err = io.terminal_fd = slave.get();
  }
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&set, sig);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  UniqueFd signals(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  io.signal_fd = signals.get();
  io.started = [&](uint32_t pid) {
    (void)runtime::ns::SendSync(ctl.get(), "pid " + std::to_string(pid));
    ctl.reset();  // end of file: the process runs
  };
  io.failed = [&](const std::string& why) {
    (void)runtime::ns::SendSync(ctl.get(), "error " + std::to_string(kExitCannotStart) + " " + why);
    ctl.reset();
  };
  auto code = runtime::vm::RunExecClient(j["vm_exec_socket"].get<std::string>(), *spec, io);
  if (!code.ok()) return fail(code.status().message());
  return *code;
}

}  // namespace hull::engine
