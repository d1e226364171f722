// hulld's per-container verbs, as the docker CLI does them: start [-a] [-i], stop
// [-t], restart [-t], kill [-s], rm [-f], wait. Each takes one or more containers (ID,
// unique ID prefix or name), prints the name given for each one done, and reports the
// rest with hulld's message; exit status 1 if any failed.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <variant>

#include <nlohmann/json.hpp>

#include "cli/daemon.h"
#include "cli/daemon_run.h"

namespace hull::cli {

namespace {

struct Parsed {
  std::vector<std::string> containers;
  CommonOptions common;
  po::variables_map vm;
};

// Parses OPTIONS CONTAINER...; the exit status instead after --help or misuse.
std::variant<Parsed, int> Parse(const std::vector<std::string>& args, const char* usage,
                                po::options_description& options) {
  Parsed p;
  options.add_options()("container", po::value(&p.containers)->required()->composing(), "container(s)");
  po::positional_options_description positional;
  positional.add("container", -1);
  if (auto exit = ParseCommandLine(args, usage, options, positional, p.vm, p.common)) return *exit;
  return p;
}

// Sends `method target(container)` for each container; `ok` statuses print the name.
int ForEach(const Daemon& d, const std::vector<std::string>& containers, const std::string& method,
            const std::function<std::string(const std::string&)>& target, std::initializer_list<int> ok) {
  int exit = 0;
  for (const auto& c : containers) {
    auto r = Call(d, method, target(c));
    if (!r.ok()) return ClientError(r.status());
    if (std::find(ok.begin(), ok.end(), r->status) == ok.end()) {
      exit = DaemonError(*r);
      continue;
    }
    std::printf("%s\n", c.c_str());
  }
  return exit;
}

std::string Path(const std::string& container) { return "/containers/" + UrlEncode(container); }

}  // namespace

int RunStart(const std::vector<std::string>& args) {
  po::options_description options("Options");
  bool attach = false, interactive = false;
  options.add_options()
      ("attach,a", po::bool_switch(&attach), "attach stdout/stderr and exit with the container's status")
      ("interactive,i", po::bool_switch(&interactive), "attach stdin too");
  auto parsed = Parse(args, "hull start [OPTIONS] CONTAINER [CONTAINER...]", options);
  if (auto* exit = std::get_if<int>(&parsed)) return *exit;
  auto& p = std::get<Parsed>(parsed);
  auto d = RequireDaemon(p.common, "start");
  if (!d) return kExitFailure;
  if (!attach && !interactive) {
    return ForEach(*d, p.containers, "POST", [](const std::string& c) { return Path(c) + "/start"; }, {204, 304});
  }
  if (p.containers.size() != 1) {
    std::fprintf(stderr, "hull: you cannot start and attach multiple containers at once\n");
    return kExitFailure;
  }
  auto inspect = InspectContainer(*d, p.containers[0]);
  if (!inspect) return kExitFailure;
  nlohmann::json& j = *inspect;
  AttachOptions a;
  a.tty = j["Config"].value("Tty", false);
  a.send_stdin = interactive && j["Config"].value("OpenStdin", false);
  a.auto_remove = j["HostConfig"].value("AutoRemove", false);
  return AttachStartWait(*d, j.value("Id", p.containers[0]), a, kExitFailure);
}

namespace {

// stop and restart: the same flag, the same loop.
int StopOrRestart(const std::vector<std::string>& args, const std::string& verb, std::initializer_list<int> ok) {
  po::options_description options("Options");
  int seconds = -1;
  options.add_options()("time,t", po::value(&seconds), "seconds to wait before killing it (its StopTimeout, 10)");
  std::string usage = "hull " + verb + " [OPTIONS] CONTAINER [CONTAINER...]";
  auto parsed = Parse(args, usage.c_str(), options);
  if (auto* exit = std::get_if<int>(&parsed)) return *exit;
  auto& p = std::get<Parsed>(parsed);
  auto d = RequireDaemon(p.common, verb);
  if (!d) return kExitFailure;
  std::string t = seconds >= 0 ? "?t=" + std::to_string(seconds) : "";
  return ForEach(*d, p.containers, "POST", [&](const std::string& c) { return Path(c) + "/" + verb + t; }, ok);
}

}  // namespace

int RunStop(const std::vector<std::string>& args) { return StopOrRestart(args, "stop", {204, 304}); }

int RunRestart(const std::vector<std::string>& args) { return StopOrRestart(args, "restart", {204}); }

int RunKill(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string signal = "KILL";
  options.add_options()("signal,s", po::value(&signal), "signal name or number (KILL)");
  auto parsed = Parse(args, "hull kill [OPTIONS] CONTAINER [CONTAINER...]", options);
  if (auto* exit = std::get_if<int>(&parsed)) return *exit;
  auto& p = std::get<Parsed>(parsed);
  auto d = RequireDaemon(p.common, "kill");
  if (!d) return kExitFailure;
  return ForEach(*d, p.containers, "POST",
                 [&](const std::string& c) { return Path(c) + "/kill?signal=" + UrlEncode(signal); }, {204});
}

int RunRm(const std::vector<std::string>& args) {
  po::options_description options("Options");
  bool force = false, volumes = false;
  options.add_options()
      ("force,f", po::bool_switch(&force), "kill a running container first")
      ("volumes,v", po::bool_switch(&volumes), "accepted for Docker's sake (hull has no anonymous volumes)");
  auto parsed = Parse(args, "hull rm [OPTIONS] CONTAINER [CONTAINER...]", options);
  if (auto* exit = std::get_if<int>(&parsed)) return *exit;
  auto& p = std::get<Parsed>(parsed);
  auto d = RequireDaemon(p.common, "rm");
  if (!d) return kExitFailure;
  std::string q = force ? "?force=1" : "";
  return ForEach(*d, p.containers, "DELETE", [&](const std::string& c) { return Path(c) + q; }, {204});
}

int RunWait(const std::vector<std::string>& args) {
  po::options_description options("Options");
  auto parsed = Parse(args, "hull wait CONTAINER [CONTAINER...]", options);
  if (auto* exit = std::get_if<int>(&parsed)) return *exit;
  auto& p = std::get<Parsed>(parsed);
  auto d = RequireDaemon(p.common, "wait");
  if (!d) return kExitFailure;
  int exit = 0;
  for (const auto& c : p.containers) {
    auto r = Call(*d, "POST", Path(c) + "/wait");
    if (!r.ok()) return ClientError(r.status());
    auto j = ParseJson(r->body);
    if (r->status != 200 || !j.is_object() || !j.contains("StatusCode")) {
      exit = DaemonError(*r);
      continue;
    }
    std::printf("%d\n", j["StatusCode"].get<int>());
  }
  return exit;
}

}  // namespace hull::cli
