// ContainerRecord: what hulld knows about one container (Docker's ContainerJSON subset),
// persisted as ROOT/engine/containers/<id>/container.json. The create request's Config
// and HostConfig are kept as given (JSON) so inspect can answer with them; the fields
// hulld acts on are parsed out. Plain data and (de)serialization; no system calls.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace hull::engine {

enum class ContainerState { kCreated, kRunning, kExited, kRemoving, kDead };

// Docker's State.Status words: "created", "running", "exited", "removing", "dead".
const char* StateName(ContainerState state);

struct ContainerRecord {
  std::string id;          // 64 hex digits
  std::string name;        // without the leading "/"
  std::string image;       // as the request named it
  std::string image_id;    // "sha256:<config hex>"
  std::string runtime = "ns";  // "ns" | "vm"
  nlohmann::json config = nlohmann::json::object();       // Docker's Config
  nlohmann::json host_config = nlohmann::json::object();  // Docker's HostConfig
  ContainerState state = ContainerState::kCreated;
  int monitor_pid = 0;     // hulld's monitor process for this run (engine/monitor.h)
  int pid = 0;             // the container's first process, as the host sees it
  int exit_code = 0;
  std::string error;       // why the last start or run failed, if it did
  std::string created;     // RFC 3339 timestamps, Docker's zero time when unset
  std::string started_at;
  std::string finished_at;
  std::string log_path;
  bool oom_killed = false;
};

nlohmann::json RecordToJson(const ContainerRecord& record);
base::Result<ContainerRecord> RecordFromJson(const std::string& text);

// Docker's zero time, shown for StartedAt/FinishedAt before they happen.
inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

// Now as RFC 3339 with nanoseconds, UTC ("2026-11-29T17:10:13.123456789Z").
std::string NowRfc3339Nano();

// A fresh random container ID (64 hex digits).
std::string NewId();

// Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so no "/" or "..").
bool ValidName(const std::string& name);

}  // namespace hull::engine
