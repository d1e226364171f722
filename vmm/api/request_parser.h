// Turns one API request — method, path, body, as the HTTP layer (server.h) read them —
// into an Action (action.h), or into the reason it is not one. Pure: no I/O, no VM
// state; whether an action is allowed *now* is the Controller's business. Endpoints,
// paths and JSON field names are Firecracker's (src/firecracker/swagger/firecracker.yaml).
#pragma once

#include <string>

#include "base/status.h"
#include "vmm/api/action.h"

namespace hull::vmm::api {

struct Request {
  std::string method;  // "GET", "PUT", "PATCH", ...
  std::string path;    // the request target, e.g. "/machine-config"
  std::string body;    // empty when there is none
};

// Errors are one line meant for the client as the fault_message: an unknown path or a
// method the path does not take ("Invalid request method and/or path: PUT /vm."), a
// body where none belongs or none where one is needed, malformed JSON, duplicate or
// unknown fields, wrong types, missing required fields, unknown enum values.
[[nodiscard]] base::Result<Action> ParseRequest(const Request& request);

}  // namespace hull::vmm::api
