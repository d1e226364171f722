// Exec instances (Docker's POST /containers/{id}/exec, /exec/{id}/start|json|resize):
// one more process in a running container. Create records the request;
// Start builds a runtime::ns::ExecSpec from the container's run plan (its process's
// env, cwd and user, overridden by the exec's; its capabilities and seccomp profile, or
// everything with Privileged), spawns `hulld exec-process` (exec_process.h) with the
// process's stdio on pipes — or a terminal from the container's devpts with Tty — and
// returns hulld's ends of them; a waiter thread per exec records its exit status. For a
// micro-VM the helper gets a VM spec instead (exec_vm.h) and talks to the VM's exec
// socket; the rest is the same. The
// records live in memory only: Docker does not keep execs across a daemon restart
// either. Thread-safe: API threads call it concurrently; state_->mu guards the records
// (shared with the waiter threads, which may outlive a request).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "engine/outcome.h"

namespace hull::engine {

class Engine;

struct ExecRecord {
  std::string id;            // 64 hex digits
  std::string container_id;
  nlohmann::json config;     // Docker's ExecConfig as given (Cmd, Env, User, Tty, ...)
  bool started = false;
  bool running = false;
  std::optional<int> exit_code;  // once it has ended
  int pid = 0;               // the process as the host sees it, while it runs
};

// hulld's ends of a started exec's stdio. With a terminal, `output` is the master and
// `input` a second descriptor of it; otherwise pipes (`input` only with AttachStdin).
struct ExecStreams {
  base::UniqueFd input, output, errors;
  bool tty = false;
  std::string error;  // why the process could not be started (its status is recorded)
};

class ExecStore {
 public:
  explicit ExecStore(Engine& engine);

  Outcome Create(const std::string& container_ref, const nlohmann::json& config, std::string* id);
  // detach: the process gets /dev/null for stdio and `streams` stays empty.
  Outcome Start(const std::string& exec_id, bool detach, ExecStreams* streams);
  Outcome Get(const std::string& exec_id, ExecRecord* record) const;
  Outcome Resize(const std::string& exec_id, int height, int width);
  // Blocks until the exec has ended (its status is recorded), at most `timeout_ms`.
  bool WaitEnded(const std::string& exec_id, int timeout_ms) const;

 private:
  struct State {
    std::mutex mu;
    std::condition_variable ended;
    std::map<std::string, ExecRecord> records;                     // guarded by mu
    std::map<std::string, std::shared_ptr<base::UniqueFd>> masters;  // tty masters; mu
  };
  Outcome Spawn(const ExecRecord& record, bool detach, ExecStreams* streams, pid_t* helper, int* pid);

  Engine& engine_;
  std::shared_ptr<State> state_;
};

// Docker's ExecInspect JSON for a record.
nlohmann::json ExecInspectJson(const ExecRecord& record);

}  // namespace hull::engine
