// Exec: POST /containers/{id}/exec, POST /exec/{id}/start (hijacked stream, or Detach),
// GET /exec/{id}/json, POST /exec/{id}/resize; and POST /containers/{id}/resize (sent
// to the container's monitor). The
// connection's thread relays the client's bytes to the process's stdin and its output
// back (multiplexed frames, or raw with a terminal) until the output ends, then waits
// for the exit status to be recorded, so a client inspecting the exec right after the
// stream ends (docker exec does) sees it.
#include <poll.h>
#include <unistd.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "api/detach_keys.h"
#include "api/routes.h"
#include "api/stream_routes.h"
#include "base/unique_fd.h"
#include "engine/monitor_stdin.h"

namespace hull::api {

using nlohmann::json;

namespace {

// Bytes from the client go to `input` until the client half-closes (then `input` is
// closed: the process reads end of file); output goes to the client until it ends.
// False when the client typed the detach keys first (the streams are left as they are).
bool Relay(ResponseWriter& w, engine::ExecStreams& s, DetachKeyFilter& keys) {
  int client = w.ClientFd();
  std::string early;
  bool detached = keys.Feed(w.TakeBuffered(), &early);
  if (s.input && !early.empty() && !base::WriteFully(s.input.get(), early.data(), early.size()).ok()) {
    s.input.reset();
  }
  if (detached) return false;
  bool reading = s.input.valid() && client >= 0;
  char buf[16384];
  while (s.output || s.errors) {
    pollfd fds[3] = {{reading ? client : -1, POLLIN, 0},
                     {s.output ? s.output.get() : -1, POLLIN, 0},
                     {s.errors ? s.errors.get() : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (fds[0].revents) {
      ssize_t n = ::read(client, buf, sizeof buf);
      std::string in;
      bool detached = n > 0 && keys.Feed(std::string_view(buf, static_cast<size_t>(n)), &in);
      if (n > 0) {
        if (!base::WriteFully(s.input.get(), in.data(), in.size()).ok()) reading = false;
        if (detached) return false;  // what came before the keys is written
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        reading = false;  // the client closed its side: end of file for the process
        s.input.reset();
      }
    }
    base::UniqueFd* streams[2] = {&s.output, &s.errors};
    for (int i = 0; i < 2; ++i) {
      if (!fds[i + 1].revents) continue;
      ssize_t n = ::read(streams[i]->get(), buf, sizeof buf);
      if (n > 0) {
        std::string_view data(buf, static_cast<size_t>(n));
        (void)w.Write(s.tty ? std::string(data) : Frame(i + 1, data));  // a gone client: drain anyway
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        streams[i]->reset();  // end of file; EIO on a terminal whose process has gone
      }
    }
  }
  return true;
}

// After a detach the process runs on with its stdin and terminal held open; its output
// is read and dropped until it ends (as nobody is attached), then everything closes.
void DrainDetached(engine::ExecStreams s) {
  std::thread([s = std::move(s)]() mutable {
    char buf[16384];
    while (s.output || s.errors) {
      pollfd fds[2] = {{s.output ? s.output.get() : -1, POLLIN, 0}, {s.errors ? s.errors.get() : -1, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
      base::UniqueFd* streams[2] = {&s.output, &s.errors};
      for (int i = 0; i < 2; ++i) {
        if (fds[i].revents && ::read(streams[i]->get(), buf, sizeof buf) <= 0 && errno != EINTR) streams[i]->reset();
      }
    }
  }).detach();
}

void CreateExec(ApiContext& ctx, const HttpRequest& req, const std::string& container, ResponseWriter& w) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return SendError(w, 400, "invalid JSON in the request body");
  std::string id;
  engine::Outcome o = ctx.execs.Create(container, body, &id);
  if (!o.ok()) return SendOutcome(w, o);
  SendJson(w, 201, json{{"Id", id}}.dump());
}

void StartExec(ApiContext& ctx, const HttpRequest& req, const std::string& id, ResponseWriter& w) {
  json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return SendError(w, 400, "invalid JSON in the request body");
  json detach_field = body.value("Detach", json());
  if (!detach_field.is_null() && !detach_field.is_boolean()) return SendError(w, 400, "invalid JSON: Detach must be a boolean");
  bool detach = detach_field.is_boolean() && detach_field.get<bool>();
  engine::ExecRecord record;
  if (engine::Outcome o = ctx.execs.Get(id, &record); !o.ok()) return SendOutcome(w, o);
  auto keys = ParseDetachKeys(req.Query("detachKeys", record.config.value("DetachKeys", "")));
  if (!keys.ok()) return SendError(w, 400, keys.status().message());
  engine::ExecStreams s;
  engine::Outcome o = ctx.execs.Start(id, detach, &s);
  if (!o.ok()) return SendOutcome(w, o);
  if (detach) return w.Send(200, "application/json", "");
  if (!w.Hijack(s.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream")) {
    return;
  }
  if (!s.error.empty()) {
    std::string text = s.error + "\r\n";
    (void)w.Write(s.tty ? text : Frame(1, text));
  }
  DetachKeyFilter filter(*keys);
  if (!Relay(w, s, filter)) {
    DrainDetached(std::move(s));
    return w.End();
  }
  while (!ctx.execs.WaitEnded(id, 500) && !w.ClientGone()) {
  }
  w.End();
}

int QueryInt(const HttpRequest& req, const char* key) {
  try {
    return std::stoi(req.Query(key, "0"));
  } catch (...) {
    return -1;
  }
}

// The container's terminal size, through its monitor (monitor_stdin.h).
void ResizeContainer(ApiContext& ctx, const HttpRequest& req, const std::string& ref, ResponseWriter& w) {
  engine::ContainerRecord r;
  if (engine::Outcome o = ctx.engine.Get(ref, &r); !o.ok()) return SendOutcome(w, o);
  int h = QueryInt(req, "h"), width = QueryInt(req, "w");
  if (h < 0 || width < 0) return SendError(w, 400, "invalid resize: h and w must be numbers");
  if (r.state != engine::ContainerState::kRunning) {
    return SendError(w, 409, "Container " + r.id + " is not running");
  }
  if (!r.config.value("Tty", false)) return w.Send(200, "", "");  // no terminal: nothing to size
  auto sent = engine::ConnectMonitor(ctx.engine.ContainerDir(r.id),
                                     "resize " + std::to_string(h) + " " + std::to_string(width));
  if (!sent.ok()) return SendError(w, 500, "cannot resize container " + r.id + ": " + sent.status().message());
  w.Send(200, "", "");
}

}  // namespace

bool RouteExec(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w) {
  bool post = req.method == "POST";
  size_t slash = path.find('/', 1);
  if (slash == std::string::npos) return false;
  std::string area = path.substr(0, slash + 1);
  std::string rest = path.substr(slash + 1);
  size_t next = rest.find('/');
  if (next == std::string::npos || rest.find('/', next + 1) != std::string::npos) return false;
  std::string id = rest.substr(0, next), action = rest.substr(next + 1);
  if (id.empty()) return false;
  if (area == "/containers/") {
    if (post && action == "exec") return CreateExec(ctx, req, id, w), true;
    if (post && action == "resize") return ResizeContainer(ctx, req, id, w), true;
    return false;
  }
  if (area != "/exec/") return false;
  if (post && action == "start") return StartExec(ctx, req, id, w), true;
  if (req.method == "GET" && action == "json") {
    engine::ExecRecord r;
    engine::Outcome o = ctx.execs.Get(id, &r);
    if (!o.ok()) return SendOutcome(w, o), true;
    return SendJson(w, 200, engine::ExecInspectJson(r).dump()), true;
  }
  if (post && action == "resize") {
    int h = QueryInt(req, "h"), width = QueryInt(req, "w");
    if (h < 0 || width < 0) return SendError(w, 400, "invalid resize: h and w must be numbers"), true;
    return SendOutcome(w, ctx.execs.Resize(id, h, width), 201), true;
  }
  return false;
}

}  // namespace hull::api
