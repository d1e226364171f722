// `hull logs [-f] [--tail N] [--since WHEN] [-t] CONTAINER`: a container's stored
// output from hulld (GET /containers/{id}/logs), stdout and stderr kept apart.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/attach_stream.h"
#include "cli/daemon.h"
#include "cli/filter_flag.h"

namespace hull::cli {

int RunLogs(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string container, tail = "all", since;
  bool follow = false, timestamps = false;
  options.add_options()
      ("follow,f", po::bool_switch(&follow), "keep printing output as it arrives, until the container stops")
      ("tail,n", po::value(&tail), "only the last N lines (all)")
      ("since", po::value(&since), "only output since a time: 10m, 2h, a Unix time or 2026-11-29T10:00:00")
      ("timestamps,t", po::bool_switch(&timestamps), "prefix each line with its time")
      ("container", po::value(&container)->required(), "container");
  po::positional_options_description positional;
  positional.add("container", 1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull logs [OPTIONS] CONTAINER", options, positional, vm, common)) {
    return *exit;
  }
  auto since_epoch = TimeFlagEpoch(since);
  if (!since_epoch) {
    std::fprintf(stderr, "hull: --since %s: want a duration (10m), a Unix time or a date\n", since.c_str());
    return kExitUsage;
  }
  auto d = RequireDaemon(common, "logs");
  if (!d) return kExitFailure;
  auto inspect = InspectContainer(*d, container);
  if (!inspect) return kExitFailure;
  nlohmann::json& j = *inspect;
  bool tty = j["Config"].value("Tty", false);
  std::string target = "/v1.41/containers/" + j.value("Id", container) + "/logs?stdout=1&stderr=1&tail=" +
                       UrlEncode(tail) + (follow ? "&follow=1" : "") + (timestamps ? "&timestamps=1" : "") +
                       (*since_epoch > 0 ? "&since=" + std::to_string(*since_epoch) : "");
  auto c = OpenStream(*d, "GET", target);
  if (!c) return kExitFailure;
  StreamDemuxer out(tty);
  for (;;) {
    auto piece = c->ReadSome();
    if (!piece.ok()) return ClientError(piece.status());
    if (!*piece) return 0;
    if (auto s = out.Feed(**piece); !s.ok()) return ClientError(s);
  }
}

}  // namespace hull::cli
