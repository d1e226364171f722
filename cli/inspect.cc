// `hull inspect [--type container|image] NAME...`: details as a JSON array, as docker
// inspect prints them — a container (GET /containers/{id}/json) or else an image
// (GET /images/{name}/json) from hulld; in direct mode, images of the local store.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/daemon.h"

namespace hull::cli {

int RunImageInspect(const std::vector<std::string>& args);  // image_inspect.cc

int RunInspect(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::vector<std::string> names;
  std::string type;
  options.add_options()
      ("type", po::value(&type), "container or image (default: whichever has the name, containers first)")
      ("name", po::value(&names)->required()->composing(), "container(s) or image(s)");
  po::positional_options_description positional;
  positional.add("name", -1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull inspect [OPTIONS] NAME [NAME...]", options, positional, vm, common)) {
    return *exit;
  }
  if (!type.empty() && type != "container" && type != "image") {
    std::fprintf(stderr, "hull: --type %s: want container or image\n", type.c_str());
    return kExitUsage;
  }
  auto d = FindDaemon(common);
  if (!d && type != "container") {  // direct mode: the local store's images
    std::vector<std::string> rest = names;
    if (common.root_given) rest.insert(rest.end(), {"--root", common.root});
    return RunImageInspect(rest);
  }
  if (!d) {
    (void)RequireDaemon(common, "inspect --type container");  // prints why not
    return kExitFailure;
  }
  nlohmann::json out = nlohmann::json::array();
  int exit = 0;
  for (const auto& name : names) {
    bool found = false;
    for (const char* kind : {"container", "image"}) {
      if (!type.empty() && type != kind) continue;
      std::string path = std::string(kind) == "container" ? "/containers/" : "/images/";
      auto r = Call(*d, "GET", path + UrlEncode(name) + "/json");
      if (!r.ok()) return ClientError(r.status());
      if (r->status == 404) continue;
      if (r->status != 200) return DaemonError(*r);
      out.push_back(ParseJson(r->body));
      found = true;
      break;
    }
    if (!found) {
      std::fprintf(stderr, "Error: No such %s: %s\n", type.empty() ? "object" : type.c_str(), name.c_str());
      exit = kExitFailure;
    }
  }
  std::printf("%s\n", out.dump(4).c_str());
  return exit;
}

}  // namespace hull::cli
