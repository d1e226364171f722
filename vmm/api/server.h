// ApiServer: hull-vmm's per-VM API over HTTP/1.1 on a Unix socket (--api-sock), with
// Boost.Beast on Boost.Asio. It owns the listening socket, its file, and one thread
// (the API thread) that reads requests, has request_parser.h turn each into an Action,
// hands it to the Controller and writes the Reply back (204, 200 with JSON, or 400
// with {"fault_message": ...}). No HTTP type leaves this unit.
//
// Created and stopped by main(); the Controller must outlive it.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "vmm/api/action.h"
#include "vmm/api/controller.h"
#include "vmm/api/request_parser.h"

namespace hull::vmm::api {

// Parses `request` and applies it: what the server does with every request, kept apart
// from the socket so tests can drive it directly.
Reply HandleRequest(Controller& controller, const Request& request);

class ApiServer {
 public:
  // Creates the socket at `path` with mode 0600 and starts the API thread. Refuses a
  // path that another process is listening on, and anything there that is not a
  // socket; a stale socket file (nobody listening) is replaced. Call before any thread
  // that must not see the umask change made while binding.
  static base::Result<std::unique_ptr<ApiServer>> Start(const std::string& path,
                                                        Controller& controller);
  ~ApiServer();  // Stop()
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Stops serving, joins the API thread and removes the socket file (if it is still
  // ours). A request in flight is finished first. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hull::vmm::api
