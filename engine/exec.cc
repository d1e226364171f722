#include "engine/exec.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <thread>

#include "base/logging.h"
#include "engine/engine.h"
#include "engine/exec_process.h"
#include "engine/exec_vm.h"
#include "engine/monitor.h"
#include "engine/json_strings.h"
#include "runtime/namespace/cgroups.h"
#include "runtime/namespace/container.h"
#include "runtime/namespace/sync_socket.h"

namespace hull::engine {

using base::Result;
using base::Status;
using base::UniqueFd;
using nlohmann::json;

namespace {

// The exec's process: the container's, with the exec's overrides (Docker's rules).
Result<runtime::ns::ExecSpec> BuildSpec(const RunPlan& plan, const json& config, bool tty) {
  const auto& c = plan.container;
  runtime::ns::ExecSpec s;
  try {
    s.process.argv = StringList(config, "Cmd");
    s.process.env = c.process.env;
    for (const auto& e : StringList(config, "Env")) {
      if (e.find('=') == std::string::npos) return Status::Error("invalid environment variable: " + e);
      SetEnv(s.process.env, e);
    }
    if (tty) SetEnv(s.process.env, "TERM=xterm");
    s.process.cwd = config.value("WorkingDir", "");
    if (s.process.cwd.empty()) s.process.cwd = c.process.cwd;
    s.process.user = config.value("User", "");
    if (s.process.user.empty()) s.process.user = c.process.user;
    bool privileged = config.value("Privileged", false) || c.spec.privileged;
    ASSIGN_OR_RETURN(auto version, runtime::ns::DetectCgroupVersion(c.cgroup_root));
    if (privileged) {
      s.caps = runtime::ns::AllCaps();
    } else {
      ASSIGN_OR_RETURN(s.caps, runtime::ns::ContainerCaps(c.spec, version));
    }
    s.seccomp = !privileged && !c.spec.seccomp_unconfined;
    s.seccomp_cache_dir = c.cache_dir;
    s.no_new_privileges = c.spec.no_new_privileges;
    for (const auto& dir : runtime::ns::CgroupDirs(c.cgroup_root, version, c.cgroup_parent + "/" + c.id)) {
      s.cgroup_procs.push_back(dir + "/cgroup.procs");
    }
    s.tty = tty;
  } catch (const json::exception& e) {
    return Status::Error(std::string("invalid exec config: ") + e.what());
  }
  return s;
}

Result<UniqueFd> SpecFile(const runtime::ns::ExecSpec& spec) {
  UniqueFd fd(::memfd_create("hull-exec-spec", MFD_CLOEXEC));
  if (!fd) return Status::Errno("memfd_create");
  std::string text = ExecSpecToJson(spec).dump();
  RETURN_IF_ERROR(base::WriteFully(fd.get(), text.data(), text.size()));
  return fd;
}

}  // namespace

json ExecInspectJson(const ExecRecord& r) {
  auto argv = StringList(r.config, "Cmd");
  json args = json::array();
  for (size_t i = 1; i < argv.size(); ++i) args.push_back(argv[i]);
  return json{{"ID", r.id}, {"ContainerID", r.container_id}, {"Running", r.running},
              {"ExitCode", r.exit_code ? json(*r.exit_code) : json(nullptr)},
              {"ProcessConfig",
               {{"tty", r.config.value("Tty", false)}, {"entrypoint", argv.empty() ? "" : argv[0]},
                {"arguments", args}, {"privileged", r.config.value("Privileged", false)},
                {"user", r.config.value("User", "")}}},
              {"OpenStdin", r.config.value("AttachStdin", false)},
              {"OpenStdout", r.config.value("AttachStdout", false)},
              {"OpenStderr", r.config.value("AttachStderr", false)}, {"CanRemove", false},
              {"DetachKeys", r.config.value("DetachKeys", "")}, {"Pid", r.running ? r.pid : 0}};
}

ExecStore::ExecStore(Engine& engine) : engine_(engine), state_(std::make_shared<State>()) {}

Outcome ExecStore::Create(const std::string& ref, const json& config, std::string* id) {
  if (!config.is_object()) return Outcome(ErrorKind::kInvalid, "exec config must be a JSON object");
  std::vector<std::string> cmd;
  try {
    cmd = StringList(config, "Cmd");
    (void)StringList(config, "Env");
    // Read at start and inspect: a wrong type is refused now (Docker's decoder does).
    for (const char* key : {"Tty", "Privileged", "AttachStdin", "AttachStdout", "AttachStderr"}) {
      if (config.contains(key) && !config[key].is_null()) (void)config[key].get<bool>();
    }
    for (const char* key : {"User", "WorkingDir", "DetachKeys"}) {
      if (config.contains(key) && !config[key].is_null()) (void)config[key].get<std::string>();
    }
  } catch (const json::exception& e) {
    return Outcome(ErrorKind::kInvalid, std::string("invalid exec config: ") + e.what());
  }
  if (cmd.empty()) return Outcome(ErrorKind::kInvalid, "No exec command specified");
  ContainerRecord r;
  if (Outcome o = engine_.Get(ref, &r); !o.ok()) return o;
  if (r.state != ContainerState::kRunning) {
    return Outcome(ErrorKind::kConflict, "Container " + r.id + " is not running");
  }
  ExecRecord e;
  e.id = NewId();
  e.container_id = r.id;
  e.config = config;
  std::lock_guard lock(state_->mu);
  // Forget the ended execs of containers that are gone.
  for (auto it = state_->records.begin(); it != state_->records.end();) {
    ContainerRecord other;
    bool gone = !it->second.running && !engine_.Get(it->second.container_id, &other).ok();
    it = gone ? state_->records.erase(it) : std::next(it);
  }
  state_->records[e.id] = e;
  *id = e.id;
  return Outcome();
}

Outcome ExecStore::Get(const std::string& id, ExecRecord* record) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->records.find(id);
  if (it == state_->records.end()) return Outcome(ErrorKind::kNotFound, "No such exec instance: " + id);
  *record = it->second;
  return Outcome();
}

bool ExecStore::WaitEnded(const std::string& id, int timeout_ms) const {
  std::unique_lock lock(state_->mu);
  return state_->ended.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    auto it = state_->records.find(id);
    return it == state_->records.end() || !it->second.running;
  });
}

Outcome ExecStore::Resize(const std::string& id, int height, int width) {
  std::lock_guard lock(state_->mu);
  if (!state_->records.count(id)) return Outcome(ErrorKind::kNotFound, "No such exec instance: " + id);
  auto it = state_->masters.find(id);
  if (it == state_->masters.end()) return Outcome();  // no terminal (or ended): nothing to size
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(height);
  ws.ws_col = static_cast<unsigned short>(width);
  if (::ioctl(it->second->get(), TIOCSWINSZ, &ws) != 0) return Outcome::Internal(Status::Errno("TIOCSWINSZ"));
  return Outcome();
}

Outcome ExecStore::Start(const std::string& id, bool detach, ExecStreams* streams) {
  ExecRecord record;
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->records.find(id);
    if (it == state_->records.end()) return Outcome(ErrorKind::kNotFound, "No such exec instance: " + id);
    if (it->second.started) {
      return Outcome(ErrorKind::kConflict, "Error: Exec command " + id + " is already running");
    }
    it->second.started = it->second.running = true;
    record = it->second;
  }
  pid_t helper = 0;
  int pid = 0;
  Outcome o = Spawn(record, detach, streams, &helper, &pid);
  std::lock_guard lock(state_->mu);
  ExecRecord& r = state_->records[id];
  if (!o.ok()) {
    r.started = r.running = false;
    return o;
  }
  r.pid = pid;
  if (streams->tty && streams->output) {
    state_->masters[id] = std::make_shared<UniqueFd>(::fcntl(streams->output.get(), F_DUPFD_CLOEXEC, 0));
  }
  std::thread([state = state_, id, helper] {
    int ws = 0;
    while (::waitpid(helper, &ws, 0) < 0 && errno == EINTR) {
    }
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 255;
    std::lock_guard lock(state->mu);
    auto it = state->records.find(id);
    if (it != state->records.end()) {
      it->second.running = false;
      it->second.exit_code = code;
      it->second.pid = 0;
    }
    state->masters.erase(id);
    state->ended.notify_all();
  }).detach();
  return Outcome();
}

// Starts the helper and waits until the process has exec'd (or failed to).
Outcome ExecStore::Spawn(const ExecRecord& record, bool detach, ExecStreams* streams, pid_t* helper, int* pid) {
  ContainerRecord c;
  if (Outcome o = engine_.Get(record.container_id, &c); !o.ok()) return o;
  if (c.state != ContainerState::kRunning || c.pid <= 0) {
    return Outcome(ErrorKind::kConflict, "Container " + c.id + " is not running");
  }
  auto text = base::ReadFileToString(engine_.ContainerDir(c.id) + "/" + kRunPlanFile);
  if (!text.ok()) return Outcome::Internal(text.status());
  auto plan = RunPlanFromJson(*text);
  if (!plan.ok()) return Outcome::Internal(plan.status());
  bool tty = record.config.value("Tty", false) && !detach;
  // Runtime vm: the helper talks to the VM's exec socket (exec_vm.h) instead of joining
  // the container's namespaces.
  const bool vm = c.runtime == "vm";
  Result<UniqueFd> spec_fd = vm ? VmExecSpecFile(*plan, record.config, tty,
                                                 !detach && record.config.value("AttachStdin", false))
                                : Result<UniqueFd>(Status::Error(""));
  if (!vm) {
    auto spec = BuildSpec(*plan, record.config, tty);
    if (!spec.ok()) return Outcome(ErrorKind::kInvalid, spec.status().message());
    spec_fd = SpecFile(*spec);
    if (!spec_fd.ok()) return Outcome::Internal(spec_fd.status());
  } else if (!spec_fd.ok()) {
    return Outcome(ErrorKind::kInvalid, spec_fd.status().message());
  }
  UniqueFd container(vm ? -1 : static_cast<int>(::syscall(SYS_pidfd_open, c.pid, 0)));
  if (!vm && !container) return Outcome(ErrorKind::kConflict, "Container " + c.id + " is not running");
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return Outcome::Internal(Status::Errno("socketpair"));
  }
  UniqueFd ctl(pair[0]), child_ctl(pair[1]);
  auto null = base::OpenFile("/dev/null", O_RDWR);
  if (!null.ok()) return Outcome::Internal(null.status());
  std::vector<std::pair<int, int>> fds = {{0, null->get()}, {1, null->get()}, {2, null->get()},
                                         {kExecSpecFd, spec_fd->get()}, {kExecControlFd, child_ctl.get()},
                                         {kExecContainerFd, container.get()}};
  if (vm) fds.pop_back();
  Pipe in, out, err;
  if (!detach && !tty) {
    auto o = MakePipe(), e = MakePipe();
    if (!o.ok() || !e.ok()) return Outcome::Internal(Status::Errno("pipe2"));
    out = std::move(*o);
    err = std::move(*e);
    fds[1].second = out.write.get();
    fds[2].second = err.write.get();
    if (record.config.value("AttachStdin", false)) {
      auto i = MakePipe();
      if (!i.ok()) return Outcome::Internal(i.status());
      in = std::move(*i);
      fds[0].second = in.read.get();
    }
  }
  auto spawned = SpawnHelper({engine_.options().monitor_exe, "exec-process"}, fds);
  if (!spawned.ok()) return Outcome::Internal(spawned.status());
  *helper = *spawned;
  child_ctl.reset();
  in.read.reset();
  out.write.reset();
  err.write.reset();
  streams->tty = tty;
  streams->input = std::move(in.write);
  streams->output = std::move(out.read);
  streams->errors = std::move(err.read);
  for (;;) {
    auto m = runtime::ns::ReceiveSync(ctl.get());
    if (!m.ok() || m->text.empty()) break;  // exec'd, or gone (the waiter gets its status)
    if (m->text.rfind("pid ", 0) == 0) {
      *pid = std::atoi(m->text.c_str() + 4);
    } else if (m->text == "pty" && m->fd) {
      streams->output = std::move(m->fd);
      if (record.config.value("AttachStdin", false)) {
        streams->input = UniqueFd(::fcntl(streams->output.get(), F_DUPFD_CLOEXEC, 0));
      }
    } else if (m->text.rfind("error ", 0) == 0) {
      size_t space = m->text.find(' ', 6);
      std::string why = space == std::string::npos ? m->text : m->text.substr(space + 1);
      streams->error = "OCI runtime exec failed: exec failed: unable to start container process: " + why + ": unknown";
    }
  }
  return Outcome();
}

}  // namespace hull::engine
