// How the hull CLI reaches hulld: the choice between daemon mode (hulld listens on its
// socket) and direct mode (nothing listens, or the --root flag names a local store),
// and the calls and error texts every daemon-mode command shares. The choice costs one
// connect(2) on a Unix socket, and none when --root is given. Main thread only.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "api/client.h"
#include "cli/command.h"

namespace hull::cli {

struct Daemon {
  std::string socket;
};

// The hulld to talk to, or nullopt for direct mode.
std::optional<Daemon> FindDaemon(const CommonOptions& common);

// For commands that only hulld can do: the daemon, or nullopt after printing that hulld
// is not running and how to start it.
std::optional<Daemon> RequireDaemon(const CommonOptions& common, const std::string& command);

// One request, waiting as long as hulld takes; an error only when hulld cannot be reached.
base::Result<api::ClientResponse> Call(const Daemon& d, const std::string& method,
                                       const std::string& target, const std::string& body = "");

// `method target` (a /v1.41 path) on a connection of its own, its response header read:
// the connection, ready for ReadSome(), when hulld answers 200; otherwise nullopt after
// printing why (hulld's message, or that it could not be reached).
std::optional<api::ClientConnection> OpenStream(const Daemon& d, const std::string& method,
                                                const std::string& target);

// GET /containers/NAME/json: the container's inspect object, or nullopt after printing
// why (hulld's "No such container: NAME", or that hulld could not be reached).
std::optional<nlohmann::json> InspectContainer(const Daemon& d, const std::string& name);

// hulld's {"message"} from an error response.
std::string ErrorMessage(const api::ClientResponse& r);
// Prints Docker's "Error response from daemon: MESSAGE" and returns `exit`.
int DaemonError(const api::ClientResponse& r, int exit = kExitFailure);
// Prints "hull: MESSAGE" for a failure to reach hulld and returns `exit`.
int ClientError(const base::Status& s, int exit = kExitFailure);

// A query-string value, percent-encoded.
std::string UrlEncode(const std::string& text);

// The response body as JSON (discarded on a parse error).
nlohmann::json ParseJson(const std::string& text);

}  // namespace hull::cli
