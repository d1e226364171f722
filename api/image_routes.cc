// Images: GET /images/json, GET /images/{name}/json, POST /images/create (pull, with
// Docker's JSON progress stream; import with fromSrc=-), DELETE /images/{name}, POST
// /images/load.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include <nlohmann/json.hpp>

#include "api/list_filters.h"
#include "api/routes.h"
#include "base/logging.h"
#include "engine/images.h"
#include "rootfs-builder/image_builder.h"
#include "rootfs-builder/local_sources.h"
#include "rootfs-builder/pull.h"
#include "rootfs-builder/reference.h"

namespace hull::api {

using nlohmann::json;

namespace {

std::string Familiar(const std::string& name) { return FamiliarName(name); }

json RepoTags(const rootfs::ImageRecord& r) {
  if (IsDanglingImage(r)) return json::array({"<none>:<none>"});
  return json::array({Familiar(r.name)});
}

json SummaryJson(const rootfs::ImageRecord& r) {
  return json{{"Id", r.config.str()}, {"ParentId", ""}, {"RepoTags", RepoTags(r)},
              {"RepoDigests", json::array()}, {"Created", EpochOf(r.created)}, {"Size", r.size},
              {"SharedSize", -1}, {"VirtualSize", r.size}, {"Labels", json::object()}, {"Containers", -1}};
}

json InspectJson(const rootfs::ImageRecord& r, const rootfs::StoredImage& image) {
  const auto& d = image.config.defaults;
  json ports = json::object(), volumes = json::object(), layers = json::array();
  for (const auto& p : d.exposed_ports) ports[p] = json::object();
  for (const auto& v : d.volumes) volumes[v] = json::object();
  for (const auto& l : image.config.diff_ids) layers.push_back(l.str());
  json config{{"Entrypoint", d.entrypoint.empty() ? json(nullptr) : json(d.entrypoint)},
              {"Cmd", d.cmd.empty() ? json(nullptr) : json(d.cmd)}, {"Env", d.env},
              {"WorkingDir", d.working_dir}, {"User", d.user}, {"ExposedPorts", ports},
              {"Volumes", volumes}, {"StopSignal", d.stop_signal}, {"Labels", d.labels}};
  return json{{"Id", r.config.str()}, {"RepoTags", RepoTags(r)}, {"RepoDigests", json::array()},
              {"Parent", ""}, {"Comment", ""}, {"Created", image.config.created},
              {"Container", ""}, {"DockerVersion", ""}, {"Author", ""}, {"Config", config},
              {"Architecture", image.config.architecture}, {"Os", image.config.os},
              {"Size", r.size}, {"VirtualSize", r.size},
              {"GraphDriver", {{"Name", "overlay"}, {"Data", json::object()}}},
              {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
              {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}};
}

void ListImages(ApiContext& ctx, const HttpRequest& req, ResponseWriter& w) {
  auto images = ctx.engine.store().ListImages();
  if (!images.ok()) return SendError(w, 500, images.status().message());
  auto kept = FilterImages(ctx.engine.store(), std::move(*images), req.Query("filters"));
  if (!kept.ok()) {
    std::string message = kept.status().message();
    return SendError(w, message.rfind("No such image", 0) == 0 ? 404 : 400, message);
  }
  json out = json::array();
  for (const auto& r : *kept) out.push_back(SummaryJson(r));
  SendJson(w, 200, out.dump());
}

void InspectImage(ApiContext& ctx, const std::string& name, ResponseWriter& w) {
  auto record = engine::FindImage(ctx.engine.store(), name);
  if (!record.ok()) return SendError(w, 404, record.status().message());
  auto image = rootfs::ReadStoredImage(ctx.engine.store(), record->manifest);
  if (!image.ok()) return SendError(w, 500, image.status().message());
  SendJson(w, 200, InspectJson(*record, *image).dump());
}

// Docker's image events: Actor.ID is the reference (pull, load) or the image ID
// (untag, delete, import), Attributes.name the familiar name.
void PublishImageEvent(ApiContext& ctx, const std::string& action, const std::string& id,
                       const std::string& name) {
  ctx.engine.events().Publish(
      engine::Event{.type = "image", .action = action, .id = id, .attributes = {{"name", name}}});
}

void RemoveImage(ApiContext& ctx, const HttpRequest& req, const std::string& name, ResponseWriter& w) {
  const auto& store = ctx.engine.store();
  auto record = engine::FindImage(store, name);
  if (!record.ok()) return SendError(w, 404, record.status().message());
  if (ctx.engine.ImageInUse(record->config.str())) {
    return SendError(w, 409, "conflict: unable to remove repository reference \"" + name +
                                 "\" - a container is using its referenced image " + record->config.str() +
                                 (req.QueryBool("force") ? " (hulld does not remove images in use even with force)" : ""));
  }
  auto removed = store.RemoveImage(record->name);
  if (!removed.ok()) return SendError(w, 500, removed.status().message());
  auto lock = store.LockExclusive();
  if (!lock.ok()) return SendError(w, 500, lock.status().message());
  if (auto gc = store.CollectGarbage(); !gc.ok()) return SendError(w, 500, gc.message());
  PublishImageEvent(ctx, "untag", record->config.str(), Familiar(record->name));
  PublishImageEvent(ctx, "delete", record->config.str(), Familiar(record->name));
  json out = json::array({{{"Untagged", Familiar(record->name)}}, {{"Deleted", record->config.str()}}});
  SendJson(w, 200, out.dump());
}

// Docker's pull progress lines, from rootfs-builder's progress callbacks.
class JsonProgress : public rootfs::PullProgress {
 public:
  explicit JsonProgress(ResponseWriter& w) : w_(w) {}
  void Line(const json& j) { w_.Write(j.dump() + "\r\n"); }
  void Note(std::string_view text) override { Line({{"status", std::string(text)}}); }
  void BlobStart(const rootfs::Digest& d, std::string_view, int64_t size) override {
    sizes_[std::string(d.hex())] = size;
    Line({{"status", "Pulling fs layer"}, {"progressDetail", json::object()}, {"id", std::string(d.hex()).substr(0, 12)}});
  }
  void BlobBytes(const rootfs::Digest& d, uint64_t done) override {
    uint64_t& last = reported_[std::string(d.hex())];
    if (done - last < (1u << 20)) return;
    last = done;
    Line({{"status", "Downloading"}, {"progressDetail", {{"current", done}, {"total", sizes_[std::string(d.hex())]}}},
          {"id", std::string(d.hex()).substr(0, 12)}});
  }
  void BlobDone(const rootfs::Digest& d, bool present) override {
    Line({{"status", present ? "Already exists" : "Pull complete"}, {"progressDetail", json::object()},
          {"id", std::string(d.hex()).substr(0, 12)}});
  }

 private:
  ResponseWriter& w_;
  std::map<std::string, int64_t> sizes_;
  std::map<std::string, uint64_t> reported_;
};

// POST /images/create?fromSrc=-&repo=R&tag=T: the body is a root filesystem tarball
// (plain or compressed), imported as a one-layer image named R:T, as `docker import`
// does; the answer is Docker's one JSON line {"status": "sha256:<image ID>"}.
void ImportImage(ApiContext& ctx, const HttpRequest& req, ResponseWriter& w) {
  if (req.Query("fromSrc") != "-") {
    return SendError(w, 400, "import from a URL is not supported by hulld: send the tarball as the body (fromSrc=-)");
  }
  if (!req.Query("changes").empty()) return SendError(w, 400, "import --change is not supported by hulld yet");
  std::string repo = req.Query("repo"), tag = req.Query("tag");
  if (repo.empty()) return SendError(w, 400, "hulld names every imported image: give a repository (repo=NAME)");
  std::string name = repo + (tag.empty() ? "" : ":" + tag);
  if (auto ref = rootfs::ParseReference(name); !ref.ok()) {
    return SendError(w, 400, "invalid reference format: " + ref.status().message());
  }
  const auto& store = ctx.engine.store();
  auto dir = store.MakeTempDir("import");
  if (!dir.ok()) return SendError(w, 500, dir.status().message());
  std::string path = *dir + "/rootfs.tar";
  base::Status written = [&]() -> base::Status {
    ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
    return base::WriteFully(fd.get(), req.body.data(), req.body.size());
  }();
  auto imported = written.ok() ? rootfs::ImportRootfs(store, path, name) : base::Result<rootfs::ImageRecord>(written);
  std::error_code ec;
  std::filesystem::remove_all(*dir, ec);
  if (!imported.ok()) return SendError(w, written.ok() ? 400 : 500, imported.status().message());
  PublishImageEvent(ctx, "import", imported->config.str(), Familiar(imported->name));
  w.Send(200, "application/json", json{{"status", imported->config.str()}}.dump() + "\r\n");
}

void PullImage(ApiContext& ctx, const HttpRequest& req, ResponseWriter& w) {
  if (req.query.count("fromSrc")) return ImportImage(ctx, req, w);
  std::string from = req.Query("fromImage");
  if (from.empty()) return SendError(w, 400, "fromImage is required");
  std::string tag = req.Query("tag");
  std::string ref = from;
  if (!tag.empty()) ref += (tag.rfind("sha256:", 0) == 0 ? "@" : ":") + tag;
  auto parsed = rootfs::ParseReference(ref);
  if (!parsed.ok()) return SendError(w, 400, "invalid reference format: " + parsed.status().message());
  if (!w.StartStream(200, "application/json")) return;
  JsonProgress progress(w);
  progress.Line({{"status", "Pulling from " + Familiar(parsed->str())}, {"id", tag.empty() ? "latest" : tag}});
  rootfs::PullOptions options;
  auto pulled = rootfs::Pull(ctx.engine.store(), parsed->str(), options, &progress);
  if (!pulled.ok()) {
    std::string message = pulled.status().message();
    HULL_LOG(kInfo) << "pull " << ref << ": " << message;
    progress.Line({{"errorDetail", {{"message", message}}}, {"error", message}});
  } else {
    PublishImageEvent(ctx, "pull", Familiar(parsed->str()), Familiar(parsed->str()));
    progress.Line({{"status", "Digest: " + pulled->manifest.str()}});
    progress.Line({{"status", "Status: Downloaded newer image for " + Familiar(parsed->str())}});
  }
  w.End();
}

void LoadImages(ApiContext& ctx, const HttpRequest& req, ResponseWriter& w) {
  const auto& store = ctx.engine.store();
  auto dir = store.MakeTempDir("load");
  if (!dir.ok()) return SendError(w, 500, dir.status().message());
  std::string path = *dir + "/image.tar";
  {
    auto fd = base::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd.ok()) return SendError(w, 500, fd.status().message());
    if (auto s = base::WriteFully(fd->get(), req.body.data(), req.body.size()); !s.ok()) {
      return SendError(w, 500, s.message());
    }
  }
  auto loaded = rootfs::LoadImages(store, path, rootfs::LoadOptions{});
  std::error_code ec;
  std::filesystem::remove_all(*dir, ec);
  if (!loaded.ok()) return SendError(w, 400, loaded.status().message());
  std::string out;
  for (const auto& r : *loaded) {
    std::string name = RepoTags(r)[0];
    PublishImageEvent(ctx, "load", name == "<none>:<none>" ? r.config.str() : name, name);
    std::string text = name == "<none>:<none>" ? "Loaded image ID: " + r.config.str() : "Loaded image: " + name;
    out += json{{"stream", text + "\n"}}.dump() + "\r\n";
  }
  w.Send(200, "application/json", out);
}

}  // namespace

bool RouteImages(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w) {
  const std::string prefix = "/images/";
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  std::string rest = path.substr(prefix.size());
  if (req.method == "GET" && rest == "json") {
    ListImages(ctx, req, w);
  } else if (req.method == "POST" && rest == "create") {
    PullImage(ctx, req, w);
  } else if (req.method == "POST" && rest == "load") {
    LoadImages(ctx, req, w);
  } else if (req.method == "GET" && rest.size() > 5 && rest.substr(rest.size() - 5) == "/json") {
    InspectImage(ctx, rest.substr(0, rest.size() - 5), w);
  } else if (req.method == "DELETE" && !rest.empty()) {
    RemoveImage(ctx, req, rest, w);
  } else {
    return false;
  }
  return true;
}

}  // namespace hull::api
