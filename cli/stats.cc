// `hull stats [-a] [--no-stream] [CONTAINER...]`: containers' resource usage from hulld
// (GET /containers/{id}/stats, one-shot samples a second apart), in docker stats's
// columns and with its formulas (CPU % from the CPU and system deltas times the online
// CPUs; memory less inactive file pages). Without --no-stream the table is redrawn every
// second until interrupted. Main thread only.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/daemon.h"

namespace hull::cli {
namespace {

using json = nlohmann::json;

// go-units' CustomSize: "%.4g" + binary units (BytesSize), "%.3g" + decimal (HumanSize).
std::string Units(double size, double base, const char* const* units, int precision) {
  int i = 0;
  while (size >= base && units[i + 1] != nullptr) {
    size /= base;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g%s", precision, size, units[i]);
  return buf;
}
std::string Binary(double v) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", nullptr};
  return Units(v, 1024.0, kUnits, 4);
}
std::string Decimal(double v) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", nullptr};
  return Units(v, 1000.0, kUnits, 3);
}

uint64_t U(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<uint64_t>() : 0;
}

struct Row {
  std::string id, name, cpu, mem_usage, mem_percent, net, block, pids;
};

// One table row from a sample and the one before it (docker/cli's stats_helpers.go).
Row MakeRow(const json& now, const json& prev) {
  Row row;
  row.id = now.value("id", "").substr(0, 12);
  row.name = now.value("name", "");
  if (!row.name.empty() && row.name[0] == '/') row.name.erase(0, 1);
  const bool running = now.value("read", "") != "0001-01-01T00:00:00Z";
  const json& cpu = now.value("cpu_stats", json::object());
  const json& pre = prev.is_object() ? prev.value("cpu_stats", json::object()) : json::object();
  double cpu_delta = static_cast<double>(U(cpu.value("cpu_usage", json::object()), "total_usage")) -
                     static_cast<double>(U(pre.value("cpu_usage", json::object()), "total_usage"));
  double system_delta = static_cast<double>(U(cpu, "system_cpu_usage")) -
                        static_cast<double>(U(pre, "system_cpu_usage"));
  double cpus = static_cast<double>(U(cpu, "online_cpus"));
  double cpu_percent = 0;
  if (cpu_delta > 0 && system_delta > 0) cpu_percent = cpu_delta / system_delta * cpus * 100.0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f%%", cpu_percent);
  row.cpu = running ? buf : "--";
  const json& mem = now.value("memory_stats", json::object());
  double usage = static_cast<double>(U(mem, "usage"));
  const json& mstats = mem.value("stats", json::object());
  for (const char* inactive : {"total_inactive_file", "inactive_file"}) {
    double v = static_cast<double>(U(mstats, inactive));
    if (mstats.contains(inactive) && v < usage) {
      usage -= v;
      break;
    }
  }
  double limit = static_cast<double>(U(mem, "limit"));
  row.mem_usage = running ? Binary(usage) + " / " + Binary(limit) : "-- / --";
  std::snprintf(buf, sizeof buf, "%.2f%%", limit > 0 ? usage / limit * 100.0 : 0.0);
  row.mem_percent = running ? buf : "--";
  double rx = 0, tx = 0;
  const json networks = now.value("networks", json::object());
  for (const auto& [name, n] : networks.items()) {
    rx += static_cast<double>(U(n, "rx_bytes"));
    tx += static_cast<double>(U(n, "tx_bytes"));
  }
  row.net = running ? Decimal(rx) + " / " + Decimal(tx) : "-- / --";
  double rd = 0, wr = 0;
  const json& blkio = now.value("blkio_stats", json::object());
  if (auto it = blkio.find("io_service_bytes_recursive"); it != blkio.end() && it->is_array()) {
    for (const auto& e : *it) {
      std::string op = e.value("op", "");
      std::transform(op.begin(), op.end(), op.begin(), ::tolower);
      if (op == "read") rd += static_cast<double>(U(e, "value"));
      if (op == "write") wr += static_cast<double>(U(e, "value"));
    }
  }
  row.block = running ? Decimal(rd) + " / " + Decimal(wr) : "-- / --";
  row.pids = running ? std::to_string(U(now.value("pids_stats", json::object()), "current")) : "--";
  return row;
}

void PrintTable(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> cells = {{"CONTAINER ID", "NAME", "CPU %",
                                                  "MEM USAGE / LIMIT", "MEM %", "NET I/O",
                                                  "BLOCK I/O", "PIDS"}};
  for (const Row& r : rows) {
    cells.push_back({r.id, r.name, r.cpu, r.mem_usage, r.mem_percent, r.net, r.block, r.pids});
  }
  std::vector<size_t> width(8, 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  for (const auto& line : cells) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out += std::string(width[i] - line[i].size() + 3, ' ');
    }
    std::printf("%s\n", out.c_str());
  }
  std::fflush(stdout);
}

// One-shot samples of each container; a container that is gone prints Docker's error.
bool Sample(const Daemon& d, const std::vector<std::string>& names, std::vector<json>* out) {
  out->clear();
  for (const auto& name : names) {
    auto r = Call(d, "GET", "/containers/" + UrlEncode(name) + "/stats?stream=false&one-shot=true");
    if (!r.ok()) return ClientError(r.status()), false;
    json j = ParseJson(r->body);
    if (r->status != 200 || !j.is_object()) return DaemonError(*r), false;
    out->push_back(std::move(j));
  }
  return true;
}

}  // namespace

int RunStats(const std::vector<std::string>& args) {
  po::options_description options("Options");
  bool all = false, no_stream = false;
  std::vector<std::string> names;
  options.add_options()
      ("all,a", po::bool_switch(&all), "show all containers (default: running ones)")
      ("no-stream", po::bool_switch(&no_stream), "print one table and exit")
      ("container", po::value(&names), "containers (default: all running)");
  po::positional_options_description positional;
  positional.add("container", -1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull stats [OPTIONS] [CONTAINER...]", options,
                                   positional, vm, common)) {
    return *exit;
  }
  auto d = RequireDaemon(common, "stats");
  if (!d) return kExitFailure;
  if (names.empty()) {
    auto r = Call(*d, "GET", std::string("/containers/json") + (all ? "?all=1" : ""));
    if (!r.ok()) return ClientError(r.status());
    json list = ParseJson(r->body);
    if (r->status != 200 || !list.is_array()) return DaemonError(*r);
    for (const auto& c : list) names.push_back(c.value("Id", ""));
  }
  std::vector<json> prev, now;
  if (!Sample(*d, names, &prev)) return kExitFailure;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (!Sample(*d, names, &now)) return kExitFailure;
    std::vector<Row> rows;
    for (size_t i = 0; i < now.size(); ++i) rows.push_back(MakeRow(now[i], prev[i]));
    if (!no_stream && ::isatty(STDOUT_FILENO)) std::printf("\033[2J\033[H");
    PrintTable(rows);
    if (no_stream) return 0;
    prev = std::move(now);
  }
}

}  // namespace hull::cli
