// `hull run [OPTIONS] IMAGE [CMD...]` and `hull create`: through hulld when one listens
// (cli/daemon_run.cc), else in direct mode: the flags (cli/container_flags.h) become one
// runtime::ContainerSpec handed to the runtime --runtime names, "ns" (runtime/namespace)
// or "vm". Exit status: the container's, or Docker's 125 (hull failed), 126 (not
// executable), 127 (not found).
#include <cstdio>
#include <cstdlib>
#include <variant>

#include "cli/command.h"
#include "cli/container_flags.h"
#include "cli/daemon.h"
#include "cli/daemon_run.h"
#include "rootfs-builder/builtin_image.h"
#include "rootfs-builder/image_builder.h"
#include "rootfs-builder/reference.h"
#include "runtime/container_spec.h"
#include "runtime/namespace/container.h"
#include "runtime/vm/container.h"

namespace hull::cli {

namespace {

using base::Result;
using base::Status;
using runtime::ContainerSpec;

constexpr const char* kUsage = "hull run [OPTIONS] IMAGE [COMMAND] [ARG...]";

int RunFail(const Status& s) {
  std::fprintf(stderr, "hull: %s\n", s.message().c_str());
  return kExitRunFailure;
}

// The image: hull/busybox is built in; anything else must be in the store already.
Result<rootfs::ImageRecord> ResolveImage(const rootfs::ContentStore& store, const std::string& text) {
  auto builtin = rootfs::ParseReference(rootfs::kBuiltinBusyboxImage);
  auto given = rootfs::ParseReference(text);
  if (builtin.ok() && given.ok() && builtin->str() == given->str()) {
    return rootfs::EnsureBuiltinBusyboxImage(store);
  }
  auto record = FindImage(store, text);
  if (!record.ok()) {
    return Status::Error("Unable to find image '" + text + "' locally (hull pull or hull load it first)");
  }
  return record;
}

int RunNamespaceContainer(ContainerSpec spec, const CommonOptions& common) {
  auto store = OpenStore(common);
  if (!store.ok()) return RunFail(store.status());
  auto record = ResolveImage(*store, spec.image);
  if (!record.ok()) return RunFail(record.status());
  auto lock = store->LockShared();  // keeps `hull rmi` from collecting the tree meanwhile
  if (!lock.ok()) return RunFail(lock.status());
  auto image = rootfs::ReadStoredImage(*store, record->manifest);
  if (!image.ok()) return RunFail(image.status());
  auto outputs = rootfs::EnsureRootfs(*store, *image, /*ext4=*/false);
  if (!outputs.ok()) return RunFail(outputs.status());

  runtime::ns::ContainerConfig config;
  config.id = runtime::ns::NewContainerId();
  config.state_root = store->root() + "/containers";
  config.image_tree = outputs->tree;
  config.cache_dir = store->root() + "/cache";
  std::string hostname = spec.hostname.empty() ? config.id.substr(0, 12) : spec.hostname;
  auto process = runtime::ResolveProcess(spec, image->config.defaults, hostname);
  if (!process.ok()) return RunFail(process.status());
  config.process = *process;
  config.spec = std::move(spec);
  if (const char* cg = std::getenv("HULL_CGROUP_ROOT")) config.cgroup_root = cg;
  if (const char* p = std::getenv("HULL_CGROUP_PARENT")) config.cgroup_parent = p;
  return runtime::ns::RunContainer(config);
}

// --runtime vm: the image's read-only ext4 under a micro-VM (runtime/vm).
int RunVmContainer(ContainerSpec spec, const std::string& vmm, bool no_jail,
                   const CommonOptions& common) {
  auto store = OpenStore(common);
  if (!store.ok()) return RunFail(store.status());
  auto record = ResolveImage(*store, spec.image);
  if (!record.ok()) return RunFail(record.status());
  auto lock = store->LockShared();  // keeps `hull rmi` from collecting the ext4 meanwhile
  if (!lock.ok()) return RunFail(lock.status());
  auto image = rootfs::ReadStoredImage(*store, record->manifest);
  if (!image.ok()) return RunFail(image.status());
  auto outputs = rootfs::EnsureRootfs(*store, *image, /*ext4=*/true);
  if (!outputs.ok()) return RunFail(outputs.status());
  runtime::vm::VmContainer vm;
  vm.hostname = spec.hostname.empty() ? runtime::ns::NewContainerId().substr(0, 12) : spec.hostname;
  auto process = runtime::ResolveProcess(spec, image->config.defaults, vm.hostname);
  if (!process.ok()) return RunFail(process.status());
  vm.process = *process;
  vm.image_disk = outputs->ext4;
  vm.vmm = vmm;
  vm.no_jail = no_jail;
  vm.work_root = store->root() + "/tmp";
  vm.spec = std::move(spec);
  return runtime::vm::RunVmContainer(vm);
}

// -v in direct mode: HOST:CONTAINER[:ro] with an absolute host path (runtime::ParseVolume);
// the runtimes mount them exactly as under hulld. Named volumes live in hulld's store.
Status AddDirectVolumes(const std::vector<std::string>& texts, ContainerSpec& spec) {
  for (const auto& text : texts) {
    if (!text.empty() && text[0] != '/' && text.find(':') != std::string::npos) {
      return Status::Error("-v " + text + ": named volumes need hulld; direct mode binds a host path "
                           "(-v /ABSOLUTE/HOST/PATH:/CONTAINER/PATH[:ro])");
    }
    auto v = runtime::ParseVolume(text);
    if (!v.ok()) return Status::Error("-v " + text + ": " + v.status().message());
    spec.volumes.push_back(*v);
  }
  return Status::Ok();
}

// Direct mode: no hulld, so nothing outlives this process (-d and -p need hulld).
int RunDirect(RunOptions o) {
  ContainerSpec& spec = o.spec;
  auto needs = [](const char* flag) {
    return RunFail(Status::Error(std::string(flag) +
                                 " needs hulld, which is not running (start it as root with `hulld &`); "
                                 "direct mode runs the container in the foreground only"));
  };
  if (o.detach) return needs("-d");
  if (!o.publish.empty() || o.publish_all) {
    return RunFail(Status::Error(std::string(o.publish_all ? "-P" : "-p") +
                                 " needs hulld: ports are published by hulld's bridge network (hull0 and its NAT "
                                 "rules), which direct mode does not have; start hulld (as root, `hulld &`) or use "
                                 "--network host"));
  }
  if (Status s = AddDirectVolumes(o.volumes, spec); !s.ok()) return RunFail(s);
  if (o.network.empty() || o.network == "none") {
    spec.network = runtime::NetworkMode::kNone;
  } else if (o.network == "host") {
    spec.network = runtime::NetworkMode::kHost;
  } else {
    return RunFail(Status::Error("--network " + o.network + ": direct mode offers only none and host"));
  }
  if (spec.runtime == "vm") return RunVmContainer(std::move(spec), o.vmm, o.no_jail, o.common);
  if (spec.runtime != "ns") return RunFail(Status::Error("unknown runtime: " + spec.runtime + " (ns or vm)"));
  return RunNamespaceContainer(std::move(spec), o.common);
}

}  // namespace

int RunRun(const std::vector<std::string>& args) {
  auto parsed = ParseRunOptions(args, kUsage);
  if (auto* exit = std::get_if<int>(&parsed)) return *exit;
  RunOptions& o = std::get<RunOptions>(parsed);
  // --root names a local store: direct mode without asking for hulld (FindDaemon).
  if (auto daemon = FindDaemon(o.common)) {
    if (o.no_jail)
      return RunFail(Status::Error("--no-jail is direct mode's; hulld's VMs follow hulld --no-jail"));
    return DaemonRun(*daemon, o);
  }
  return RunDirect(std::move(o));
}

int RunCreate(const std::vector<std::string>& args) {
  auto parsed = ParseRunOptions(args, "hull create [OPTIONS] IMAGE [COMMAND] [ARG...]");
  if (auto* exit = std::get_if<int>(&parsed)) return *exit;
  RunOptions& o = std::get<RunOptions>(parsed);
  auto daemon = RequireDaemon(o.common, "create");
  if (!daemon) return kExitRunFailure;
  return DaemonCreate(*daemon, o);
}

}  // namespace hull::cli
