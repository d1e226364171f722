// `hull attach [--detach-keys K] [--no-stdin] [--sig-proxy=false] CONTAINER`, as `docker
// attach`: the running container's output (and our stdin when it has OpenStdin) until it
// exits — then its exit status — or until the detach keys (ctrl-p,ctrl-q) are typed,
// which leaves it running. hulld only.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/daemon.h"
#include "cli/daemon_run.h"

namespace hull::cli {

int RunAttach(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string container;
  AttachOptions a;
  bool no_stdin = false;
  options.add_options()
      ("container", po::value(&container)->required(), "container")
      ("detach-keys", po::value(&a.detach_keys), "keys that detach, leaving the container running (ctrl-p,ctrl-q)")
      ("no-stdin", po::bool_switch(&no_stdin), "do not attach stdin")
      ("sig-proxy", po::value(&a.sig_proxy)->implicit_value(true), "forward signals to the container (true; not with a tty)");
  po::positional_options_description positional;
  positional.add("container", 1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull attach [OPTIONS] CONTAINER", options, positional, vm, common)) {
    return *exit;
  }
  auto d = RequireDaemon(common, "attach");
  if (!d) return kExitFailure;
  auto inspect = InspectContainer(*d, container);
  if (!inspect) return kExitFailure;
  nlohmann::json& j = *inspect;
  if (!j["State"].value("Running", false)) {
    std::fprintf(stderr, "You cannot attach to a stopped container, start it first\n");
    return kExitFailure;
  }
  a.start = false;
  a.tty = j["Config"].value("Tty", false);
  a.send_stdin = !no_stdin && j["Config"].value("OpenStdin", false);
  a.auto_remove = j["HostConfig"].value("AutoRemove", false);
  return AttachStartWait(*d, j.value("Id", container), a, kExitFailure);
}

}  // namespace hull::cli
