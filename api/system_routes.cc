// GET|HEAD /_ping, GET /version, GET /info.
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/routes.h"

namespace hull::api {

using nlohmann::json;

namespace {

std::string KernelVersion() {
  utsname u{};
  ::uname(&u);
  return u.release;
}

json VersionJson(const ApiContext& ctx) {
  json details{{"ApiVersion", "1.41"}, {"MinAPIVersion", "1.24"}, {"Os", "linux"},
               {"Arch", "amd64"}, {"KernelVersion", KernelVersion()}, {"GitCommit", ""},
               {"GoVersion", ""}, {"BuildTime", ""}, {"Experimental", "false"}};
  return json{{"Platform", {{"Name", "hull"}}},
              {"Components", json::array({{{"Name", "Engine"}, {"Version", ctx.version}, {"Details", details}}})},
              {"Version", ctx.version}, {"ApiVersion", "1.41"}, {"MinAPIVersion", "1.24"},
              {"GitCommit", ""}, {"GoVersion", ""}, {"Os", "linux"}, {"Arch", "amd64"},
              {"KernelVersion", KernelVersion()}, {"BuildTime", ""}};
}

json InfoJson(const ApiContext& ctx) {
  auto containers = ctx.engine.List(true);
  int running = 0, stopped = 0;
  for (const auto& c : containers) {
    if (c.state == engine::ContainerState::kRunning) ++running;
    else if (c.state == engine::ContainerState::kExited) ++stopped;
  }
  auto images = ctx.engine.store().ListImages();
  struct sysinfo si {};
  ::sysinfo(&si);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const auto& o = ctx.engine.options();
  bool v2 = ::access((o.cgroup_root + "/cgroup.controllers").c_str(), F_OK) == 0;
  return json{
      {"ID", "hulld"}, {"Containers", containers.size()}, {"ContainersRunning", running},
      {"ContainersPaused", 0}, {"ContainersStopped", stopped},
      {"Images", images.ok() ? images->size() : 0}, {"Driver", "overlay"},
      {"DriverStatus", json::array()}, {"DockerRootDir", o.root},
      {"Plugins", {{"Volume", json::array()}, {"Network", json::array({"host", "none"})},
                   {"Authorization", nullptr}, {"Log", json::array({"json-file"})}}},
      {"MemoryLimit", true}, {"SwapLimit", true}, {"CpuCfsPeriod", true}, {"CpuCfsQuota", true},
      {"PidsLimit", true}, {"IPv4Forwarding", false}, {"Debug", false}, {"NFd", 0},
      {"NGoroutines", 0}, {"SystemTime", engine::NowRfc3339Nano()}, {"LoggingDriver", "json-file"},
      {"CgroupDriver", "cgroupfs"}, {"CgroupVersion", v2 ? "2" : "1"}, {"NEventsListener", 0},
      {"KernelVersion", KernelVersion()}, {"OperatingSystem", "hull"}, {"OSVersion", ""},
      {"OSType", "linux"}, {"Architecture", "x86_64"}, {"IndexServerAddress", "https://index.docker.io/v1/"},
      {"RegistryConfig", {{"IndexConfigs", json::object()}, {"InsecureRegistryCIDRs", json::array({"127.0.0.0/8"})}}},
      {"NCPU", ::sysconf(_SC_NPROCESSORS_ONLN)}, {"MemTotal", static_cast<int64_t>(si.totalram) * si.mem_unit},
      {"Name", host}, {"Labels", json::array()}, {"ExperimentalBuild", false},
      {"ServerVersion", ctx.version},
      {"Runtimes", {{"ns", {{"path", "hull (namespace containers)"}}}, {"vm", {{"path", "hull-vmm (micro-VMs)"}}}}},
      {"DefaultRuntime", o.default_runtime}, {"Swarm", {{"LocalNodeState", "inactive"}}},
      {"LiveRestoreEnabled", true}, {"Isolation", ""}, {"InitBinary", ""},
      {"SecurityOptions", json::array({"name=seccomp,profile=builtin"})}, {"Warnings", json::array()}};
}

}  // namespace

bool RouteSystem(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w) {
  if (path == "/_ping") {
    if (req.method != "GET" && req.method != "HEAD") return false;
    w.Send(200, "text/plain; charset=utf-8", "OK", {{"Cache-Control", "no-cache, no-store, must-revalidate"}});
    return true;
  }
  if (req.method != "GET") return false;
  if (path == "/version") {
    SendJson(w, 200, VersionJson(ctx).dump());
    return true;
  }
  if (path == "/info") {
    SendJson(w, 200, InfoJson(ctx).dump());
    return true;
  }
  return false;
}

}  // namespace hull::api
