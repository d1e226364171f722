// Engine: create, start, stop, kill, wait and remove (engine.h). The Docker request
// fields become a runtime::ContainerSpec here, the one place that reads them.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/logging.h"
#include "base/unique_fd.h"
#include "engine/engine.h"
#include "engine/exec_process.h"
#include "engine/images.h"
#include "engine/monitor.h"
#include "engine/network/docker_ports.h"
#include "engine/volumes.h"
#include "engine/proc_file.h"
#include "engine/json_strings.h"
#include "rootfs-builder/image_builder.h"
#include "runtime/container_spec.h"

namespace hull::engine {

using base::Result;
using base::Status;
using nlohmann::json;

namespace {

// Docker's create request → runtime::ContainerSpec (checked; invalid → kInvalid).
Outcome SpecFromRequest(const json& config, const json& host, const std::string& runtime_name,
                        runtime::ContainerSpec* spec) {
  try {
    spec->runtime = runtime_name;
    spec->image = config.value("Image", "");
    spec->args = StringList(config, "Cmd");
    if (config.contains("Entrypoint") && !config["Entrypoint"].is_null()) {
      auto ep = StringList(config, "Entrypoint");
      spec->entrypoint = ep.empty() ? "" : ep[0];
      if (ep.size() > 1) spec->args.insert(spec->args.begin(), ep.begin() + 1, ep.end());
    }
    spec->env = StringList(config, "Env");
    for (const auto& e : spec->env) {
      if (e.find('=') == std::string::npos) return Outcome(ErrorKind::kInvalid, "invalid environment variable: " + e);
    }
    spec->workdir = config.value("WorkingDir", "");
    spec->user = config.value("User", "");
    spec->hostname = config.value("Hostname", "");
    spec->tty = config.value("Tty", false);
    spec->interactive = config.value("OpenStdin", false);  // fed through the monitor (monitor_stdin.h)
    spec->stop_timeout_s = config.value("StopTimeout", 10);
    // Read only later (start, stop, inspect): a wrong type is refused here, as Docker's
    // decoder refuses it, rather than met there.
    (void)config.value("StdinOnce", false);
    (void)config.value("StopSignal", "");
    if (json log = host.value("LogConfig", json()); !log.is_null()) (void)log.value("Type", "");
    spec->memory_bytes = host.value("Memory", int64_t{0});
    spec->memory_swap_bytes = host.value("MemorySwap", int64_t{0});
    spec->cpus = static_cast<double>(host.value("NanoCpus", int64_t{0})) / 1e9;
    spec->pids_limit = host.contains("PidsLimit") && host["PidsLimit"].is_number() ? host["PidsLimit"].get<int64_t>() : 0;
    spec->remove = host.value("AutoRemove", false);
    spec->privileged = host.value("Privileged", false);
    spec->cap_add = StringList(host, "CapAdd");
    spec->cap_drop = StringList(host, "CapDrop");
    std::string net = host.value("NetworkMode", "default");
    if (net == "host") {
      spec->network = runtime::NetworkMode::kHost;
    } else if (net == "none" || net == "default" || net == "bridge" || net.empty()) {
      spec->network = runtime::NetworkMode::kNone;  // a namespace of its own; the bridge's veth is added at start
    } else {
      return Outcome(ErrorKind::kInvalid, "network " + net + " not found (hulld has bridge, none and host)");
    }
    auto ports = network::ParsePortBindings(host.contains("PortBindings") ? host["PortBindings"] : json());
    if (!ports.ok()) return Outcome(ErrorKind::kInvalid, ports.status().message());
    auto volumes = ParseVolumes(host);
    if (!volumes.ok()) return Outcome(ErrorKind::kInvalid, volumes.status().message());
    spec->volumes = *volumes;
    if (spec->memory_bytes < 0 || spec->cpus < 0) return Outcome(ErrorKind::kInvalid, "negative resource limit");
  } catch (const json::exception& e) {
    return Outcome(ErrorKind::kInvalid, std::string("invalid container config: ") + e.what());
  }
  return Outcome();
}

std::string RuntimeOf(const json& host, const std::string& fallback) {
  std::string r = host.is_object() ? host.value("Runtime", "") : "";
  if (r.empty() || r == "runc" || r == "io.containerd.runc.v2") return fallback;
  return r;
}

// A null field means the field's zero value to Docker's decoder, as if it were absent;
// dropping them lets every later reader take its default.
json WithoutNulls(const json& object) {
  json out = json::object();
  for (const auto& [key, value] : object.items()) {
    if (!value.is_null()) out[key] = value;
  }
  return out;
}

std::string RandomName() {
  static const char* kAdjectives[] = {"brave", "calm", "eager", "keen", "quiet", "swift", "bold", "merry"};
  static const char* kNames[] = {"turing", "hopper", "lovelace", "ritchie", "thompson", "knuth", "liskov", "hamilton"};
  std::string id = NewId();
  return std::string(kAdjectives[id[0] % 8]) + "_" + kNames[id[1] % 8] + "_" + id.substr(2, 4);
}


}  // namespace

Outcome Engine::Create(const CreateRequest& request, std::string* id_out) {
  if (!request.config.is_object()) return Outcome(ErrorKind::kInvalid, "config must be a JSON object");
  if (!request.host_config.is_null() && !request.host_config.is_object()) {
    return Outcome(ErrorKind::kInvalid, "HostConfig must be a JSON object");
  }
  json config = WithoutNulls(request.config);
  json host = request.host_config.is_object() ? WithoutNulls(request.host_config) : json::object();
  std::string runtime_name = RuntimeOf(host, options_.default_runtime);
  if (runtime_name != "ns" && runtime_name != "vm") {
    return Outcome(ErrorKind::kInvalid, "unknown runtime specified " + runtime_name + " (hull has ns and vm)");
  }
  runtime::ContainerSpec spec;
  if (Outcome o = SpecFromRequest(config, host, runtime_name, &spec); !o.ok()) return o;
  if (spec.image.empty()) return Outcome(ErrorKind::kInvalid, "config.Image is required");
  // Docker takes "/NAME" as NAME (inspect shows every name with its slash).
  std::string name = request.name.rfind('/', 0) == 0 ? request.name.substr(1) : request.name;
  if (!request.name.empty() && !ValidName(name)) {
    return Outcome(ErrorKind::kInvalid, "Invalid container name (" + request.name +
                                            "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  auto image = FindImage(store_, spec.image);
  if (!image.ok()) return Outcome(ErrorKind::kNotFound, image.status().message());

  ContainerRecord r;
  r.id = NewId();
  r.name = name.empty() ? RandomName() : name;
  r.image = spec.image;
  r.image_id = image->config.str();
  r.runtime = runtime_name;
  r.config = config;
  host["Runtime"] = runtime_name;
  r.host_config = host;
  r.created = NowRfc3339Nano();
  r.started_at = r.finished_at = kZeroTime;
  r.log_path = ContainerDir(r.id) + "/" + kLogFile;

  std::lock_guard lock(mu_);
  for (const auto& [id, other] : records_) {
    if (other.name == r.name) {
      return Outcome(ErrorKind::kConflict, "Conflict. The container name \"/" + r.name +
                                               "\" is already in use by container \"" + id +
                                               "\". You have to remove (or rename) that container to be able "
                                               "to reuse that name.");
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(ContainerDir(r.id), ec);
  if (ec) return Outcome(ErrorKind::kInternal, "creating " + ContainerDir(r.id) + ": " + ec.message());
  // The log exists from creation, so an attach made before start (docker run) holds it
  // open and reads everything even when AutoRemove unlinks it right after a quick exit.
  if (auto log = base::OpenFile(r.log_path, O_WRONLY | O_CREAT | O_APPEND, 0640); !log.ok()) {
    return Outcome::Internal(log.status());
  }
  if (Status s = SaveLocked(r); !s.ok()) return Outcome::Internal(s);
  records_[r.id] = r;
  Publish(r, "create");
  *id_out = r.id;
  return Outcome();
}

// Writes the run plan and starts `hulld monitor DIR` in a session of its own.
Outcome Engine::SpawnMonitor(ContainerRecord& r) {
  runtime::ContainerSpec spec;
  if (Outcome o = SpecFromRequest(r.config, r.host_config, r.runtime, &spec); !o.ok()) return o;
  auto image = FindImage(store_, r.image_id);
  if (!image.ok()) return Outcome(ErrorKind::kNotFound, image.status().message());
  auto stored = rootfs::ReadStoredImage(store_, image->manifest);
  if (!stored.ok()) return Outcome::Internal(stored.status());
  const bool vm = r.runtime == "vm";
  auto outputs = rootfs::EnsureRootfs(store_, *stored, /*ext4=*/vm);
  if (!outputs.ok()) return Outcome::Internal(outputs.status());

  RunPlan plan;
  auto& c = plan.container;
  c.id = r.id;
  c.state_root = options_.root + "/containers";
  c.image_tree = outputs->tree;
  c.cache_dir = options_.root + "/cache";
  c.cgroup_root = options_.cgroup_root;
  c.cgroup_parent = options_.cgroup_parent;
  std::string hostname = spec.hostname.empty() ? r.id.substr(0, 12) : spec.hostname;
  auto process = runtime::ResolveProcess(spec, stored->config.defaults, hostname);
  if (!process.ok()) return Outcome(ErrorKind::kInvalid, process.status().message());
  c.process = *process;
  c.spec = spec;
  ResolveNamedVolumes(options_.root, &c.spec.volumes);
  plan.log_max_bytes = options_.log_max_bytes;
  plan.stdin_once = r.config.value("StdinOnce", false);
  if (vm) {
    plan.vm_image_disk = outputs->ext4;
    // Short: the VM's sockets live in it (a socket address holds 107 bytes).
    plan.vm_work_root = options_.root + "/vm/" + r.id.substr(0, 12);
  }
  if (Outcome o = ConnectNetwork(r, &plan); !o.ok()) return o;

  std::string dir = ContainerDir(r.id);
  std::filesystem::remove(dir + "/" + kExitFile);
  std::filesystem::remove(dir + "/" + kSupervisorPidFile);
  if (Status s = rootfs::WriteFileAtomically(dir + "/" + kRunPlanFile, RunPlanToJson(plan).dump());
      !s.ok()) {
    return Outcome::Internal(s);
  }
  // A clean slate (SpawnHelper): hulld blocks and ignores signals that the container
  // must not inherit; stdio is /dev/null and DIR/monitor.log, so the monitor holds none
  // of hulld's pipes.
  auto null = base::OpenFile("/dev/null", O_RDWR);
  if (!null.ok()) return Outcome::Internal(null.status());
  auto monitor_log = base::OpenFile(dir + "/monitor.log", O_WRONLY | O_CREAT | O_APPEND, 0640);
  if (!monitor_log.ok()) return Outcome::Internal(monitor_log.status());
  auto pid = SpawnHelper({options_.monitor_exe, "monitor", dir},
                         {{0, null->get()}, {1, null->get()}, {2, monitor_log->get()}});
  if (!pid.ok()) return Outcome::Internal(pid.status());
  r.monitor_pid = *pid;
  return Outcome();
}

Outcome Engine::Start(const std::string& ref) {
  std::unique_lock lock(mu_);
  std::string id = FindLocked(ref);
  if (id.empty()) return Outcome(ErrorKind::kNotFound, "No such container: " + ref);
  ContainerRecord& r = records_.at(id);
  if (r.state == ContainerState::kRunning) return Outcome(ErrorKind::kNotModified, "container already started");
  if (r.state == ContainerState::kRemoving) return Outcome(ErrorKind::kConflict, "container is being removed");
  if (Outcome o = SpawnMonitor(r); !o.ok()) {
    DisconnectNetwork(id);
    r.error = o.message();
    (void)SaveLocked(r);
    return o;
  }
  r.state = ContainerState::kRunning;
  r.error.clear();
  r.exit_code = 0;
  r.oom_killed = false;
  r.started_at = NowRfc3339Nano();
  r.finished_at = kZeroTime;
  if (Status s = SaveLocked(r); !s.ok()) {
    HULL_LOG(kError) << s.message();
  }
  Publish(r, "start");
  int monitor = r.monitor_pid;
  lock.unlock();
  Watch(id, monitor);

  // Learn the container's pid for State.Pid (the supervisor forks it within milliseconds).
  std::string pid_file = ContainerDir(id) + "/" + kSupervisorPidFile;
  for (int i = 0; i < 200; ++i) {
    auto text = base::ReadFileToString(pid_file, 64);
    int pid = text.ok() ? FirstChildOf(std::atoi(text->c_str())) : 0;
    if (pid > 0 || std::filesystem::exists(ContainerDir(id) + "/" + kExitFile)) {
      lock.lock();
      auto it = records_.find(id);
      if (it != records_.end() && it->second.state == ContainerState::kRunning && pid > 0) {
        it->second.pid = pid;
        (void)SaveLocked(it->second);
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  changed_.notify_all();
  return Outcome();
}

// Sends `sig` to the container's first process (PID 1 of its namespace); for runtime vm
// to the VM's supervisor, which forwards it to the guest (SIGKILL ends the VM).
Outcome Engine::SignalLocked(const ContainerRecord& r, int sig) const {
  auto text = base::ReadFileToString(ContainerDir(r.id) + "/" + kSupervisorPidFile, 64);
  int supervisor = text.ok() ? std::atoi(text->c_str()) : 0;
  int pid = supervisor > 0 && r.runtime != "vm" ? FirstChildOf(supervisor) : supervisor;
  if (pid <= 0) pid = r.pid;
  if (pid <= 0) return Outcome(ErrorKind::kConflict, "Container " + r.id + " is not running");
  if (::kill(pid, sig) != 0 && errno != ESRCH) return Outcome::Internal(Status::Errno("kill"));
  return Outcome();
}

Outcome Engine::Kill(const std::string& ref, const std::string& signal) {
  int sig = signal.empty() ? SIGKILL : ParseSignal(signal);
  if (sig == 0) return Outcome(ErrorKind::kInvalid, "Invalid signal: " + signal);
  std::lock_guard lock(mu_);
  std::string id = FindLocked(ref);
  if (id.empty()) return Outcome(ErrorKind::kNotFound, "No such container: " + ref);
  const ContainerRecord& r = records_.at(id);
  if (r.state != ContainerState::kRunning) {
    return Outcome(ErrorKind::kConflict, "Container " + id + " is not running");
  }
  Outcome o = SignalLocked(r, sig);
  if (o.ok()) Publish(r, "kill", {{"signal", std::to_string(sig)}});
  return o;
}

Outcome Engine::Stop(const std::string& ref, std::optional<int> timeout_s) {
  std::unique_lock lock(mu_);
  std::string id = FindLocked(ref);
  if (id.empty()) return Outcome(ErrorKind::kNotFound, "No such container: " + ref);
  ContainerRecord& r = records_.at(id);
  if (r.state != ContainerState::kRunning) return Outcome(ErrorKind::kNotModified, "container already stopped");
  int grace = timeout_s.value_or(r.config.value("StopTimeout", 10));
  std::string stop_signal = r.config.value("StopSignal", "");
  int sig = stop_signal.empty() ? SIGTERM : ParseSignal(stop_signal);
  if (SignalLocked(r, sig ? sig : SIGTERM).ok()) Publish(r, "kill", {{"signal", std::to_string(sig ? sig : SIGTERM)}});
  auto stopped = [&] {
    auto it = records_.find(id);
    return it == records_.end() || it->second.state != ContainerState::kRunning;
  };
  if (!changed_.wait_for(lock, std::chrono::seconds(std::max(0, grace)), stopped)) {
    if (SignalLocked(records_.at(id), SIGKILL).ok()) Publish(records_.at(id), "kill", {{"signal", "9"}});
    if (!changed_.wait_for(lock, std::chrono::seconds(30), stopped)) {
      return Outcome(ErrorKind::kInternal, "container " + id + " did not stop after SIGKILL");
    }
  }
  if (auto it = records_.find(id); it != records_.end()) Publish(it->second, "stop");
  return Outcome();
}

Outcome Engine::Restart(const std::string& ref, std::optional<int> timeout_s) {
  Outcome stopped = Stop(ref, timeout_s);
  if (!stopped.ok() && stopped.kind() != ErrorKind::kNotModified) return stopped;
  Outcome started = Start(ref);
  if (!started.ok()) return started;
  std::lock_guard lock(mu_);
  if (std::string id = FindLocked(ref); !id.empty()) Publish(records_.at(id), "restart");
  return started;
}

void Engine::Publish(const ContainerRecord& r, const std::string& action,
                     std::map<std::string, std::string> extra) {
  Event e{.type = "container", .action = action, .id = r.id, .attributes = std::move(extra)};
  e.attributes["name"] = r.name;
  e.attributes["image"] = r.image;
  if (const auto labels = r.config.find("Labels"); labels != r.config.end() && labels->is_object()) {
    for (const auto& [key, value] : labels->items()) {
      if (value.is_string() && !e.attributes.count(key)) e.attributes[key] = value.get<std::string>();
    }
  }
  events_.Publish(std::move(e));
}

Outcome Engine::Wait(const std::string& ref, WaitCondition condition, int* exit_code) {
  std::unique_lock lock(mu_);
  std::string id = FindLocked(ref);
  if (id.empty()) return Outcome(ErrorKind::kNotFound, "No such container: " + ref);
  uint64_t exits = exits_[id];
  int last_code = records_.at(id).exit_code;
  changed_.wait(lock, [&] {
    auto it = records_.find(id);
    if (it == records_.end()) {
      if (last_exit_code_.count(id)) last_code = last_exit_code_[id];
      return true;
    }
    last_code = it->second.exit_code;
    switch (condition) {
      case WaitCondition::kNotRunning: return it->second.state != ContainerState::kRunning;
      case WaitCondition::kNextExit: return exits_[id] > exits;
      case WaitCondition::kRemoved: return false;
    }
    return true;
  });
  *exit_code = last_code;
  return Outcome();
}

Outcome Engine::Remove(const std::string& ref, bool force) {
  std::unique_lock lock(mu_);
  std::string id = FindLocked(ref);
  if (id.empty()) return Outcome(ErrorKind::kNotFound, "No such container: " + ref);
  ContainerRecord& r = records_.at(id);
  if (r.state == ContainerState::kRunning) {
    if (!force) {
      return Outcome(ErrorKind::kConflict, "You cannot remove a running container " + id +
                                               ". Stop the container before attempting removal or force remove");
    }
    if (SignalLocked(r, SIGKILL).ok()) Publish(r, "kill", {{"signal", "9"}});
    r.host_config["AutoRemove"] = true;  // the reaper removes it once it has exited
    bool gone = changed_.wait_for(lock, std::chrono::seconds(30), [&] { return !records_.count(id); });
    return gone ? Outcome() : Outcome(ErrorKind::kInternal, "container " + id + " did not stop");
  }
  RemoveLocked(id);
  return Outcome();
}

}  // namespace hull::engine
