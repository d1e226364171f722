// `hull events [--since WHEN] [--until WHEN] [-f KEY=VALUE]... [--format json]`: hulld's
// event stream (GET /events) printed as `docker events` prints it — one line per event,
// "TIME TYPE ACTION ID (attr=value, ...)" with the time in RFC 3339 with nanoseconds
// (UTC) — or, with --format json, each event's JSON. Without --until it follows until
// interrupted. Needs hulld. Main thread only.
#include <time.h>

#include <cstdio>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "cli/daemon.h"
#include "cli/filter_flag.h"

namespace hull::cli {
namespace {

// docker's events line: 2026-11-30T03:01:02.123456789Z container die ID (exitCode=0, ...).
std::string EventLine(const nlohmann::json& e) {
  int64_t nanos = e.value("timeNano", int64_t{0});
  time_t seconds = static_cast<time_t>(nanos / 1000000000);
  tm t{};
  ::gmtime_r(&seconds, &t);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &t);
  char line[96];
  std::snprintf(line, sizeof line, "%s.%09lldZ ", when, static_cast<long long>(nanos % 1000000000));
  std::string out = line;
  const nlohmann::json actor = e.value("Actor", nlohmann::json::object());
  const nlohmann::json given = actor.value("Attributes", nlohmann::json::object());
  out += e.value("Type", "") + " " + e.value("Action", "") + " " + actor.value("ID", "");
  std::map<std::string, std::string> attributes;  // sorted, as docker prints them
  for (const auto& [k, v] : given.items()) {
    if (v.is_string()) attributes[k] = v.get<std::string>();
  }
  std::string list;
  for (const auto& [k, v] : attributes) list += (list.empty() ? "" : ", ") + k + "=" + v;
  if (!list.empty()) out += " (" + list + ")";
  return out + "\n";
}

}  // namespace

int RunEvents(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string since, until, format;
  std::vector<std::string> filters;
  options.add_options()
      ("since", po::value(&since), "replay events since a time: 10m, 2h, a Unix time or 2026-11-29T10:00:00")
      ("until", po::value(&until), "stop at a time (default: follow until interrupted)")
      ("filter,f", po::value(&filters), "KEY=VALUE: type, event, container, image, label, scope")
      ("format", po::value(&format), "json: each event as its JSON");
  po::positional_options_description positional;
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull events [OPTIONS]", options, positional, vm, common)) {
    return *exit;
  }
  if (!format.empty() && format != "json" && format != "{{json .}}") {
    std::fprintf(stderr, "hull: --format %s: hull events knows json (or {{json .}}) only\n", format.c_str());
    return kExitUsage;
  }
  auto since_epoch = TimeFlagEpoch(since), until_epoch = TimeFlagEpoch(until);
  for (auto [flag, value, epoch] : {std::tuple{"--since", since, since_epoch}, std::tuple{"--until", until, until_epoch}}) {
    if (!epoch) {
      std::fprintf(stderr, "hull: %s %s: want a duration (10m), a Unix time or a date\n", flag, value.c_str());
      return kExitUsage;
    }
  }
  auto query = FiltersQuery(filters);
  if (!query.ok()) {
    std::fprintf(stderr, "hull: %s\n", query.status().message().c_str());
    return kExitUsage;
  }
  auto d = RequireDaemon(common, "events");
  if (!d) return kExitFailure;
  std::string target = "/v1.41/events?" + (*since_epoch > 0 ? "since=" + std::to_string(*since_epoch) : "") +
                       (*until_epoch > 0 ? "&until=" + std::to_string(*until_epoch) : "") + *query;
  auto c = OpenStream(*d, "GET", target);
  if (!c) return kExitFailure;
  std::string pending;
  for (;;) {
    auto piece = c->ReadSome();
    if (!piece.ok()) return ClientError(piece.status());
    if (!*piece) return 0;
    pending += **piece;
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
      std::string text = pending.substr(0, nl);
      nlohmann::json e = ParseJson(text);
      if (!e.is_object()) continue;
      std::string out = format.empty() ? EventLine(e) : text + "\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
    }
  }
}

}  // namespace hull::cli
