#include "runtime/namespace/oci_bundle.h"

#include <sys/resource.h>

#include "base/unique_fd.h"
#include "runtime/namespace/capabilities.h"
#include "runtime/namespace/container.h"
#include "runtime/namespace/container_init.h"
#include "runtime/namespace/container_mounts.h"
#include "runtime/namespace/seccomp_profile.h"
#include "runtime/namespace/user.h"

namespace hull::runtime::ns {

using base::Result;
using nlohmann::json;

namespace {

std::string ReadOrEmpty(const std::string& path) {
  auto text = base::ReadFileToString(path, 16u << 20);
  return text.ok() ? *text : "";
}

json Mount(const char* dest, const char* type, const char* source, std::vector<std::string> options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

}  // namespace

Result<json> MakeOciConfig(const ContainerSpec& spec, const ProcessSpec& process,
                           const std::string& rootfs, const std::string& hostname) {
  ASSIGN_OR_RETURN(ResolvedUser user, ResolveUser(process.user, ReadOrEmpty(rootfs + "/etc/passwd"),
                                                  ReadOrEmpty(rootfs + "/etc/group")));
  // The same set hull would give on this host (it depends on the cgroup version).
  auto version = DetectCgroupVersion("/sys/fs/cgroup");
  ASSIGN_OR_RETURN(CapSet caps, ContainerCaps(spec, version.ok() ? *version : CgroupVersion::kV1));
  std::vector<std::string> env = process.env;
  bool has_home = false;
  for (const auto& e : env) has_home |= e.rfind("HOME=", 0) == 0;
  if (!has_home) env.push_back("HOME=" + user.home);
  std::vector<std::string> names = CapNames(caps);
  json rlimits = json::array();
  for (const Rlimit& r : DefaultRlimits()) {
    if (r.resource == RLIMIT_NOFILE) rlimits.push_back({{"type", "RLIMIT_NOFILE"}, {"soft", r.soft}, {"hard", r.hard}});
  }
  json config = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", spec.tty},
        {"user", {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.groups}}},
        {"args", process.argv},
        {"env", env},
        {"cwd", process.cwd},
        {"capabilities",
         {{"bounding", names}, {"effective", user.uid == 0 ? names : std::vector<std::string>{}},
          {"permitted", user.uid == 0 ? names : std::vector<std::string>{}},
          {"inheritable", json::array()}, {"ambient", json::array()}}},
        {"rlimits", rlimits},
        {"noNewPrivileges", spec.no_new_privileges}}},
      {"root", {{"path", rootfs}, {"readonly", false}}},
      {"hostname", hostname},
      {"mounts",
       {Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
        Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        Mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
        Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        Mount("/sys", "sysfs", "sysfs",
              {"nosuid", "noexec", "nodev", spec.privileged ? "rw" : "ro"})}},
  };
  if (version.ok() && *version == CgroupVersion::kV2) {  // hull shows the container its cgroup2
    config["mounts"].push_back(Mount("/sys/fs/cgroup", "cgroup", "cgroup",
                                     {"nosuid", "noexec", "nodev", spec.privileged ? "rw" : "ro"}));
  }
  json namespaces = json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}},
                                 {{"type", "mount"}}, {{"type", "cgroup"}}});
  if (spec.network == NetworkMode::kNone) namespaces.push_back({{"type", "network"}});
  json linux_section = {{"namespaces", namespaces}};
  if (!spec.privileged) {
    linux_section["maskedPaths"] = MaskedPaths();
    linux_section["readonlyPaths"] = ReadonlyPaths();
    if (!spec.seccomp_unconfined) linux_section["seccomp"] = DefaultSeccompOciJson(caps);
  }
  json resources = json::object();
  if (spec.memory_bytes > 0) resources["memory"] = {{"limit", spec.memory_bytes}};
  if (spec.cpus > 0) resources["cpu"] = {{"quota", static_cast<int64_t>(spec.cpus * 100000)}, {"period", 100000}};
  if (spec.pids_limit > 0) resources["pids"] = {{"limit", spec.pids_limit}};
  resources["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
  linux_section["resources"] = resources;
  config["linux"] = linux_section;
  return config;
}

}  // namespace hull::runtime::ns
