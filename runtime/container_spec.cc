#include "runtime/container_spec.h"

#include <cmath>
#include <cstdlib>

namespace hull::runtime {

using base::Result;
using base::Status;

namespace {

// Sets KEY=value in env, replacing an earlier KEY.
void SetEnv(std::vector<std::string>& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('='));
  for (auto& e : env) {
    if (e.substr(0, e.find('=')) == key) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

bool HasEnv(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env) {
    if (e.substr(0, e.find('=')) == key) return true;
  }
  return false;
}

}  // namespace

Result<ProcessSpec> ResolveProcess(const ContainerSpec& spec, const rootfs::ContainerDefaults& image,
                                   const std::string& hostname) {
  ProcessSpec p;
  std::vector<std::string> entrypoint = image.entrypoint;
  std::vector<std::string> cmd = image.cmd;
  if (spec.entrypoint) {
    entrypoint.clear();
    if (!spec.entrypoint->empty()) entrypoint.push_back(*spec.entrypoint);
    cmd.clear();
  }
  if (!spec.args.empty()) cmd = spec.args;
  p.argv = entrypoint;
  p.argv.insert(p.argv.end(), cmd.begin(), cmd.end());
  if (p.argv.empty()) return Status::Error("no command specified (the image has no Entrypoint or Cmd)");

  p.env.push_back(std::string("PATH=") + kDefaultPath);
  p.env.push_back("HOSTNAME=" + hostname);
  for (const auto& e : image.env) SetEnv(p.env, e);
  if (spec.tty) SetEnv(p.env, "TERM=xterm");
  for (const auto& e : spec.env) {
    if (e.empty() || e[0] == '=') return Status::Error("invalid environment variable: " + e);
    if (e.find('=') != std::string::npos) {
      SetEnv(p.env, e);
    } else if (const char* v = std::getenv(e.c_str())) {
      SetEnv(p.env, e + "=" + v);
    } else {
      std::erase_if(p.env, [&](const std::string& x) { return x.substr(0, x.find('=')) == e; });
    }
  }
  if (!HasEnv(p.env, "PATH")) p.env.push_back(std::string("PATH=") + kDefaultPath);
  p.cwd = !spec.workdir.empty() ? spec.workdir : !image.working_dir.empty() ? image.working_dir : "/";
  if (p.cwd[0] != '/') return Status::Error("the working directory '" + p.cwd + "' is invalid, it needs to be an absolute path");
  p.user = !spec.user.empty() ? spec.user : image.user;
  return p;
}

Result<int64_t> ParseMemorySize(const std::string& text) {
  if (text.empty()) return Status::Error("invalid size: ''");
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b' && unit.size() == 2) unit.pop_back();
  double mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k") mult = 1024.0;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  if (end == text.c_str() || mult == 0 || !(value >= 0) || value * mult > 9e18) {
    return Status::Error("invalid size: '" + text + "'");
  }
  return static_cast<int64_t>(std::llround(value * mult));
}

Result<VolumeSpec> ParseVolume(const std::string& text) {
  VolumeSpec v;
  size_t first = text.find(':');
  if (first == std::string::npos)
    return Status::Error("invalid volume '" + text + "': want HOST:CONTAINER[:ro]");
  v.host = text.substr(0, first);
  std::string rest = text.substr(first + 1);
  if (size_t second = rest.find(':'); second != std::string::npos) {
    std::string mode = rest.substr(second + 1);
    rest.resize(second);
    if (mode == "ro") v.read_only = true;
    else if (mode != "rw") return Status::Error("invalid volume mode '" + mode + "': ro or rw");
  }
  v.container = rest;
  if (v.host.empty() || v.host[0] != '/')
    return Status::Error("invalid volume '" + text + "': the host path must be absolute");
  if (v.container.empty() || v.container[0] != '/')
    return Status::Error("invalid volume '" + text + "': the container path must be absolute");
  return v;
}

}  // namespace hull::runtime
