#include "cli/container_flags.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

namespace hull::cli {

namespace {

using base::Result;
using base::Status;
using nlohmann::json;

int RunFail(const Status& s) {
  std::fprintf(stderr, "hull: %s\n", s.message().c_str());
  return kExitRunFailure;
}

// Options that take a value, so that the first word that is neither an option nor such
// a value is IMAGE, and everything after it belongs to the container's command.
bool TakesValue(const std::string& arg) {
  static const std::set<std::string> kWithValue = {
      "-e", "--env", "-w", "--workdir", "-u", "--user", "-m", "--memory", "--memory-swap",
      "--cpus", "--pids-limit", "--network", "--net", "--cap-add", "--cap-drop",
      "--security-opt", "--hostname", "--runtime", "--entrypoint", "--stop-timeout", "--root",
      "--vmm", "--name", "--env-file", "-p", "--publish", "-v", "--volume", "--detach-keys"};
  return kWithValue.count(arg) > 0;
}

Status ApplySecurityOpt(const std::string& opt, runtime::ContainerSpec& spec) {
  std::string key = opt.substr(0, opt.find_first_of("=:"));
  std::string value = opt.size() > key.size() ? opt.substr(key.size() + 1) : "";
  if (key == "seccomp" && value == "unconfined") {
    spec.seccomp_unconfined = true;
  } else if (key == "no-new-privileges" && (value.empty() || value == "true")) {
    spec.no_new_privileges = true;
  } else if (key == "no-new-privileges" && value == "false") {
    spec.no_new_privileges = false;
  } else if (key == "seccomp") {
    return Status::Error("--security-opt seccomp=PROFILE: only \"unconfined\" is supported");
  } else {
    return Status::Error("--security-opt " + opt + ": not supported");
  }
  return Status::Ok();
}

Status ApplyValues(const po::variables_map& vm, const std::string& memory, const std::string& memory_swap,
                   const std::vector<std::string>& security_opts, runtime::ContainerSpec& spec) {
  if (vm.count("entrypoint")) spec.entrypoint = vm["entrypoint"].as<std::string>();
  for (const auto& opt : security_opts) RETURN_IF_ERROR(ApplySecurityOpt(opt, spec));
  if (!memory.empty()) {
    auto m = runtime::ParseMemorySize(memory);
    if (!m.ok()) return m.status().WithContext("--memory");
    spec.memory_bytes = *m;
  }
  if (memory_swap == "-1") {
    spec.memory_swap_bytes = -1;
  } else if (!memory_swap.empty()) {
    auto m = runtime::ParseMemorySize(memory_swap);
    if (!m.ok()) return m.status().WithContext("--memory-swap");
    if (*m < spec.memory_bytes) return Status::Error("--memory-swap must be at least --memory");
    spec.memory_swap_bytes = *m;
  }
  if (spec.cpus < 0) return Status::Error("--cpus must be positive");
  if (spec.stop_timeout_s < 0) return Status::Error("--stop-timeout must be 0 or more");
  return Status::Ok();
}

}  // namespace

void SplitAtOperand(const std::vector<std::string>& args, bool (*takes_value)(const std::string&),
                    std::vector<std::string>* ours, std::vector<std::string>* rest) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ours->insert(ours->end(), args.begin() + static_cast<long>(i) + 1,
                   args.begin() + static_cast<long>(std::min(i + 2, args.size())));
      if (i + 2 < args.size()) rest->assign(args.begin() + static_cast<long>(i) + 2, args.end());
      return;
    }
    if (a.size() > 1 && a[0] == '-') {
      ours->push_back(a);
      if (takes_value(a) && i + 1 < args.size()) ours->push_back(args[++i]);
      continue;
    }
    ours->push_back(a);
    rest->assign(args.begin() + static_cast<long>(i) + 1, args.end());
    return;
  }
}

// --env-file: KEY=value or KEY lines; blank lines and # comments skipped (Docker's rules).
Result<std::vector<std::string>> ReadEnvFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("--env-file " + path + ": cannot open it");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line.substr(start));
  }
  return out;
}

std::variant<RunOptions, int> ParseRunOptions(const std::vector<std::string>& args, const char* usage) {
  // Split at IMAGE: options before it are ours, words after it are the command's.
  std::vector<std::string> ours, command;
  SplitAtOperand(args, &TakesValue, &ours, &command);

  RunOptions o;
  runtime::ContainerSpec& spec = o.spec;
  std::string memory, memory_swap;
  std::vector<std::string> security_opts, env_files;
  po::options_description options("Options");
  options.add_options()
      ("runtime", po::value(&spec.runtime)->default_value("vm"), "vm (micro-VM) or ns (namespaces); with hulld: its default")
      ("vmm", po::value(&o.vmm), "direct mode, vm runtime: hull or qemu (default: hull where hardware virtualization is usable)")
      ("no-jail", po::bool_switch(&o.no_jail), "direct mode, hull backend: start hull-vmm without its jail (debugging only; warns on stderr)")
      ("detach,d", po::bool_switch(&o.detach), "run in the background and print the container ID (hulld)")
      ("name", po::value(&o.name), "the container's name (hulld)")
      ("rm", po::bool_switch(&spec.remove), "remove the container when it exits (always, in direct mode)")
      ("interactive,i", po::bool_switch(&spec.interactive), "keep stdin open")
      ("tty,t", po::bool_switch(&spec.tty), "allocate a pseudo-terminal")
      ("detach-keys", po::value(&o.detach_keys), "keys that detach from the container, leaving it running (ctrl-p,ctrl-q; hulld)")
      ("sig-proxy", po::value(&o.sig_proxy)->implicit_value(true), "forward signals hull receives to the container (true; not with -t)")
      ("env,e", po::value(&spec.env)->composing(), "set KEY=value (KEY alone: copy ours)")
      ("env-file", po::value(&env_files)->composing(), "read KEY=value lines from a file")
      ("publish,p", po::value(&o.publish)->composing(), "publish a port: [IP:][HOST:]CONTAINER[/udp] (hulld)")
      ("publish-all,P", po::bool_switch(&o.publish_all), "publish the image's exposed ports on random host ports (hulld)")
      ("volume,v", po::value(&o.volumes)->composing(), "bind a volume: HOST:CONTAINER[:ro] (NAME:CONTAINER, a named volume: hulld)")
      ("workdir,w", po::value(&spec.workdir), "working directory inside the container")
      ("user,u", po::value(&spec.user), "name|uid[:group|gid]")
      ("hostname", po::value(&spec.hostname), "container host name (default: short ID)")
      ("entrypoint", po::value<std::string>(), "overwrite the image's ENTRYPOINT")
      ("memory,m", po::value(&memory), "memory limit (e.g. 512m)")
      ("memory-swap", po::value(&memory_swap), "memory + swap limit; -1: unlimited swap")
      ("cpus", po::value(&spec.cpus), "number of CPUs (e.g. 1.5)")
      ("pids-limit", po::value(&spec.pids_limit), "maximum number of processes")
      ("network", po::value(&o.network), "none or host (direct mode); with hulld also bridge")
      ("cap-add", po::value(&spec.cap_add)->composing(), "add a capability (or ALL)")
      ("cap-drop", po::value(&spec.cap_drop)->composing(), "drop a capability (or ALL)")
      ("privileged", po::bool_switch(&spec.privileged), "all capabilities, no seccomp, no masked paths")
      ("security-opt", po::value(&security_opts)->composing(),
       "seccomp=unconfined, no-new-privileges[=true|false]")
      ("stop-timeout", po::value(&spec.stop_timeout_s), "seconds between the stop signal and SIGKILL (10)")
      ("image", po::value(&spec.image)->required(), "image");
  po::positional_options_description positional;
  positional.add("image", 1);
  po::variables_map vm;
  if (auto exit = ParseCommandLine(ours, usage, options, positional, vm, o.common)) {
    return *exit == 0 ? 0 : kExitRunFailure;
  }
  spec.args = command;
  o.runtime_given = !vm["runtime"].defaulted();
  std::vector<std::string> env;
  for (const auto& file : env_files) {
    auto lines = ReadEnvFile(file);
    if (!lines.ok()) return RunFail(lines.status());
    env.insert(env.end(), lines->begin(), lines->end());
  }
  env.insert(env.end(), spec.env.begin(), spec.env.end());  // -e wins over --env-file
  spec.env = std::move(env);
  if (Status s = ApplyValues(vm, memory, memory_swap, security_opts, spec); !s.ok()) return RunFail(s);
  return o;
}

namespace {

// -p [IP:][HOST:]CONTAINER[/PROTO] → ExposedPorts and PortBindings entries.
Status AddPort(const std::string& text, json& exposed, json& bindings) {
  std::string spec = text, proto = "tcp";
  if (size_t slash = spec.find('/'); slash != std::string::npos) {
    proto = spec.substr(slash + 1);
    spec = spec.substr(0, slash);
  }
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  auto is_port = [](const std::string& p) {
    return !p.empty() && p.size() <= 5 && p.find_first_not_of("0123456789") == std::string::npos &&
           std::stoi(p) > 0 && std::stoi(p) < 65536;
  };
  std::string ip = parts.size() == 3 ? parts[0] : "";
  std::string host = parts.size() >= 2 ? parts[parts.size() - 2] : "";
  std::string container = parts.back();
  if (parts.size() > 3 || !is_port(container) || (!host.empty() && !is_port(host)) ||
      (proto != "tcp" && proto != "udp" && proto != "sctp")) {
    return Status::Error("invalid port mapping -p " + text + " (want [IP:][HOST:]CONTAINER[/udp])");
  }
  std::string key = container + "/" + proto;
  exposed[key] = json::object();
  bindings[key].push_back({{"HostIp", ip}, {"HostPort", host}});
  return Status::Ok();
}

}  // namespace

Result<std::string> CreateBody(const RunOptions& o) {
  const runtime::ContainerSpec& spec = o.spec;
  json env = json::array();
  for (const auto& e : spec.env) {
    if (e.find('=') != std::string::npos) {
      env.push_back(e);
    } else if (const char* v = std::getenv(e.c_str())) {  // KEY alone: ours, if we have it
      env.push_back(e + "=" + v);
    }
  }
  bool attach = !o.detach;
  json config{{"Image", spec.image}, {"Env", env}, {"WorkingDir", spec.workdir}, {"User", spec.user},
              {"Hostname", spec.hostname}, {"Tty", spec.tty}, {"OpenStdin", spec.interactive},
              {"StdinOnce", spec.interactive && attach}, {"AttachStdin", spec.interactive && attach},
              {"AttachStdout", attach}, {"AttachStderr", attach}, {"StopTimeout", spec.stop_timeout_s}};
  if (!spec.args.empty()) config["Cmd"] = spec.args;
  if (spec.entrypoint) config["Entrypoint"] = json::array({*spec.entrypoint});
  json host{{"AutoRemove", spec.remove}, {"Privileged", spec.privileged}};
  if (spec.memory_bytes) host["Memory"] = spec.memory_bytes;
  if (spec.memory_swap_bytes) host["MemorySwap"] = spec.memory_swap_bytes;
  if (spec.cpus > 0) host["NanoCpus"] = static_cast<int64_t>(spec.cpus * 1e9);
  if (spec.pids_limit) host["PidsLimit"] = spec.pids_limit;
  if (!spec.cap_add.empty()) host["CapAdd"] = spec.cap_add;
  if (!spec.cap_drop.empty()) host["CapDrop"] = spec.cap_drop;
  json security = json::array();
  if (spec.seccomp_unconfined) security.push_back("seccomp=unconfined");
  if (!spec.no_new_privileges) security.push_back("no-new-privileges=false");
  if (!security.empty()) host["SecurityOpt"] = security;
  if (o.runtime_given) host["Runtime"] = spec.runtime;
  if (!o.network.empty()) host["NetworkMode"] = o.network;
  if (!o.volumes.empty()) host["Binds"] = o.volumes;
  json exposed = json::object(), bindings = json::object();
  for (const auto& p : o.publish) RETURN_IF_ERROR(AddPort(p, exposed, bindings));
  if (!o.publish.empty()) {
    config["ExposedPorts"] = exposed;
    host["PortBindings"] = bindings;
  }
  if (o.publish_all) host["PublishAllPorts"] = true;
  config["HostConfig"] = host;
  return config.dump();
}

}  // namespace hull::cli
