// Containers: create, start, stop, restart, kill, wait, list, inspect, remove; logs and
// attach are in stream_routes.cc.
#include <nlohmann/json.hpp>

#include "api/list_filters.h"
#include "api/routes.h"
#include "api/stream_routes.h"
#include "engine/volumes.h"

namespace hull::api {

using engine::ContainerRecord;
using engine::ContainerState;
using nlohmann::json;

namespace {

std::string Ago(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  if (seconds < 3600) return std::to_string(seconds / 60) + " minutes";
  if (seconds < 86400) return std::to_string(seconds / 3600) + " hours";
  return std::to_string(seconds / 86400) + " days";
}

std::string StatusText(const ContainerRecord& r) {
  int64_t now = ::time(nullptr);
  switch (r.state) {
    case ContainerState::kCreated: return "Created";
    case ContainerState::kRunning: return "Up " + Ago(now - EpochOf(r.started_at));
    case ContainerState::kExited:
      return "Exited (" + std::to_string(r.exit_code) + ") " + Ago(now - EpochOf(r.finished_at)) + " ago";
    case ContainerState::kRemoving: return "Removal In Progress";
    case ContainerState::kDead: return "Dead";
  }
  return "";
}

std::vector<std::string> Command(const ContainerRecord& r) {
  std::vector<std::string> argv;
  for (const char* key : {"Entrypoint", "Cmd"}) {
    const json& v = r.config.contains(key) ? r.config[key] : json();
    if (v.is_string()) argv.push_back(v.get<std::string>());
    if (v.is_array()) {
      for (const auto& a : v) {
        if (a.is_string()) argv.push_back(a.get<std::string>());
      }
    }
  }
  return argv;
}

json SummaryJson(const ContainerRecord& r) {
  std::string command;
  for (const auto& a : Command(r)) command += (command.empty() ? "" : " ") + a;
  return json{{"Id", r.id}, {"Names", json::array({"/" + r.name})}, {"Image", r.image},
              {"ImageID", r.image_id}, {"Command", command}, {"Created", EpochOf(r.created)},
              {"Ports", json::array()}, {"Labels", r.config.value("Labels", json::object())},
              {"State", engine::StateName(r.state)}, {"Status", StatusText(r)},
              {"HostConfig", {{"NetworkMode", r.host_config.value("NetworkMode", "default")}}},
              {"NetworkSettings", {{"Networks", json::object()}}}, {"Mounts", json::array()}};
}

json InspectJson(const ContainerRecord& r) {
  auto argv = Command(r);
  json args = json::array();
  for (size_t i = 1; i < argv.size(); ++i) args.push_back(argv[i]);
  bool running = r.state == ContainerState::kRunning;
  json state{{"Status", engine::StateName(r.state)}, {"Running", running}, {"Paused", false},
             {"Restarting", false}, {"OOMKilled", r.oom_killed}, {"Dead", r.state == ContainerState::kDead},
             {"Pid", running ? r.pid : 0}, {"ExitCode", r.exit_code}, {"Error", r.error},
             {"StartedAt", r.started_at}, {"FinishedAt", r.finished_at}};
  json config = r.config;
  config["Image"] = r.image;
  json host = r.host_config;
  if (!host.contains("LogConfig") || !host["LogConfig"].is_object() ||
      host["LogConfig"].value("Type", "").empty()) {
    host["LogConfig"] = {{"Type", "json-file"}, {"Config", json::object()}};
  }
  for (const char* key : {"Tty", "OpenStdin", "AttachStdin", "AttachStdout", "AttachStderr"}) {
    if (!config.contains(key)) config[key] = false;
  }
  return json{{"Id", r.id}, {"Created", r.created}, {"Path", argv.empty() ? "" : argv[0]},
              {"Args", args}, {"State", state}, {"Image", r.image_id}, {"Name", "/" + r.name},
              {"RestartCount", 0}, {"Driver", "overlay"}, {"Platform", "linux"},
              {"LogPath", r.log_path}, {"HostConfig", host}, {"Config", config},
              {"Mounts", json::array()},
              {"NetworkSettings", {{"Networks", json::object()}, {"Ports", json::object()}}},
              {"HullRuntime", r.runtime}};
}

void CreateContainer(ApiContext& ctx, const HttpRequest& req, ResponseWriter& w) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return SendError(w, 400, "invalid JSON in the request body");
  }
  engine::CreateRequest create;
  create.name = req.Query("name");
  create.host_config = body.contains("HostConfig") ? body["HostConfig"] : json::object();
  body.erase("HostConfig");
  body.erase("NetworkingConfig");
  create.config = body;
  std::string id;
  engine::Outcome o = ctx.engine.Create(create, &id);
  if (!o.ok()) return SendOutcome(w, o);
  SendJson(w, 201, json{{"Id", id}, {"Warnings", json::array()}}.dump());
}

std::optional<int> Timeout(const HttpRequest& req) {
  std::string t = req.Query("t", req.Query("timeout"));
  if (t.empty()) return std::nullopt;
  try {
    return std::stoi(t);
  } catch (...) {
    return std::nullopt;
  }
}

void Wait(ApiContext& ctx, const HttpRequest& req, const std::string& id, ResponseWriter& w) {
  std::string condition = req.Query("condition", "not-running");
  engine::WaitCondition c = engine::WaitCondition::kNotRunning;
  if (condition == "next-exit") c = engine::WaitCondition::kNextExit;
  else if (condition == "removed") c = engine::WaitCondition::kRemoved;
  else if (condition != "not-running") return SendError(w, 400, "invalid condition: " + condition);
  ContainerRecord r;
  if (engine::Outcome o = ctx.engine.Get(id, &r); !o.ok()) return SendOutcome(w, o);
  // Headers first: Docker's clients start the container once the wait is in place.
  if (!w.StartStream(200, "application/json")) return;
  int code = 0;
  engine::Outcome o = ctx.engine.Wait(r.id, c, &code);
  json out{{"StatusCode", code}, {"Error", nullptr}};
  if (!o.ok()) out["Error"] = {{"Message", o.message()}};
  w.Write(out.dump() + "\n");
  w.End();
}

bool ContainerAction(ApiContext& ctx, const HttpRequest& req, const std::string& id,
                     const std::string& action, ResponseWriter& w) {
  auto& e = ctx.engine;
  bool post = req.method == "POST", get = req.method == "GET";
  if (post && action == "start") {
    SendOutcome(w, e.Start(id));
  } else if (post && action == "stop") {
    SendOutcome(w, e.Stop(id, Timeout(req)));
  } else if (post && action == "restart") {
    SendOutcome(w, e.Restart(id, Timeout(req)));
  } else if (post && action == "kill") {
    SendOutcome(w, e.Kill(id, req.Query("signal", "KILL")));
  } else if (post && action == "wait") {
    Wait(ctx, req, id, w);
  } else if (get && action == "json") {
    ContainerRecord r;
    engine::Outcome o = e.Get(id, &r);
    if (!o.ok()) return SendOutcome(w, o), true;
    json inspect = InspectJson(r);
    inspect["NetworkSettings"] = ctx.engine.NetworkSettings(r);
    if (auto volumes = engine::ParseVolumes(r.host_config); volumes.ok()) {
      inspect["Mounts"] = engine::MountsToDocker(*volumes, ctx.engine.options().root);
    }
    SendJson(w, 200, inspect.dump());
  } else if (get && action == "logs") {
    ServeLogs(ctx, req, id, w);
  } else if (post && action == "attach") {
    ServeAttach(ctx, req, id, w);
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool RouteContainers(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w) {
  const std::string prefix = "/containers/";
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  std::string rest = path.substr(prefix.size());
  if (rest == "json" && req.method == "GET") {
    int error_status = 400;
    auto list = ListContainers(ctx, req.QueryBool("all"), req.Query("filters"), &error_status);
    if (!list.ok()) return SendError(w, error_status, list.status().message()), true;
    json out = json::array();
    for (const auto& r : *list) out.push_back(SummaryJson(r));
    SendJson(w, 200, out.dump());
    return true;
  }
  if (rest == "create" && req.method == "POST") {
    CreateContainer(ctx, req, w);
    return true;
  }
  size_t slash = rest.find('/');
  std::string id = rest.substr(0, slash);
  if (id.empty()) return false;
  if (slash == std::string::npos) {
    if (req.method != "DELETE") return false;
    SendOutcome(w, ctx.engine.Remove(id, req.QueryBool("force")));
    return true;
  }
  std::string action = rest.substr(slash + 1);
  if (action.find('/') != std::string::npos) return false;
  return ContainerAction(ctx, req, id, action, w);
}

}  // namespace hull::api
