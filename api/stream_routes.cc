#include "api/stream_routes.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <thread>

#include "api/detach_keys.h"
#include "engine/json_log.h"
#include "engine/monitor_stdin.h"

namespace hull::api {

using engine::ContainerRecord;
using engine::ContainerState;

std::string Frame(int stream, std::string_view payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  uint32_t n = static_cast<uint32_t>(payload.size());
  out[4] = static_cast<char>(n >> 24);
  out[5] = static_cast<char>(n >> 16);
  out[6] = static_cast<char>(n >> 8);
  out[7] = static_cast<char>(n);
  out.append(payload);
  return out;
}

namespace {

struct StreamOptions {
  bool stdout_wanted = true, stderr_wanted = true, timestamps = false, tty = false;
};

// Sends one entry if its stream is wanted; false when the client has gone.
bool Emit(ResponseWriter& w, const StreamOptions& o, const engine::LogEntry& e) {
  bool is_err = e.stream == "stderr";
  if ((is_err && !o.stderr_wanted) || (!is_err && !o.stdout_wanted)) return true;
  std::string text = o.timestamps ? e.time + " " + e.text : e.text;
  return w.Write(o.tty ? text : Frame(is_err ? 2 : 1, text));
}

// Follows the log until the container is no longer created/running and the log is
// drained, or the client has gone.
void Follow(ApiContext& ctx, const std::string& id, engine::JsonLogReader& reader,
            const StreamOptions& o, ResponseWriter& w, const std::atomic<bool>* detached = nullptr) {
  for (;;) {
    if (detached && *detached) return;  // the client typed its detach keys
    ContainerRecord r;
    bool done = !ctx.engine.Get(id, &r).ok() ||
                (r.state != ContainerState::kRunning && r.state != ContainerState::kCreated);
    while (auto e = reader.Next()) {
      if (!Emit(w, o, *e)) return;
    }
    if (done || w.ClientGone()) return;  // done was read before draining: nothing is lost
    ctx.engine.WaitForChange(id, 100);
  }
}

// The client's bytes to the container's stdin, through its monitor (monitor_stdin.h),
// until the client closes its side (then the monitor's connection is half-closed too:
// with StdinOnce the container reads end of file) or `done`, or until the client types
// the detach keys: then `detached`, and the monitor is told first, so the container's
// stdin stays open for a later attach. The monitor may not be
// there yet (docker run attaches before it starts the container): until it is, the
// client's bytes wait in the socket.
void RelayStdin(ApiContext& ctx, const std::string& id, ResponseWriter& w, const std::atomic<bool>& done,
                DetachKeyFilter keys, std::atomic<bool>& detached) {
  std::string dir = ctx.engine.ContainerDir(id);
  base::UniqueFd monitor;
  while (!done) {
    auto fd = engine::ConnectMonitor(dir, "stdin");
    if (fd.ok()) {
      monitor = std::move(*fd);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!monitor) return;
  auto forward = [&](std::string_view data) {
    std::string out;
    if (keys.Feed(data, &out)) detached = true;
    return base::WriteFully(monitor.get(), out.data(), out.size()).ok();
  };
  if (!forward(w.TakeBuffered())) return;
  int client = w.ClientFd();
  char buf[16384];
  while (!done && client >= 0) {
    pollfd p{client, POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    if (n <= 0) continue;
    ssize_t got = ::read(client, buf, sizeof buf);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) break;  // the client closed its side (or went away)
    if (!forward(std::string_view(buf, static_cast<size_t>(got)))) return;
    if (detached) break;
  }
  if (detached) {
    // Acknowledged (the monitor closes the connection) before this one ends.
    if (auto note = engine::ConnectMonitor(dir, "detach"); note.ok()) {
      char c;
      pollfd p{note->get(), POLLIN, 0};
      if (::poll(&p, 1, 2000) > 0) (void)!::read(note->get(), &c, 1);
    }
    return;
  }
  ::shutdown(monitor.get(), SHUT_WR);
}

}  // namespace

void ServeLogs(ApiContext& ctx, const HttpRequest& req, const std::string& id, ResponseWriter& w) {
  ContainerRecord r;
  if (engine::Outcome o = ctx.engine.Get(id, &r); !o.ok()) return SendOutcome(w, o);
  StreamOptions o;
  o.stdout_wanted = req.QueryBool("stdout");
  o.stderr_wanted = req.QueryBool("stderr");
  o.timestamps = req.QueryBool("timestamps");
  o.tty = r.config.value("Tty", false);
  if (!o.stdout_wanted && !o.stderr_wanted) {
    return SendError(w, 400, "Bad parameters: you must choose at least one stream");
  }
  std::string tail = req.Query("tail", "all");
  long keep = -1;
  if (tail != "all" && !tail.empty()) {
    try {
      keep = std::stol(tail);
    } catch (...) {
      return SendError(w, 400, "invalid tail: " + tail);
    }
  }
  int64_t since = 0;
  try {
    since = req.Query("since").empty() ? 0 : std::stoll(req.Query("since"));
  } catch (...) {
    return SendError(w, 400, "invalid since: " + req.Query("since"));
  }
  if (!w.StartStream(200, o.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.raw-stream")) return;
  auto reader = engine::JsonLogReader::Open(r.log_path, false);
  std::deque<engine::LogEntry> backlog;
  while (auto e = reader.Next()) {
    if (since > 0 && EpochOf(e->time) < since) continue;
    backlog.push_back(*e);
    if (keep >= 0 && static_cast<long>(backlog.size()) > keep) backlog.pop_front();
  }
  for (const auto& e : backlog) {
    if (!Emit(w, o, e)) return;
  }
  if (req.QueryBool("follow")) Follow(ctx, r.id, reader, o, w);
  w.End();
}

void ServeAttach(ApiContext& ctx, const HttpRequest& req, const std::string& id, ResponseWriter& w) {
  ContainerRecord r;
  if (engine::Outcome o = ctx.engine.Get(id, &r); !o.ok()) return SendOutcome(w, o);
  if (r.state != ContainerState::kRunning && r.state != ContainerState::kCreated) {
    return SendError(w, 409, "You cannot attach to a stopped container, start it first");
  }
  StreamOptions o;
  o.stdout_wanted = req.QueryBool("stdout");
  o.stderr_wanted = req.QueryBool("stderr");
  o.tty = r.config.value("Tty", false);
  bool logs = req.QueryBool("logs");
  auto keys = ParseDetachKeys(req.Query("detachKeys"));
  if (!keys.ok()) return SendError(w, 400, keys.status().message());
  auto reader = engine::JsonLogReader::Open(r.log_path, /*from_end=*/!logs && r.state == ContainerState::kRunning);
  if (!w.Hijack(o.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream")) return;
  std::atomic<bool> done{false}, detached{false};
  std::thread stdin_relay;
  if (req.QueryBool("stdin") && r.config.value("OpenStdin", false)) {
    stdin_relay = std::thread([&] { RelayStdin(ctx, r.id, w, done, DetachKeyFilter(*keys), detached); });
  }
  if (req.QueryBool("stream", true)) Follow(ctx, r.id, reader, o, w, &detached);
  done = true;
  if (stdin_relay.joinable()) stdin_relay.join();
  w.End();
}

}  // namespace hull::api
