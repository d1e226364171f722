#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "bench/bench_command.h"
#include "cli/command.h"

namespace hull::cli {

int RunVersion(const std::vector<std::string>& args);  // version.cc
int RunInfo(const std::vector<std::string>& args);     // info.cc

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"pull", "Download an image from a registry", &RunPull},
      {"load", "Load images from an OCI layout or a docker-archive (docker save)", &RunLoad},
      {"import", "Import a root filesystem tarball or directory as an image", &RunImport},
      {"run", "Run a command in a new container (through hulld, or directly)", &RunRun},
      {"create", "Create a new container (hulld)", &RunCreate},
      {"start", "Start stopped containers (hulld)", &RunStart},
      {"stop", "Stop running containers (hulld)", &RunStop},
      {"restart", "Restart containers (hulld)", &RunRestart},
      {"kill", "Send a signal to running containers (hulld)", &RunKill},
      {"rm", "Remove containers (hulld)", &RunRm},
      {"ps", "List containers (hulld)", &RunPs},
      {"logs", "Show a container's output (hulld)", &RunLogs},
      {"exec", "Run a command in a running container (hulld)", &RunExec},
      {"attach", "Attach to a running container's streams; ctrl-p ctrl-q detaches (hulld)", &RunAttach},
      {"inspect", "Show containers' or images' details as JSON", &RunInspect},
      {"port", "List a container's published ports (hulld)", &RunPort},
      {"wait", "Wait for containers to stop and print their exit codes (hulld)", &RunWait},
      {"stats", "Show containers' CPU, memory, network and block I/O (hulld)", &RunStats},
      {"events", "Show what happens to containers and images, as it happens (hulld)", &RunEvents},
      {"images", "List images", &RunImages},
      {"rmi", "Remove an image", &RunRmi},
      {"version", "Show the client's and hulld's versions (or direct mode)", &RunVersion},
      {"info", "Say whether hull talks to hulld or works directly, and what is there", &RunInfo},
      {"bench", "Compare hull's runtimes with the peers installed here; writes a report", &bench::RunBench},
      {"image ls", "List images", &RunImages},
      {"image pull", "Download an image from a registry", &RunPull},
      {"image load", "Load images from an OCI layout or a docker-archive", &RunLoad},
      {"image import", "Import a root filesystem as an image", &RunImport},
      {"image rm", "Remove an image", &RunRmi},
      {"image inspect", "Show an image's details as JSON", &RunImageInspect},
      {"image rootfs", "Export an image's root filesystem as a directory or ext4 image",
       &RunImageRootfs},
  };
  return commands;
}

std::optional<int> ParseCommandLine(const std::vector<std::string>& args, const char* usage,
                                    po::options_description& options,
                                    const po::positional_options_description& positional,
                                    po::variables_map& vm, CommonOptions& common) {
  const char* env_root = std::getenv("HULL_ROOT");
  options.add_options()
      ("root", po::value(&common.root)->default_value(env_root ? env_root : "/var/lib/hull"),
       "image store root (HULL_ROOT)")
      ("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: " << usage << "\n\n" << options;
      return 0;
    }
    po::notify(vm);
    common.root_given = vm.count("root") && !vm["root"].defaulted();
  } catch (const po::error& e) {
    std::cerr << "hull: " << e.what() << "\nUsage: " << usage << "\n";
    return kExitUsage;
  }
  return std::nullopt;
}

base::Result<rootfs::ContentStore> OpenStore(const CommonOptions& common) {
  return rootfs::ContentStore::Open(common.root);
}

std::string HumanSize(int64_t bytes) {
  char buf[32];
  double b = static_cast<double>(bytes);
  if (b >= 1e9) std::snprintf(buf, sizeof buf, "%.2fGB", b / 1e9);
  else if (b >= 1e6) std::snprintf(buf, sizeof buf, "%.1fMB", b / 1e6);
  else std::snprintf(buf, sizeof buf, "%.1fkB", b / 1e3);
  return buf;
}

int Fail(const base::Status& status) {
  std::fprintf(stderr, "hull: %s\n", status.message().c_str());
  return kExitFailure;
}

}  // namespace hull::cli

#include "rootfs-builder/reference.h"

namespace hull::cli {

base::Result<rootfs::ImageRecord> FindImage(const rootfs::ContentStore& store,
                                            const std::string& text) {
  ASSIGN_OR_RETURN(std::vector<rootfs::ImageRecord> images, store.ListImages());
  std::string normalized;
  if (auto ref = rootfs::ParseReference(text); ref.ok()) normalized = ref->str();
  std::string hex = text.rfind("sha256:", 0) == 0 ? text.substr(7) : text;
  for (const auto& r : images) {
    if (r.name == text || r.name == normalized) return r;
  }
  for (const auto& r : images) {
    if (hex.size() >= 12 && (r.config.hex().substr(0, hex.size()) == hex ||
                             r.manifest.hex().substr(0, hex.size()) == hex)) {
      return r;
    }
  }
  return base::Status::Error("no such image: " + text);
}

}  // namespace hull::cli
