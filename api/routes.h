// hulld's routes: Docker Engine API v1.41 paths (with or without a /v1.NN prefix) mapped
// onto the engine and the image store. Each area's router returns false for paths it
// does not own. Called on the connection's thread; the engine does the locking.
#pragma once

#include <string>

#include "api/http_types.h"
#include "engine/engine.h"
#include "engine/exec.h"

namespace hull::api {

struct ApiContext {
  engine::Engine& engine;
  std::string version = "0.1.0";
  engine::ExecStore execs{engine};
};

// Everything: dispatches to the areas, 404 {"message": "page not found"} otherwise.
void Route(ApiContext& ctx, const HttpRequest& req, ResponseWriter& w);

bool RouteSystem(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w);
bool RouteImages(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w);
bool RouteContainers(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w);
// /containers/{id}/exec, /exec/{id}/start|json|resize, /containers/{id}/resize.
bool RouteExec(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w);
// GET /events (events_route.cc).
bool RouteEvents(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w);
// GET /containers/{id}/stats (stats_routes.cc).
bool RouteStats(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w);

// The engine's error kinds as Docker's status codes.
void SendOutcome(ResponseWriter& w, const engine::Outcome& outcome, int ok_status = 204);

// Seconds since the epoch for an RFC 3339 time ("" or unparsable → 0).
int64_t EpochOf(const std::string& rfc3339);

}  // namespace hull::api
