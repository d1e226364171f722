#include "engine/container_record.h"

#include <time.h>

#include <cstdio>

#include "runtime/namespace/container.h"

namespace hull::engine {

using base::Result;
using base::Status;
using nlohmann::json;

const char* StateName(ContainerState state) {
  switch (state) {
    case ContainerState::kCreated: return "created";
    case ContainerState::kRunning: return "running";
    case ContainerState::kExited: return "exited";
    case ContainerState::kRemoving: return "removing";
    case ContainerState::kDead: return "dead";
  }
  return "dead";
}

namespace {

ContainerState StateFromName(const std::string& name) {
  for (auto s : {ContainerState::kCreated, ContainerState::kRunning, ContainerState::kExited,
                 ContainerState::kRemoving}) {
    if (name == StateName(s)) return s;
  }
  return ContainerState::kDead;
}

}  // namespace

json RecordToJson(const ContainerRecord& r) {
  return json{{"Id", r.id}, {"Name", r.name}, {"Image", r.image}, {"ImageID", r.image_id},
              {"Runtime", r.runtime}, {"Config", r.config}, {"HostConfig", r.host_config},
              {"State", StateName(r.state)}, {"MonitorPid", r.monitor_pid}, {"Pid", r.pid},
              {"ExitCode", r.exit_code}, {"Error", r.error}, {"Created", r.created},
              {"StartedAt", r.started_at}, {"FinishedAt", r.finished_at},
              {"LogPath", r.log_path}, {"OOMKilled", r.oom_killed}};
}

Result<ContainerRecord> RecordFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    ContainerRecord r;
    r.id = j.at("Id").get<std::string>();
    r.name = j.at("Name").get<std::string>();
    r.image = j.at("Image").get<std::string>();
    r.image_id = j.value("ImageID", "");
    r.runtime = j.value("Runtime", "ns");
    r.config = j.value("Config", json::object());
    r.host_config = j.value("HostConfig", json::object());
    r.state = StateFromName(j.value("State", "dead"));
    r.monitor_pid = j.value("MonitorPid", 0);
    r.pid = j.value("Pid", 0);
    r.exit_code = j.value("ExitCode", 0);
    r.error = j.value("Error", "");
    r.created = j.value("Created", kZeroTime);
    r.started_at = j.value("StartedAt", kZeroTime);
    r.finished_at = j.value("FinishedAt", kZeroTime);
    r.log_path = j.value("LogPath", "");
    r.oom_killed = j.value("OOMKilled", false);
    if (r.id.size() != 64) return Status::Error("container record: bad Id");
    return r;
  } catch (const json::exception& e) {
    return Status::Error(std::string("container record: ") + e.what());
  }
}

std::string NowRfc3339Nano() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec);
  return buf;
}

std::string NewId() { return runtime::ns::NewContainerId(); }

bool ValidName(const std::string& name) {
  if (name.size() < 2 || name.size() > 128) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace hull::engine
