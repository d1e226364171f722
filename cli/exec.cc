// `hull exec [-d] [-i] [-t] [-e K=V] [--env-file F] [-w DIR] [-u USER] [--privileged]
// CONTAINER COMMAND [ARG...]`: a further process in a running container, through
// hulld's exec endpoints as Docker defines them (POST /containers/{id}/exec, POST
// /exec/{id}/start hijacked, GET /exec/{id}/json for the exit code).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/detach_keys.h"
#include "cli/attach_stream.h"
#include "cli/container_flags.h"
#include "cli/daemon.h"

namespace hull::cli {

namespace {

using nlohmann::json;

bool TakesValue(const std::string& arg) {
  static const std::set<std::string> kWithValue = {"-e", "--env", "--env-file", "-w", "--workdir",
                                                   "-u", "--user", "--root", "--detach-keys"};
  return kWithValue.count(arg) > 0;
}

// The exec's exit code once it has ended (its stream may close a moment before).
int ExitCode(const Daemon& d, const std::string& exec_id) {
  for (int i = 0; i < 100; ++i) {
    auto r = Call(d, "GET", "/exec/" + exec_id + "/json");
    if (!r.ok()) return ClientError(r.status());
    if (r->status != 200) return DaemonError(*r);
    json j = ParseJson(r->body);
    if (j.is_object() && !j.value("Running", false) && j["ExitCode"].is_number()) return j["ExitCode"].get<int>();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "hull: hulld still reports exec %s as running\n", exec_id.c_str());
  return kExitFailure;
}

}  // namespace

int RunExec(const std::vector<std::string>& args) {
  // Options, then CONTAINER, then the command.
  std::vector<std::string> ours, command;
  SplitAtOperand(args, &TakesValue, &ours, &command);
  po::options_description options("Options");
  std::string container, workdir, user, detach_keys;
  std::vector<std::string> env, env_files;
  bool detach = false, interactive = false, tty = false, privileged = false;
  options.add_options()
      ("detach,d", po::bool_switch(&detach), "run it in the background")
      ("interactive,i", po::bool_switch(&interactive), "keep stdin open")
      ("tty,t", po::bool_switch(&tty), "allocate a pseudo-terminal")
      ("env,e", po::value(&env)->composing(), "set KEY=value")
      ("env-file", po::value(&env_files)->composing(), "read KEY=value lines from a file")
      ("workdir,w", po::value(&workdir), "working directory inside the container")
      ("user,u", po::value(&user), "name|uid[:group|gid]")
      ("privileged", po::bool_switch(&privileged), "extended privileges")
      ("detach-keys", po::value(&detach_keys), "keys that detach, leaving the process running (ctrl-p,ctrl-q)")
      ("container", po::value(&container)->required(), "container");
  po::positional_options_description positional;
  positional.add("container", 1);
  po::variables_map vm;
  CommonOptions common;
  const char* usage = "hull exec [OPTIONS] CONTAINER COMMAND [ARG...]";
  if (auto exit = ParseCommandLine(ours, usage, options, positional, vm, common)) return *exit;
  if (command.empty()) {
    std::fprintf(stderr, "hull: exec needs a COMMAND\nUsage: %s\n", usage);
    return kExitUsage;
  }
  json env_list = json::array();
  for (const auto& file : env_files) {
    auto lines = ReadEnvFile(file);
    if (!lines.ok()) return ClientError(lines.status());
    for (const auto& line : *lines) env_list.push_back(line);
  }
  for (const auto& e : env) env_list.push_back(e);
  auto d = RequireDaemon(common, "exec");
  if (!d) return kExitFailure;

  json body{{"AttachStdin", interactive && !detach}, {"AttachStdout", !detach}, {"AttachStderr", !detach},
            {"Tty", tty}, {"Cmd", command}, {"Env", env_list}, {"WorkingDir", workdir}, {"User", user},
            {"Privileged", privileged}};
  auto keys = api::ParseDetachKeys(detach_keys);
  if (!keys.ok()) return ClientError(keys.status());
  if (!detach_keys.empty()) body["DetachKeys"] = detach_keys;
  auto created = Call(*d, "POST", "/containers/" + UrlEncode(container) + "/exec", body.dump());
  if (!created.ok()) return ClientError(created.status());
  json j = ParseJson(created->body);
  if (created->status != 201 || !j.is_object() || !j.contains("Id")) return DaemonError(*created);
  std::string exec_id = j["Id"];
  json start{{"Detach", detach}, {"Tty", tty}};
  if (detach) {
    auto r = Call(*d, "POST", "/exec/" + exec_id + "/start", start.dump());
    if (!r.ok()) return ClientError(r.status());
    return r->status == 200 || r->status == 204 ? 0 : DaemonError(*r);
  }
  auto c = api::ClientConnection::Connect(d->socket);
  if (!c.ok()) return ClientError(c.status());
  if (auto s = c->Send("POST", "/v1.41/exec/" + exec_id + "/start", start.dump(), /*upgrade=*/true); !s.ok()) {
    return ClientError(s);
  }
  auto status = c->ReadHeader();
  if (!status.ok()) return ClientError(status.status());
  if (*status != 101 && *status != 200) {
    auto text = c->ReadAll();
    return DaemonError(api::ClientResponse{*status, text.ok() ? *text : ""});
  }
  RelayOptions relay;
  relay.tty = tty;
  relay.send_stdin = interactive;
  bool detached = false;
  relay.detach_keys = *keys;
  relay.detached = &detached;
  relay.on_resize = [&](int rows, int cols) {
    (void)Call(*d, "POST", "/exec/" + exec_id + "/resize?h=" + std::to_string(rows) + "&w=" + std::to_string(cols));
  };
  if (auto s = RelayHijacked(c->fd(), c->TakeBuffered(), relay); !s.ok()) return ClientError(s);
  if (detached) return 0;  // the process runs on
  return ExitCode(*d, exec_id);
}

}  // namespace hull::cli
