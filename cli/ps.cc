// `hull ps [-a] [-q] [--no-trunc] [-f KEY=VALUE...]`: hulld's containers (GET /containers/json), in
// docker ps's columns.
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/daemon.h"
#include "cli/filter_flag.h"

namespace hull::cli {

namespace {

std::string Ago(int64_t epoch) {
  int64_t s = static_cast<int64_t>(std::time(nullptr)) - epoch;
  if (s < 1) return "Less than a second ago";
  if (s < 60) return std::to_string(s) + " seconds ago";
  if (s < 3600) return std::to_string(s / 60) + " minutes ago";
  if (s < 86400) return std::to_string(s / 3600) + " hours ago";
  return std::to_string(s / 86400) + " days ago";
}

std::string Ports(const nlohmann::json& ports) {
  std::string out;
  if (!ports.is_array()) return out;
  for (const auto& p : ports) {
    if (!out.empty()) out += ", ";
    if (p.contains("PublicPort")) {
      out += p.value("IP", "0.0.0.0") + ":" + std::to_string(p.value("PublicPort", 0)) + "->";
    }
    out += std::to_string(p.value("PrivatePort", 0)) + "/" + p.value("Type", "tcp");
  }
  return out;
}

}  // namespace

int RunPs(const std::vector<std::string>& args) {
  po::options_description options("Options");
  bool all = false, quiet = false, no_trunc = false;
  std::vector<std::string> filter_flags;
  options.add_options()
      ("all,a", po::bool_switch(&all), "show all containers (default: running ones)")
      ("filter,f", po::value(&filter_flags)->composing(), "KEY=VALUE: status, name, id, label, ancestor, exited, before, since")
      ("quiet,q", po::bool_switch(&quiet), "only IDs")
      ("no-trunc", po::bool_switch(&no_trunc), "do not truncate IDs and commands");
  po::positional_options_description positional;
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull ps [OPTIONS]", options, positional, vm, common)) return *exit;
  auto filters = FiltersQuery(filter_flags);
  if (!filters.ok()) return Fail(filters.status()), kExitUsage;
  auto d = RequireDaemon(common, "ps");
  if (!d) return kExitFailure;
  auto r = Call(*d, "GET", std::string("/containers/json?all=") + (all ? "1" : "0") + *filters);
  if (!r.ok()) return ClientError(r.status());
  auto list = ParseJson(r->body);
  if (r->status != 200 || !list.is_array()) return DaemonError(*r);
  const char* kRow = "%-*s   %-20s   %-22s   %-16s   %-26s   %-20s   %s\n";
  int id_width = no_trunc ? 64 : 12;
  if (!quiet) std::printf(kRow, id_width, "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
  for (const auto& c : list) {
    std::string id = c.value("Id", "");
    if (!no_trunc) id = id.substr(0, 12);
    if (quiet) {
      std::printf("%s\n", id.c_str());
      continue;
    }
    std::string command = c.value("Command", "");
    if (!no_trunc && command.size() > 19) command = command.substr(0, 19) + "…";
    std::string names;
    for (const auto& n : c.value("Names", nlohmann::json::array())) {
      std::string name = n.get<std::string>();
      names += (names.empty() ? "" : ",") + (name.rfind('/', 0) == 0 ? name.substr(1) : name);
    }
    std::printf(kRow, id_width, id.c_str(), c.value("Image", "").c_str(), ("\"" + command + "\"").c_str(),
                Ago(c.value("Created", int64_t{0})).c_str(), c.value("Status", "").c_str(),
                Ports(c.value("Ports", nlohmann::json::array())).c_str(), names.c_str());
  }
  return 0;
}

}  // namespace hull::cli
