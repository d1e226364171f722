// GET /containers/{id}/stats: Docker's StatsJSON (engine/stats.h), one object per second
// while `stream` (the default), else one: with `one-shot` at once (precpu zeros), without
// it after a second so that CPU percentages can be computed, as Docker does. A stopped
// container answers Docker's zeroed object. For a micro-VM under hull-vmm the per-VM
// API's GET /metrics (its socket in the VM's work directory) adds block and network
// counters and the "hull" extension. Called on the connection's thread.
#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/client.h"
#include "api/routes.h"
#include "engine/stats.h"

namespace hull::api {
namespace {

using json = nlohmann::json;

// hull-vmm's API socket for the VM of container `id`: api.sock in the VM's files
// directory, ROOT/vm/<12 hex>/<work dir>/ (or its vm/ when jailed; runtime/vm), or ""
// when there is none (qemu, a hull-vmm started without --api-sock, the VM is gone).
std::string VmmApiSocket(const engine::EngineOptions& options, const std::string& id) {
  std::error_code ec;
  const std::filesystem::path vm_dir = options.root + "/vm/" + id.substr(0, 12);
  try {  // the VM may end while we look
    for (const auto& entry : std::filesystem::directory_iterator(vm_dir, ec)) {
      for (const char* sub : {"api.sock", "vm/api.sock"}) {
        std::filesystem::path sock = entry.path() / sub;
        if (std::filesystem::is_socket(sock, ec)) return sock.string();
      }
    }
  } catch (const std::filesystem::filesystem_error&) {
  }
  return "";
}

class Sampler {
 public:
  Sampler(ApiContext& ctx, std::string id) : ctx_(ctx), id_(std::move(id)) {}

  // False when the container is gone.
  bool Take(engine::StatsSample* sample, engine::ContainerRecord* record) {
    if (!ctx_.engine.Get(id_, record).ok()) return false;
    const auto& options = ctx_.engine.options();
    engine::StatsPlace place{options.cgroup_root, options.cgroup_parent + "/" + record->id,
                             ctx_.engine.ContainerDir(record->id)};
    *sample = engine::SampleContainer(place, *record);
    if (sample->running && record->runtime == "vm") {
      std::string sock = VmmApiSocket(options, record->id);
      if (!sock.empty()) {
        auto r = Request(sock, "GET", "/metrics", "", 1000);
        if (r.ok() && r->status == 200) {
          engine::ApplyVmmMetrics(json::parse(r->body, nullptr, false), sample);
        }
      }
    }
    return true;
  }

 private:
  ApiContext& ctx_;
  std::string id_;
};

// Sleeps `ms`, waking early when the client has gone; false then.
bool Pause(ResponseWriter& w, int ms) {
  for (int slept = 0; slept < ms; slept += 100) {
    if (w.ClientGone()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return !w.ClientGone();
}

void ServeStats(ApiContext& ctx, const HttpRequest& req, const std::string& ref,
                ResponseWriter& w) {
  engine::ContainerRecord record;
  if (engine::Outcome o = ctx.engine.Get(ref, &record); !o.ok()) return SendOutcome(w, o);
  Sampler sampler(ctx, record.id);
  engine::StatsSample prev, now;
  const bool stream = req.QueryBool("stream", true);
  if (!stream) {
    if (!req.QueryBool("one-shot")) {
      if (!sampler.Take(&prev, &record)) return SendError(w, 404, "No such container: " + ref);
      if (prev.running && !Pause(w, 1000)) return;
    }
    if (!sampler.Take(&now, &record)) return SendError(w, 404, "No such container: " + ref);
    return SendJson(w, 200, engine::DockerStatsJson(record, now, prev).dump());
  }
  if (!w.StartStream(200, "application/json")) return;
  while (sampler.Take(&now, &record)) {
    if (!w.Write(engine::DockerStatsJson(record, now, prev).dump() + "\n")) return;
    prev = now;
    if (!Pause(w, 1000)) return;
  }
  w.End();
}

}  // namespace

bool RouteStats(ApiContext& ctx, const HttpRequest& req, const std::string& path,
                ResponseWriter& w) {
  const std::string prefix = "/containers/", suffix = "/stats";
  if (req.method != "GET" || path.size() <= prefix.size() + suffix.size() ||
      path.compare(0, prefix.size(), prefix) != 0 ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  std::string id = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (id.empty() || id.find('/') != std::string::npos) return false;
  ServeStats(ctx, req, id, w);
  return true;
}

}  // namespace hull::api
