#include "engine/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "base/logging.h"
#include "engine/container_record.h"
#include "engine/exec_process.h"
#include "engine/json_log.h"
#include "engine/monitor_stdin.h"
#include "runtime/vm/container.h"
#include "runtime/vm/exec_client.h"
#include "rootfs-builder/content_store.h"

namespace hull::engine {

using base::Result;
using base::Status;
using base::UniqueFd;
using nlohmann::json;

json RunPlanToJson(const RunPlan& plan) {
  const auto& c = plan.container;
  const auto& s = c.spec;
  json spec{{"runtime", s.runtime}, {"image", s.image}, {"env", s.env}, {"workdir", s.workdir},
            {"user", s.user}, {"hostname", s.hostname}, {"memory", s.memory_bytes},
            {"memory_swap", s.memory_swap_bytes}, {"cpus", s.cpus}, {"pids_limit", s.pids_limit},
            {"interactive", s.interactive}, {"tty", s.tty},
            {"network", s.network == runtime::NetworkMode::kHost ? "host" : "none"},
            {"cap_add", s.cap_add}, {"cap_drop", s.cap_drop}, {"privileged", s.privileged},
            {"stop_timeout", s.stop_timeout_s}};
  json volumes = json::array();
  for (const auto& v : s.volumes) volumes.push_back({{"host", v.host}, {"container", v.container}, {"read_only", v.read_only}});
  spec["volumes"] = volumes;
  if (const auto& t = s.vm_interface) {
    spec["vm_interface"] = {{"tap", t->tap}, {"mac", t->mac}, {"address", t->address}, {"gateway", t->gateway},
                            {"dns", t->dns}, {"extra_hosts", t->extra_hosts}};
  }
  json process{{"argv", c.process.argv}, {"env", c.process.env}, {"cwd", c.process.cwd},
               {"user", c.process.user}};
  json out{{"state_root", c.state_root}, {"image_tree", c.image_tree}, {"id", c.id},
           {"cgroup_root", c.cgroup_root}, {"cgroup_parent", c.cgroup_parent},
           {"cache_dir", c.cache_dir}, {"spec", spec}, {"process", process},
           {"log_max_bytes", plan.log_max_bytes}, {"stdin_once", plan.stdin_once},
           {"vm_image_disk", plan.vm_image_disk}, {"vm_work_root", plan.vm_work_root}};
  if (plan.attach) out["network_attach"] = network::AttachPlanToJson(*plan.attach);
  return out;
}

Result<RunPlan> RunPlanFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    RunPlan plan;
    auto& c = plan.container;
    j.at("state_root").get_to(c.state_root);
    j.at("image_tree").get_to(c.image_tree);
    j.at("id").get_to(c.id);
    j.at("cgroup_root").get_to(c.cgroup_root);
    j.at("cgroup_parent").get_to(c.cgroup_parent);
    j.at("cache_dir").get_to(c.cache_dir);
    plan.log_max_bytes = j.value("log_max_bytes", kDefaultLogMaxBytes);
    plan.stdin_once = j.value("stdin_once", false);
    plan.vm_image_disk = j.value("vm_image_disk", "");
    plan.vm_work_root = j.value("vm_work_root", "");
    const json& s = j.at("spec");
    auto& spec = c.spec;
    s.at("runtime").get_to(spec.runtime);
    s.at("image").get_to(spec.image);
    s.at("env").get_to(spec.env);
    s.at("workdir").get_to(spec.workdir);
    s.at("user").get_to(spec.user);
    s.at("hostname").get_to(spec.hostname);
    s.at("memory").get_to(spec.memory_bytes);
    s.at("memory_swap").get_to(spec.memory_swap_bytes);
    s.at("cpus").get_to(spec.cpus);
    s.at("pids_limit").get_to(spec.pids_limit);
    s.at("interactive").get_to(spec.interactive);
    s.at("tty").get_to(spec.tty);
    spec.network = s.at("network") == "host" ? runtime::NetworkMode::kHost : runtime::NetworkMode::kNone;
    s.at("cap_add").get_to(spec.cap_add);
    s.at("cap_drop").get_to(spec.cap_drop);
    s.at("privileged").get_to(spec.privileged);
    s.at("stop_timeout").get_to(spec.stop_timeout_s);
    for (const auto& v : s.value("volumes", json::array())) {
      spec.volumes.push_back({v.at("host"), v.at("container"), v.at("read_only")});
    }
    if (s.contains("vm_interface")) {
      const json& t = s["vm_interface"];
      spec.vm_interface = runtime::TapInterface{t.at("tap"), t.at("mac"), t.at("address"), t.at("gateway"),
                                                t.at("dns"), t.at("extra_hosts")};
    }
    const json& p = j.at("process");
    p.at("argv").get_to(c.process.argv);
    p.at("env").get_to(c.process.env);
    p.at("cwd").get_to(c.process.cwd);
    p.at("user").get_to(c.process.user);
    if (j.contains("network_attach")) {
      ASSIGN_OR_RETURN(plan.attach, network::AttachPlanFromJson(j["network_attach"]));
      plan.container.network_address = network::FormatIpv4(plan.attach->address);
    }
    return plan;
  } catch (const json::exception& e) {
    return Status::Error(std::string("run plan: ") + e.what());
  }
}

namespace {

// How long output may pause before a line without its newline is logged as it is.
constexpr int kPartialLineMs = 20;

// Runtime "vm": the container as a micro-VM, as `hull run --runtime vm` runs it (errors on
// stderr, hence in the container's log, as Docker's runtime errors are).
int RunVmSupervisor(const RunPlan& plan) {
  const auto& c = plan.container;
  runtime::vm::VmContainer vm;
  vm.spec = c.spec;
  vm.process = c.process;
  vm.hostname = c.spec.hostname.empty() ? c.id.substr(0, 12) : c.spec.hostname;
  vm.image_disk = plan.vm_image_disk;
  vm.work_root = plan.vm_work_root;
  vm.exec_socket = plan.vm_work_root + "/" + runtime::vm::kExecSocketName;  // exec_vm.h
  std::error_code ec;
  std::filesystem::create_directories(vm.work_root, ec);
  return runtime::vm::RunVmContainer(vm);
}

// In the forked child: stdin (the pipe or terminal of monitor_stdin.h, else /dev/null),
// stdout and stderr to the pipes, then the runtime's supervisor, whose exit status
// becomes this process's.
[[noreturn]] void RunSupervisor(RunPlan& plan, const std::string& dir, int in, int out, int err) {
  // The namespace runtime reads its cgroup's OOM count before removing the cgroup; the
  // marker file tells the monitor (this process's parent) for exit.json.
  plan.container.on_oom_kill = [oom = dir + "/" + kOomMarkerFile] {
    (void)rootfs::WriteFileAtomically(oom, "1");
  };
  if (plan.attach) {
    plan.container.network_setup = [attach = *plan.attach](pid_t pid) { return network::AttachContainer(attach, pid); };
  }
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ::dup2(in >= 0 ? in : null, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  // Nothing else of the monitor's: above all not the write end of the container's stdin
  // (which must read end of file when the monitor closes it) nor the attach socket.
  ::syscall(SYS_close_range, 3, ~0u, 0);
  ::signal(SIGPIPE, SIG_DFL);
  if (plan.container.spec.runtime == "vm") ::_exit(RunVmSupervisor(plan));
  ::_exit(runtime::ns::RunContainer(plan.container));
}

// The container's stdin as the supervisor gets it, and the monitor's end of it.
struct Stdin {
  UniqueFd child;   // the supervisor's fd 0; invalid: /dev/null
  UniqueFd target;  // where attached clients' bytes go (StdinServer)
  UniqueFd master;  // with a terminal: for resizes
};

// Without -t: a pipe when stdin is open. With -t: a raw pseudo-terminal whose slave is
// the supervisor's stdin, so the window size set on the master reaches the container's
// own terminal when the supervisor copies it (on SIGWINCH).
Result<Stdin> MakeStdin(const runtime::ContainerSpec& spec) {
  Stdin s;
  if (spec.tty) {
    UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master || ::unlockpt(master.get()) != 0) return Status::Errno("posix_openpt");
    s.child = UniqueFd(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!s.child) return Status::Errno("TIOCGPTPEER");
    termios raw{};
    if (::tcgetattr(s.child.get(), &raw) == 0) {
      ::cfmakeraw(&raw);
      ::tcsetattr(s.child.get(), TCSANOW, &raw);
    }
    if (spec.interactive) s.target = UniqueFd(::fcntl(master.get(), F_DUPFD_CLOEXEC, 0));
    s.master = std::move(master);
  } else if (spec.interactive) {
    ASSIGN_OR_RETURN(Pipe p, MakePipe());
    s.child = std::move(p.read);
    s.target = std::move(p.write);
  }
  return s;
}

constexpr std::string_view kVmOomReport = "the guest's OOM killer killed a process";

int StatusOf(int ws) {
  if (WIFEXITED(ws)) return WEXITSTATUS(ws);
  if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
  return 255;
}

}  // namespace

int RunMonitor(const std::string& dir) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);  // hulld stops containers through the supervisor, not us
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  auto text = base::ReadFileToString(dir + "/" + kRunPlanFile);
  if (!text.ok()) return 1;
  auto plan = RunPlanFromJson(*text);
  if (!plan.ok()) return 1;
  auto log = JsonLogWriter::Open(dir + "/" + kLogFile, plan->log_max_bytes);
  auto out = MakePipe();
  auto err = MakePipe();
  auto in = MakeStdin(plan->container.spec);
  if (!log.ok() || !out.ok() || !err.ok() || !in.ok()) return 1;
  auto server = StdinServer::Listen(dir, std::move(in->target), plan->stdin_once);
  if (!server.ok()) {
    std::fprintf(stderr, "monitor: %s\n", server.status().message().c_str());
    return 1;
  }

  std::error_code ec;
  std::filesystem::remove(dir + "/" + kOomMarkerFile, ec);  // an earlier run's
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) RunSupervisor(*plan, dir, in->child.get(), out->write.get(), err->write.get());
  out->write.reset();
  err->write.reset();
  in->child.reset();
  (void)rootfs::WriteFileAtomically(dir + "/" + kSupervisorPidFile, std::to_string(pid));
  server->on_resize = [&](int rows, int cols) {
    if (!in->master) return;
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(rows);
    ws.ws_col = static_cast<unsigned short>(cols);
    if (::ioctl(in->master.get(), TIOCSWINSZ, &ws) == 0) ::kill(pid, SIGWINCH);
  };

  std::vector<pollfd> fds = {{out->read.get(), POLLIN, 0}, {err->read.get(), POLLIN, 0}};
  const char* names[2] = {"stdout", "stderr"};
  const bool vm = plan->container.spec.runtime == "vm";
  bool oom = false;
  int open_pipes = 2;
  char buf[16384];
  while (open_pipes > 0) {
    fds.resize(2);
    server->Fill(fds);
    // A line without its newline (a shell's prompt) is logged as it is once the output
    // has paused for kPartialLineMs, so that attached clients see it; a line written in
    // pieces back to back still makes one entry.
    int ready = ::poll(fds.data(), fds.size(), log->HasPartial() ? kPartialLineMs : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (ready == 0) {
      (void)log->EmitPartial();
      continue;
    }
    server->Handle(fds.data() + 2, fds.size() - 2);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        std::string_view data(buf, static_cast<size_t>(n));
        (void)log->Write(names[i], data);
        // runtime/vm reports the guest's OOM kill on stderr (RunVmContainer).
        if (i == 1 && vm && data.find(kVmOomReport) != std::string_view::npos) oom = true;
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  (void)log->Flush();
  int ws = 0;
  while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  if (std::filesystem::exists(dir + "/" + kOomMarkerFile, ec)) oom = true;
  if (vm) {
    std::filesystem::remove_all(plan->vm_work_root, ec);  // what a killed VM runner left
  }
  json exit{{"ExitCode", StatusOf(ws)}, {"FinishedAt", NowRfc3339Nano()}, {"OOMKilled", oom}};
  return rootfs::WriteFileAtomically(dir + "/" + kExitFile, exit.dump()).ok() ? 0 : 1;
}

}  // namespace hull::engine
