// GET /events (docker events, and `docker stats` without names, which follows it): the
// engine's event log (engine/events.h) as a stream of Docker events messages, one JSON
// object per line. `since` replays the kept events from that time; without `until` the
// stream then follows new events until the client goes; with it, the stream ends once
// that time has passed. `filters` as moby's events filter applies them (type, event,
// container, image, label, scope). Called on the connection's thread, which it keeps
// for as long as the stream lasts.
#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>

#include "api/list_filters.h"
#include "api/routes.h"
#include "engine/events.h"

namespace hull::api {
namespace {

int64_t NowNs() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

// "SECONDS[.FRACTION]" (what the docker CLI sends) or an RFC 3339 time, as nanoseconds.
std::optional<int64_t> ParseTime(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text.find('T') != std::string::npos) {
    int64_t s = EpochOf(text);
    return s > 0 ? std::optional<int64_t>(s * 1000000000) : std::nullopt;
  }
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  int64_t seconds = 0;
  auto [end, err] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (err != std::errc() || end != whole.data() + whole.size() || whole.empty() || seconds < 0 ||
      seconds > 100000000000) {
    return std::nullopt;
  }
  int64_t nanos = 0;
  if (dot != std::string::npos) {
    std::string fraction = text.substr(dot + 1, 9);
    if (fraction.empty() || fraction.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    fraction.resize(9, '0');
    nanos = std::stoll(fraction);
  }
  return seconds * 1000000000 + nanos;
}

// moby's filters.Args.ExactMatch: no values for `key`, or `source` is one of them.
bool ExactMatch(const ListFilters& f, const std::string& key, const std::string& source) {
  if (!f.Contains(key)) return true;
  return f.Get(key).count(source) > 0;
}

// moby's FuzzyMatch: no values, or one equals `source` or is a prefix of it.
bool FuzzyMatch(const ListFilters& f, const std::string& key, const std::string& source) {
  if (!f.Contains(key)) return true;
  for (const std::string& v : f.Get(key)) {
    if (source.rfind(v, 0) == 0) return true;
  }
  return false;
}

std::string StripTag(const std::string& image) {
  size_t colon = image.rfind(':');
  return colon != std::string::npos && image.find('/', colon) == std::string::npos ? image.substr(0, colon) : image;
}

// moby's daemon/events Filter.Include.
bool Include(const ListFilters& f, const engine::Event& e) {
  auto attribute = [&](const std::string& key) {
    auto it = e.attributes.find(key);
    return it == e.attributes.end() ? std::string() : it->second;
  };
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : e.attributes) labels[k] = v;
  std::string image = attribute(e.type == "image" ? "name" : "image");
  bool image_ok = ExactMatch(f, "image", e.id) || ExactMatch(f, "image", image) ||
                  ExactMatch(f, "image", StripTag(e.id)) || ExactMatch(f, "image", StripTag(image));
  return ExactMatch(f, "event", e.action) && ExactMatch(f, "type", e.type) &&
         ExactMatch(f, "scope", "local") &&
         (FuzzyMatch(f, "container", e.id) || FuzzyMatch(f, "container", attribute("name"))) &&
         image_ok && f.MatchLabels("label", labels);
}

void StreamEvents(ApiContext& ctx, const HttpRequest& req, ResponseWriter& w) {
  auto filters = ListFilters::Parse(req.Query("filters"), {"container", "event", "image", "label", "type", "scope"},
                                    {"config", "daemon", "network", "node", "plugin", "secret", "service", "volume"});
  if (!filters.ok()) return SendError(w, 400, filters.status().message());
  std::optional<int64_t> since = ParseTime(req.Query("since")), until = ParseTime(req.Query("until"));
  if (!req.Query("since").empty() && !since) return SendError(w, 400, "invalid value for since: " + req.Query("since"));
  if (!req.Query("until").empty() && !until) return SendError(w, 400, "invalid value for until: " + req.Query("until"));
  if (since && until && *since > *until) {
    return SendError(w, 400, "since time (" + req.Query("since") + ") cannot be after until time (" +
                                 req.Query("until") + ")");
  }
  const engine::EventLog& log = ctx.engine.events();
  // Without `since`, only what happens from now on.
  uint64_t cursor = since ? 0 : log.LastSeq();
  if (!w.StartStream(200, "application/json")) return;
  for (;;) {
    int64_t now = NowNs();
    auto wait = std::chrono::milliseconds(500);
    if (until) wait = std::min(wait, std::chrono::milliseconds(std::max<int64_t>(0, (*until - now) / 1000000)));
    for (const engine::Event& e : log.Next(cursor, wait)) {
      cursor = e.seq;
      if (since && e.time_ns < *since) continue;
      if (until && e.time_ns > *until) return w.End();
      if (!Include(*filters, e)) continue;
      if (!w.Write(engine::EventJson(e).dump() + "\n")) return;
    }
    if (until && NowNs() > *until) return w.End();
    if (w.ClientGone()) return;
  }
}

}  // namespace

bool RouteEvents(ApiContext& ctx, const HttpRequest& req, const std::string& path, ResponseWriter& w) {
  if (path != "/events") return false;
  if (req.method != "GET") return false;  // Docker's router: 404 page not found
  StreamEvents(ctx, req, w);
  return true;
}

}  // namespace hull::api
