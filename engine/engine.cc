#include "engine/engine.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "base/logging.h"
#include "engine/monitor.h"
#include "engine/proc_file.h"

namespace hull::engine {

using base::Result;
using base::Status;
using base::UniqueFd;

namespace {

UniqueFd PidFdOpen(int pid) {
  if (pid <= 0) return UniqueFd();
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}


}  // namespace

int ParseSignal(const std::string& text) {
  static const std::map<std::string, int> kNames = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"CONT", SIGCONT},
      {"STOP", SIGSTOP}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH}};
  std::string name = text;
  for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  if (auto it = kNames.find(name); it != kNames.end()) return it->second;
  if (!name.empty() && name.size() < 3 && name.find_first_not_of("0123456789") == std::string::npos) {
    int n = std::stoi(name);
    return n > 0 && n < 65 ? n : 0;
  }
  return 0;
}

Result<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  ASSIGN_OR_RETURN(rootfs::ContentStore store, rootfs::ContentStore::Open(options.root));
  std::error_code ec;
  std::filesystem::create_directories(options.root + "/engine/containers", ec);
  if (ec) return Status::Error("creating " + options.root + "/engine/containers: " + ec.message());
  std::unique_ptr<Engine> engine(new Engine(std::move(options), std::move(store)));
  ASSIGN_OR_RETURN(engine->wake_, base::EventFd::Create(EFD_NONBLOCK));
  if (engine->options_.network) {
    ASSIGN_OR_RETURN(engine->network_, network::Network::Open(*engine->options_.network));
  }
  engine->Recover();
  {
    std::lock_guard lock(engine->mu_);
    RETURN_IF_ERROR(engine->ReconcileNetworkLocked());
  }
  engine->reaper_ = std::thread([e = engine.get()] { e->ReaperLoop(); });
  return engine;
}

Engine::~Engine() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  (void)wake_.Signal();
  if (reaper_.joinable()) reaper_.join();
}

std::string Engine::ContainerDir(const std::string& id) const {
  return options_.root + "/engine/containers/" + id;
}

Status Engine::SaveLocked(const ContainerRecord& record) const {
  return rootfs::WriteFileAtomically(ContainerDir(record.id) + "/container.json",
                                     RecordToJson(record).dump(2));
}

// Reads back every container.json; settles the state of those that were running.
void Engine::Recover() {
  std::string dir = options_.root + "/engine/containers";
  std::error_code ec;
  std::vector<std::string> settle;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string id = entry.path().filename();
    auto text = base::ReadFileToString(entry.path().string() + "/container.json");
    auto record = text.ok() ? RecordFromJson(*text) : Result<ContainerRecord>(text.status());
    if (!record.ok() || record->id != id) {
      HULL_LOG(kWarning) << "ignoring " << entry.path().string() << ": "
                         << (record.ok() ? "Id does not match" : record.status().message());
      continue;
    }
    std::lock_guard lock(mu_);
    records_[id] = *record;
    if (record->state == ContainerState::kRunning || record->state == ContainerState::kRemoving) {
      if (ProcessMentions(record->monitor_pid, id) && !std::filesystem::exists(ContainerDir(id) + "/" + kExitFile)) {
        watched_[id] = PidFdOpen(record->monitor_pid);
        HULL_LOG(kInfo) << "container " << id.substr(0, 12) << " still running (monitor "
                        << record->monitor_pid << ")";
        continue;
      }
      settle.push_back(id);  // monitor gone: its exit file says how it ended, if written
    }
  }
  for (const auto& id : settle) OnMonitorExit(id);
}

std::string Engine::FindLocked(const std::string& ref) const {
  std::string name = !ref.empty() && ref[0] == '/' ? ref.substr(1) : ref;
  if (records_.count(ref)) return ref;
  for (const auto& [id, r] : records_) {
    if (r.name == name) return id;
  }
  std::string found;
  if (ref.empty()) return found;
  for (const auto& [id, r] : records_) {
    if (id.compare(0, ref.size(), ref) == 0) {
      if (!found.empty()) return "";  // ambiguous
      found = id;
    }
  }
  return found;
}

Outcome Engine::Get(const std::string& ref, ContainerRecord* record) const {
  std::lock_guard lock(mu_);
  std::string id = FindLocked(ref);
  if (id.empty()) return Outcome(ErrorKind::kNotFound, "No such container: " + ref);
  *record = records_.at(id);
  return Outcome();
}

std::vector<ContainerRecord> Engine::List(bool all) const {
  std::lock_guard lock(mu_);
  std::vector<ContainerRecord> out;
  for (const auto& [id, r] : records_) {
    if (all || r.state == ContainerState::kRunning) out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created > b.created; });
  return out;
}

bool Engine::ImageInUse(const std::string& image_id) const {
  std::lock_guard lock(mu_);
  for (const auto& [id, r] : records_) {
    if (r.image_id == image_id) return true;
  }
  return false;
}

bool Engine::WaitForChange(const std::string& id, int timeout_ms) const {
  std::unique_lock lock(mu_);
  auto it = records_.find(id);
  auto state = it == records_.end() ? ContainerState::kDead : it->second.state;
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    auto now = records_.find(id);
    return now == records_.end() || now->second.state != state;
  });
}

void Engine::Watch(const std::string& id, int monitor_pid) {
  {
    std::lock_guard lock(mu_);
    watched_[id] = PidFdOpen(monitor_pid);
  }
  (void)wake_.Signal();
}

void Engine::ReaperLoop() {
  for (;;) {
    std::vector<pollfd> fds{{wake_.fd(), POLLIN, 0}};
    std::vector<std::string> ids{""};
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      for (const auto& [id, fd] : watched_) {
        fds.push_back({fd.get(), POLLIN, 0});
        ids.push_back(id);
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      HULL_LOG(kError) << "reaper: poll: " << std::strerror(errno);
      return;
    }
    if (fds[0].revents) (void)wake_.Consume();
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents) OnMonitorExit(ids[i]);
    }
  }
}

// The monitor of `id` has exited (or was found gone at start-up): records the exit.
void Engine::OnMonitorExit(const std::string& id) {
  std::unique_lock lock(mu_);
  watched_.erase(id);
  auto it = records_.find(id);
  if (it == records_.end()) return;
  ContainerRecord& r = it->second;
  if (r.monitor_pid > 0) ::waitpid(r.monitor_pid, nullptr, WNOHANG);  // if it is our child
  std::string dir = ContainerDir(id);
  auto text = base::ReadFileToString(dir + "/" + kExitFile);
  nlohmann::json exit;
  if (text.ok()) exit = nlohmann::json::parse(*text, nullptr, false);
  if (exit.is_object()) {
    r.exit_code = exit.value("ExitCode", 255);
    r.oom_killed = exit.value("OOMKilled", false);
    r.finished_at = exit.value("FinishedAt", NowRfc3339Nano());
  } else {
    // The monitor died without recording the exit: the supervisor loses its output pipes
    // and its container (PDEATHSIG); make sure, then report the status as unknown.
    auto pid = base::ReadFileToString(dir + "/" + kSupervisorPidFile);
    int spid = pid.ok() ? std::atoi(pid->c_str()) : 0;
    if (spid > 0 && ProcessMentions(spid, id)) ::kill(spid, SIGKILL);
    r.exit_code = 255;
    r.error = "the container's monitor process died; its exit status is unknown";
    r.finished_at = NowRfc3339Nano();
  }
  r.state = ContainerState::kExited;
  r.pid = 0;
  r.monitor_pid = 0;
  DisconnectNetwork(id);
  ++exits_[id];
  last_exit_code_[id] = r.exit_code;
  if (Status s = SaveLocked(r); !s.ok()) {
    HULL_LOG(kError) << s.message();
  }
  HULL_LOG(kInfo) << "container " << id.substr(0, 12) << " exited with " << r.exit_code;
  if (r.oom_killed) Publish(r, "oom");
  Publish(r, "die", {{"exitCode", std::to_string(r.exit_code)}});
  if (r.host_config.value("AutoRemove", false)) RemoveLocked(id);
  changed_.notify_all();
}

void Engine::RemoveLocked(const std::string& id) {
  if (auto it = records_.find(id); it != records_.end()) Publish(it->second, "destroy");
  DisconnectNetwork(id);
  std::error_code ec;
  std::filesystem::remove_all(ContainerDir(id), ec);
  if (ec) {
    HULL_LOG(kWarning) << "removing " << ContainerDir(id) << ": " << ec.message();
  }
  records_.erase(id);
  exits_.erase(id);
  changed_.notify_all();
}

}  // namespace hull::engine
