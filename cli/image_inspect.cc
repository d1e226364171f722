// `hull image inspect REF`: an image's details as JSON, in the shape of
// `docker image inspect` (Id, RepoTags, Config, RootFS, ...) plus hull's own
// root filesystem outputs.
#include <sys/stat.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "rootfs-builder/image_builder.h"

namespace hull::cli {

int RunImageInspect(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::vector<std::string> refs;
  options.add_options()("image", po::value(&refs)->required()->composing(), "image(s)");
  po::positional_options_description positional;
  positional.add("image", -1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull image inspect IMAGE...", options, positional, vm, common)) {
    return *exit;
  }
  auto store = OpenStore(common);
  if (!store.ok()) return Fail(store.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& ref : refs) {
    auto record = FindImage(*store, ref);
    if (!record.ok()) return Fail(record.status());
    auto image = rootfs::ReadStoredImage(*store, record->manifest);
    if (!image.ok()) return Fail(image.status());
    const rootfs::ContainerDefaults& d = image->config.defaults;
    nlohmann::json ports = nlohmann::json::object(), volumes = nlohmann::json::object();
    for (const auto& p : d.exposed_ports) ports[p] = nlohmann::json::object();
    for (const auto& v : d.volumes) volumes[v] = nlohmann::json::object();
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : image->config.diff_ids) layers.push_back(l.str());
    std::string dir = store->RootfsDir(record->chain_id);
    struct stat st {};
    bool has_ext4 = ::stat((dir + "/rootfs.ext4").c_str(), &st) == 0;
    out.push_back({
        {"Id", record->config.str()},
        {"RepoTags", record->name.rfind("sha256:", 0) == 0 ? nlohmann::json::array()
                                                            : nlohmann::json::array({record->name})},
        {"RepoDigests", nlohmann::json::array()},
        {"Created", image->config.created},
        {"Architecture", image->config.architecture},
        {"Os", image->config.os},
        {"Size", record->size},
        {"Config",
         {{"Entrypoint", d.entrypoint.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.entrypoint)},
          {"Cmd", d.cmd.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.cmd)},
          {"Env", d.env},
          {"WorkingDir", d.working_dir},
          {"User", d.user},
          {"ExposedPorts", ports},
          {"Volumes", volumes},
          {"StopSignal", d.stop_signal},
          {"Labels", d.labels}}},
        {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
        {"Hull",
         {{"ManifestDigest", record->manifest.str()},
          {"IndexDigest", record->index.empty() ? "" : record->index.str()},
          {"ChainID", record->chain_id.str()},
          {"Tree", dir + "/tree"},
          {"Ext4", has_ext4 ? dir + "/rootfs.ext4" : ""}}},
    });
  }
  std::printf("%s\n", out.dump(4).c_str());
  return 0;
}

}  // namespace hull::cli
