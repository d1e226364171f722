// The container engine hulld serves: the container store under ROOT/engine/containers
// (one directory per container: container.json written atomically, the monitor's files
// — monitor.h) and the lifecycle create → start → stop/kill → wait → remove. On Open it
// finds the containers of an earlier hulld again: running ones whose monitor still
// lives are watched again; those whose monitor recorded an exit are marked exited with
// that status; those whose monitor died without one are marked exited with 255.
// Thread-safe: hulld's API threads call it concurrently; one reaper thread (owned here)
// watches monitor processes through pidfds. mu_ guards records_.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/event_fd.h"
#include "engine/container_record.h"
#include "engine/events.h"
#include "engine/network/network.h"
#include "engine/outcome.h"
#include "rootfs-builder/content_store.h"

namespace hull::engine {

struct EngineOptions {
  std::string root = "/var/lib/hull";   // the image store's root; containers in ROOT/engine
  std::string monitor_exe;              // runs `EXE monitor DIR` (hulld itself)
  std::string default_runtime = "ns";
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string cgroup_parent = "hull";
  int64_t log_max_bytes = 10 << 20;
  // The bridge network (engine/network); absent: "default"/"bridge" mean loopback only.
  std::optional<network::NetworkOptions> network;
};

struct CreateRequest {
  std::string name;  // "" → a generated one
  nlohmann::json config;       // Docker's ContainerConfig (Image, Cmd, Env, ...)
  nlohmann::json host_config;  // Docker's HostConfig
};

struct RunPlan;  // monitor.h

enum class WaitCondition { kNotRunning, kNextExit, kRemoved };

class Engine {
 public:
  static base::Result<std::unique_ptr<Engine>> Open(EngineOptions options);
  ~Engine();  // stops the reaper; containers keep running (their monitors outlive us)

  const rootfs::ContentStore& store() const { return store_; }
  const EngineOptions& options() const { return options_; }

  Outcome Create(const CreateRequest& request, std::string* id);
  Outcome Start(const std::string& ref);
  Outcome Stop(const std::string& ref, std::optional<int> timeout_s);
  Outcome Kill(const std::string& ref, const std::string& signal);
  // Stop (if running), then Start; Docker's "restart" event after them.
  Outcome Restart(const std::string& ref, std::optional<int> timeout_s);
  // Blocks until the condition holds; *exit_code is the container's status.
  Outcome Wait(const std::string& ref, WaitCondition condition, int* exit_code);
  Outcome Remove(const std::string& ref, bool force);

  // By full ID, unique ID prefix, or name (with or without "/").
  Outcome Get(const std::string& ref, ContainerRecord* record) const;
  std::vector<ContainerRecord> List(bool all) const;
  // Whether any container was created from the image with this config ID.
  bool ImageInUse(const std::string& image_id) const;
  // Wakes everyone waiting for a change (log followers poll this with a timeout).
  bool WaitForChange(const std::string& id, int timeout_ms) const;

  std::string ContainerDir(const std::string& id) const;

  // What happened to containers (published here) and images (by the API's image routes).
  EventLog& events() { return events_; }
  const EventLog& events() const { return events_; }

  // Docker's NetworkSettings for inspect: the container's address, gateway and
  // published ports on the bridge while it has them (engine_network.cc).
  nlohmann::json NetworkSettings(const ContainerRecord& record) const;

 private:
  Engine(EngineOptions options, rootfs::ContentStore store)
      : options_(std::move(options)), store_(std::move(store)) {}
  void Recover();
  std::string FindLocked(const std::string& ref) const;  // id or ""
  base::Status SaveLocked(const ContainerRecord& record) const;
  Outcome SpawnMonitor(ContainerRecord& record);
  void Watch(const std::string& id, int monitor_pid);
  void ReaperLoop();
  void OnMonitorExit(const std::string& id);
  Outcome SignalLocked(const ContainerRecord& record, int sig) const;
  void RemoveLocked(const std::string& id);
  // A container event with the record's name, image and labels (and `extra`).
  void Publish(const ContainerRecord& record, const std::string& action,
               std::map<std::string, std::string> extra = {});
  // engine_network.cc: the container's endpoint on the bridge for its run plan (nothing
  // unless it is a namespace container on the bridge), and its release.
  Outcome ConnectNetwork(const ContainerRecord& record, RunPlan* plan);
  void DisconnectNetwork(const std::string& id);
  base::Status ReconcileNetworkLocked();

  EngineOptions options_;
  rootfs::ContentStore store_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, ContainerRecord> records_;  // guarded by mu_
  std::map<std::string, uint64_t> exits_;           // exit count per id, guarded by mu_
  std::map<std::string, int> last_exit_code_;       // kept after removal, for Wait; mu_
  std::map<std::string, base::UniqueFd> watched_;   // id → monitor pidfd, guarded by mu_
  base::EventFd wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread reaper_;
  std::unique_ptr<network::Network> network_;  // null without a bridge; thread-safe itself
  EventLog events_;                            // thread-safe itself
};

// "KILL", "SIGKILL", "9" → 9; 0 for anything else.
int ParseSignal(const std::string& text);

}  // namespace hull::engine
