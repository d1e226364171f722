#include "cli/daemon_run.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/detach_keys.h"
#include "cli/attach_stream.h"

namespace hull::cli {

namespace {

using api::ClientConnection;
using nlohmann::json;

// POST /containers/create, pulling the image once if hulld does not have it.
std::optional<std::string> Create(const Daemon& d, const RunOptions& o) {
  auto body = CreateBody(o);
  if (!body.ok()) return ClientError(body.status()), std::nullopt;
  std::string target = "/containers/create";
  if (!o.name.empty()) target += "?name=" + UrlEncode(o.name);
  for (int attempt = 0;; ++attempt) {
    auto r = Call(d, "POST", target, *body);
    if (!r.ok()) return ClientError(r.status()), std::nullopt;
    if (r->status == 201) {
      auto j = ParseJson(r->body);
      if (j.is_object() && j.value("Id", "") != "") return j["Id"].get<std::string>();
      std::fprintf(stderr, "hull: hulld answered create without an Id\n");
      return std::nullopt;
    }
    if (attempt == 0 && r->status == 404 && ErrorMessage(*r).rfind("No such image", 0) == 0) {
      std::fprintf(stderr, "Unable to find image '%s' locally\n", o.spec.image.c_str());
      if (!DaemonPull(d, o.spec.image, false)) return std::nullopt;
      continue;
    }
    DaemonError(*r);
    return std::nullopt;
  }
}

// A request whose response headers arrive now and whose body arrives later (wait).
std::optional<ClientConnection> Open(const Daemon& d, const std::string& method, const std::string& target,
                                     bool upgrade, int want_status) {
  auto c = ClientConnection::Connect(d.socket);
  if (!c.ok()) return ClientError(c.status()), std::nullopt;
  if (auto s = c->Send(method, "/v1.41" + target, "", upgrade); !s.ok()) return ClientError(s), std::nullopt;
  auto status = c->ReadHeader();
  if (!status.ok()) return ClientError(status.status()), std::nullopt;
  if (*status != want_status && !(upgrade && *status == 200)) {
    auto body = c->ReadAll();
    DaemonError(api::ClientResponse{*status, body.ok() ? *body : ""});
    return std::nullopt;
  }
  return std::move(*c);
}

}  // namespace

bool DaemonPull(const Daemon& d, const std::string& reference, bool quiet) {
  auto c = Open(d, "POST", "/images/create?fromImage=" + UrlEncode(reference), false, 200);
  if (!c) return false;
  std::string pending;
  bool ok = true;
  for (;;) {
    auto piece = c->ReadSome();
    if (!piece.ok()) return ClientError(piece.status()), false;
    if (*piece) pending += **piece;
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos || (!*piece && !pending.empty())) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl == std::string::npos ? std::string::npos : nl + 1);
      json j = ParseJson(line);
      if (!j.is_object()) continue;
      if (j.contains("error")) {
        std::fprintf(stderr, "Error response from daemon: %s\n", j.value("error", "").c_str());
        ok = false;
      } else if (!quiet && j.value("status", "") != "Downloading") {
        std::string id = j.value("id", "");
        std::fprintf(stderr, "%s%s\n", id.empty() ? "" : (id + ": ").c_str(), j.value("status", "").c_str());
      }
    }
    if (!*piece) return ok;
  }
}

int AttachStartWait(const Daemon& d, const std::string& id, const AttachOptions& a, int failure_exit) {
  std::string query = "?stream=1&stdout=1&stderr=1";
  if (a.send_stdin) query += "&stdin=1";
  auto keys = api::ParseDetachKeys(a.detach_keys);
  if (!keys.ok()) return ClientError(keys.status(), failure_exit);
  if (!a.detach_keys.empty()) query += "&detachKeys=" + UrlEncode(a.detach_keys);
  auto attach = Open(d, "POST", "/containers/" + id + "/attach" + query, /*upgrade=*/true, 101);
  if (!attach) return failure_exit;
  // In place before start, so that a quick exit (and --rm's removal) is not missed.
  auto wait = Open(d, "POST", "/containers/" + id + "/wait?condition=" + (a.auto_remove ? "removed" : "next-exit"),
                   false, 200);
  if (!wait) return failure_exit;
  if (a.start) {
    auto started = Call(d, "POST", "/containers/" + id + "/start");
    if (!started.ok()) return ClientError(started.status(), failure_exit);
    if (started->status != 204 && started->status != 304) return DaemonError(*started, failure_exit);
  }

  RelayOptions relay;
  relay.tty = a.tty;
  relay.send_stdin = a.send_stdin;
  bool detached = false;
  relay.detach_keys = *keys;
  relay.detached = &detached;
  relay.on_resize = [&](int rows, int cols) {
    (void)Call(d, "POST", "/containers/" + id + "/resize?h=" + std::to_string(rows) + "&w=" + std::to_string(cols));
  };
  if (a.sig_proxy && !a.tty) {
    relay.on_signal = [&](int signal) {
      auto r = Call(d, "POST", "/containers/" + id + "/kill?signal=" + std::to_string(signal));
      if (r.ok() && r->status >= 400) DaemonError(*r);
    };
  }
  if (auto s = RelayHijacked(attach->fd(), attach->TakeBuffered(), relay); !s.ok()) {
    return ClientError(s, failure_exit);
  }
  if (detached) return 0;  // the container runs on
  auto result = wait->ReadAll();
  if (!result.ok()) return ClientError(result.status(), failure_exit);
  json j = ParseJson(*result);
  if (!j.is_object() || !j.contains("StatusCode")) {
    std::fprintf(stderr, "hull: unexpected wait result from hulld: %s\n", result->c_str());
    return failure_exit;
  }
  if (j.contains("Error") && j["Error"].is_object()) {
    std::fprintf(stderr, "hull: %s\n", j["Error"].value("Message", "").c_str());
    return failure_exit;
  }
  return j["StatusCode"].get<int>();
}

int DaemonCreate(const Daemon& d, const RunOptions& o) {
  auto id = Create(d, o);
  if (!id) return kExitRunFailure;
  std::printf("%s\n", id->c_str());
  return 0;
}

int DaemonRun(const Daemon& d, const RunOptions& o) {
  auto id = Create(d, o);
  if (!id) return kExitRunFailure;
  if (o.detach) {
    auto started = Call(d, "POST", "/containers/" + *id + "/start");
    if (!started.ok()) return ClientError(started.status(), kExitRunFailure);
    if (started->status != 204) return DaemonError(*started, kExitRunFailure);
    std::printf("%s\n", id->c_str());
    return 0;
  }
  AttachOptions a;
  a.tty = o.spec.tty;
  a.send_stdin = o.spec.interactive;
  a.sig_proxy = o.sig_proxy;
  a.auto_remove = o.spec.remove;
  a.detach_keys = o.detach_keys;
  return AttachStartWait(d, *id, a, kExitRunFailure);
}

}  // namespace hull::cli
