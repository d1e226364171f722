// `hull run [OPTIONS] IMAGE [CMD...]`: runs a container in direct mode (no daemon).
// The flags are Docker's; they are parsed into one runtime::ContainerSpec, which is then
// handed to the runtime --runtime names: "ns" (runtime/namespace) or "vm". Exit status:
// the container's, or Docker's 125 (hull failed), 126 (not executable), 127 (not found).
#include <cstdio>
#include <cstdlib>
#include <set>

#include "cli/command.h"
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

constexpr int kExitRunFailure = 125;
constexpr const char* kUsage = "hull run [OPTIONS] IMAGE [COMMAND] [ARG...]";

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
      "--vmm"};
  return kWithValue.count(arg) > 0;
}

Status ApplySecurityOpt(const std::string& opt, ContainerSpec& spec) {
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
int RunVmContainer(ContainerSpec spec, const std::string& vmm, const CommonOptions& common) {
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
  vm.work_root = store->root() + "/tmp";
  vm.spec = std::move(spec);
  return runtime::vm::RunVmContainer(vm);
}

}  // namespace

int RunRun(const std::vector<std::string>& args) {
  // Split at IMAGE: options before it are ours, words after it are the command's.
  std::vector<std::string> ours, command;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ours.insert(ours.end(), args.begin() + static_cast<long>(i) + 1,
                  args.begin() + static_cast<long>(std::min(i + 2, args.size())));
      if (i + 2 < args.size()) command.assign(args.begin() + static_cast<long>(i) + 2, args.end());
      break;
    }
    if (a.size() > 1 && a[0] == '-') {
      ours.push_back(a);
      if (TakesValue(a) && i + 1 < args.size()) ours.push_back(args[++i]);
      continue;
    }
    ours.push_back(a);
    command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
    break;
  }

  ContainerSpec spec;
  std::string memory, memory_swap, network = "none", vmm;
  std::vector<std::string> security_opts;
  po::options_description options("Options");
  options.add_options()
      ("runtime", po::value(&spec.runtime)->default_value("vm"), "vm (micro-VM, default) or ns (namespaces)")
      ("vmm", po::value(&vmm), "vm runtime: hull or qemu (default: hull where hardware virtualization is usable)")
      ("rm", po::bool_switch(&spec.remove), "remove the container when it exits (always, in direct mode)")
      ("interactive,i", po::bool_switch(&spec.interactive), "keep stdin open")
      ("tty,t", po::bool_switch(&spec.tty), "allocate a pseudo-terminal")
      ("env,e", po::value(&spec.env)->composing(), "set KEY=value (KEY alone: copy ours)")
      ("workdir,w", po::value(&spec.workdir), "working directory inside the container")
      ("user,u", po::value(&spec.user), "name|uid[:group|gid]")
      ("hostname", po::value(&spec.hostname), "container host name (default: short ID)")
      ("entrypoint", po::value<std::string>(), "overwrite the image's ENTRYPOINT")
      ("memory,m", po::value(&memory), "memory limit (e.g. 512m)")
      ("memory-swap", po::value(&memory_swap), "memory + swap limit; -1: unlimited swap")
      ("cpus", po::value(&spec.cpus), "number of CPUs (e.g. 1.5)")
      ("pids-limit", po::value(&spec.pids_limit), "maximum number of processes")
      ("network", po::value(&network), "none or host")
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
  CommonOptions common;
  if (auto exit = ParseCommandLine(ours, kUsage, options, positional, vm, common)) {
    return *exit == 0 ? 0 : kExitRunFailure;
  }
  spec.args = command;
  if (vm.count("entrypoint")) spec.entrypoint = vm["entrypoint"].as<std::string>();
  for (const auto& opt : security_opts) {
    if (Status s = ApplySecurityOpt(opt, spec); !s.ok()) return RunFail(s);
  }
  if (!memory.empty()) {
    auto m = runtime::ParseMemorySize(memory);
    if (!m.ok()) return RunFail(m.status().WithContext("--memory"));
    spec.memory_bytes = *m;
  }
  if (memory_swap == "-1") {
    spec.memory_swap_bytes = -1;
  } else if (!memory_swap.empty()) {
    auto m = runtime::ParseMemorySize(memory_swap);
    if (!m.ok()) return RunFail(m.status().WithContext("--memory-swap"));
    if (*m < spec.memory_bytes) return RunFail(Status::Error("--memory-swap must be at least --memory"));
    spec.memory_swap_bytes = *m;
  }
  if (spec.cpus < 0) return RunFail(Status::Error("--cpus must be positive"));
  if (network == "none") {
    spec.network = runtime::NetworkMode::kNone;
  } else if (network == "host") {
    spec.network = runtime::NetworkMode::kHost;
  } else {
    return RunFail(Status::Error("--network " + network + ": direct mode offers only none and host"));
  }
  if (spec.stop_timeout_s < 0) return RunFail(Status::Error("--stop-timeout must be 0 or more"));

  if (spec.runtime == "vm") {
    return RunVmContainer(std::move(spec), vmm, common);
  }
  if (spec.runtime != "ns") return RunFail(Status::Error("unknown runtime: " + spec.runtime + " (ns or vm)"));
  return RunNamespaceContainer(std::move(spec), common);
}

}  // namespace hull::cli
