// GET /containers/{id}/logs and POST /containers/{id}/attach: a container's json-file
// log as Docker's stream — raw for a TTY container, otherwise multiplexed frames
// (8-byte header: stream 1|2, three zero bytes, big-endian length). Followers poll the
// log and the engine's state; they end when the container has exited and the log is
// drained, or when the client goes away. Attach with stdin=1 to a container with
// OpenStdin also relays the client's bytes to it through its monitor
// (engine/monitor_stdin.h), on a second thread that ends with the stream. Called on the
// connection's thread.
#pragma once

#include <string>

#include "api/routes.h"

namespace hull::api {

void ServeLogs(ApiContext& ctx, const HttpRequest& req, const std::string& id, ResponseWriter& w);
void ServeAttach(ApiContext& ctx, const HttpRequest& req, const std::string& id, ResponseWriter& w);

// One multiplexed frame (stream 1 = stdout, 2 = stderr).
std::string Frame(int stream, std::string_view payload);

}  // namespace hull::api
