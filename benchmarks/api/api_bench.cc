// api_bench: hulld's Docker API latency and container cycle rate, side by side with
// Docker's own daemon when one answers on this machine (issue 7: p99 ≤ 5 ms for list
// and inspect). It starts a hulld of its own (private_hulld.h), creates --containers
// containers (some running, some exited, the rest created), then times GET
// /containers/json?all=1 and GET /containers/{id}/json over one keep-alive connection,
// and create → start → wait → rm cycles per runtime. Everything it made is removed at
// the end, on failure and on SIGINT/SIGTERM too. Markdown on stdout, JSON with --json.
// benchmarks/api/run.sh runs it; docs/benchmarks.md says how to read it.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <sstream>
#include <cstdio>
#include <fstream>
#include <optional>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "benchmarks/api/keepalive_client.h"
#include "benchmarks/api/private_hulld.h"

namespace hull::bench {
namespace {

namespace po = boost::program_options;
using base::Result;
using base::Status;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
constexpr double kTargetP99Ms = 5.0;

struct Options {
  std::string hulld;
  int containers = 100, running = 10, exited = 10, requests = 2000, cycles = 20, vm_cycles = 2;
  int vm_timeout_s = 240;
  std::string peer_socket = "/var/run/docker.sock", peer_image = "busybox", json_path;
  std::vector<std::string> environment;
};

// One daemon under test: hulld, or Docker's as the peer.
struct Daemon {
  std::string name;          // "hulld", "dockerd"
  std::string socket, image;
  std::string label_value;   // every container made here has label hull.apibench=VALUE
  std::vector<std::string> runtimes;  // for the cycles: HostConfig.Runtime ("" = default)
};

double Percentile(std::vector<double> v, double p) {  // nearest rank
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * v.size())));
  return v[std::min(rank, v.size()) - 1];
}

json Summary(const std::vector<double>& ms) {
  double sum = 0;
  for (double m : ms) sum += m;
  return json{{"n", ms.size()}, {"p50_ms", Percentile(ms, 50)}, {"p99_ms", Percentile(ms, 99)},
              {"mean_ms", ms.empty() ? 0 : sum / ms.size()},
              {"max_ms", ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end())}};
}

Status Expect(const Result<ApiResponse>& r, int status, const std::string& what) {
  if (!r.ok()) return Status::Error(what + ": " + r.status().message());
  if (r->status != status) {
    return Status::Error(what + ": HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 300));
  }
  return Status::Ok();
}

json CreateBody(const Daemon& d, const std::vector<std::string>& cmd, const std::string& runtime) {
  json host{{"NetworkMode", "none"}};
  if (!runtime.empty()) host["Runtime"] = runtime;
  return json{{"Image", d.image}, {"Cmd", cmd}, {"Labels", {{"hull.apibench", d.label_value}}},
              {"HostConfig", host}};
}

Result<std::string> Create(KeepAliveClient& c, const Daemon& d, const std::vector<std::string>& cmd,
                           const std::string& runtime) {
  auto r = c.Request("POST", "/containers/create", CreateBody(d, cmd, runtime).dump());
  RETURN_IF_ERROR(Expect(r, 201, "create"));
  json j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("Id")) return Status::Error("create: no Id in " + r->body);
  return j["Id"].get<std::string>();
}

// The population the latencies are measured over: `running` sleeping, `exited` done,
// the rest created and never started (Docker's list and inspect see all three states).
Result<std::vector<std::string>> Populate(KeepAliveClient& c, const Daemon& d, const Options& o) {
  std::vector<std::string> ids;
  for (int i = 0; i < o.containers && !g_stop; ++i) {
    bool run = i < o.running, exit = !run && i < o.running + o.exited;
    std::vector<std::string> cmd = run ? std::vector<std::string>{"sleep", "3600"} : std::vector<std::string>{"true"};
    ASSIGN_OR_RETURN(std::string id, Create(c, d, cmd, d.runtimes.front()));
    ids.push_back(id);
    if (run || exit) RETURN_IF_ERROR(Expect(c.Request("POST", "/containers/" + id + "/start"), 204, "start"));
    if (exit) RETURN_IF_ERROR(Expect(c.Request("POST", "/containers/" + id + "/wait"), 200, "wait"));
  }
  if (g_stop) return Status::Error("interrupted");
  return ids;
}

// `requests` timed GETs of `target(i)` after a tenth as many untimed ones.
Result<std::vector<double>> TimeRequests(KeepAliveClient& c, int requests,
                                         const std::function<std::string(int)>& target) {
  std::vector<double> ms;
  for (int i = -requests / 10; i < requests && !g_stop; ++i) {
    auto start = Clock::now();
    auto r = c.Request("GET", target(i < 0 ? -i : i));
    double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    RETURN_IF_ERROR(Expect(r, 200, "GET " + target(i < 0 ? -i : i)));
    if (i >= 0) ms.push_back(elapsed);
  }
  if (g_stop) return Status::Error("interrupted");
  return ms;
}

// create → start → wait → rm, `n` times; the wall time of each whole cycle.
Result<std::vector<double>> TimeCycles(KeepAliveClient& c, const Daemon& d, const std::string& runtime, int n) {
  std::vector<double> ms;
  for (int i = 0; i < n && !g_stop; ++i) {
    auto start = Clock::now();
    ASSIGN_OR_RETURN(std::string id, Create(c, d, {"true"}, runtime));
    Status s = Expect(c.Request("POST", "/containers/" + id + "/start"), 204, "start");
    auto wait = s.ok() ? c.Request("POST", "/containers/" + id + "/wait") : Result<ApiResponse>(s);
    if (s.ok()) s = Expect(wait, 200, "wait");
    if (s.ok() && json::parse(wait->body, nullptr, false).value("StatusCode", -1) != 0) {
      s = Status::Error("wait: the container's status was not 0: " + wait->body);
    }
    Status rm = Expect(c.Request("DELETE", "/containers/" + id + "?force=1"), 204, "rm");
    RETURN_IF_ERROR(s);
    RETURN_IF_ERROR(rm);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  if (g_stop) return Status::Error("interrupted");
  return ms;
}

// Everything measured on one daemon; errors are recorded in the result, not thrown.
json MeasureOn(const Daemon& d, const Options& o) {
  json out{{"daemon", d.name}};
  auto client = KeepAliveClient::Connect(d.socket, 30);
  if (!client.ok()) return out["error"] = client.status().message(), out;
  auto ids = Populate(*client, d, o);
  if (!ids.ok()) return out["error"] = "populating: " + ids.status().message(), out;
  auto list = TimeRequests(*client, o.requests, [&](int) { return std::string("/containers/json?all=1"); });
  if (list.ok()) out["list"] = Summary(*list);
  else out["list_error"] = list.status().message();
  auto inspect = TimeRequests(*client, o.requests,
                              [&](int i) { return "/containers/" + (*ids)[i % ids->size()] + "/json"; });
  if (inspect.ok()) out["inspect"] = Summary(*inspect);
  else out["inspect_error"] = inspect.status().message();
  for (const auto& id : *ids) (void)client->Request("DELETE", "/containers/" + id + "?force=1");
  for (const auto& runtime : d.runtimes) {
    bool vm = runtime == "vm";
    auto cycle_client = KeepAliveClient::Connect(d.socket, vm ? o.vm_timeout_s : 60);
    if (!cycle_client.ok()) continue;
    auto cycles = TimeCycles(*cycle_client, d, runtime, vm ? o.vm_cycles : o.cycles);
    json row{{"runtime", runtime.empty() ? "default" : runtime}};
    if (cycles.ok()) {
      double total = 0;
      for (double m : *cycles) total += m;
      row.update(Summary(*cycles));
      row["cycles_per_s"] = total > 0 ? 1000.0 * cycles->size() / total : 0;
    } else {
      row["error"] = cycles.status().message();
    }
    if (vm) row["note"] = "not representative: TCG (qemu backend without hardware virtualization)";
    out["cycles"].push_back(row);
  }
  return out;
}

// Force-removes every container carrying this run's label (whatever step failed).
void RemoveOurs(const Daemon& d) {
  auto c = KeepAliveClient::Connect(d.socket, 120);
  if (!c.ok()) return;
  json filters{{"label", json::array({"hull.apibench=" + d.label_value})}};
  std::string encoded;
  for (unsigned char ch : filters.dump()) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", ch);
    encoded += std::isalnum(ch) ? std::string(1, static_cast<char>(ch)) : std::string(buf);
  }
  auto list = c->Request("GET", "/containers/json?all=1&filters=" + encoded);
  json j = list.ok() && list->status == 200 ? json::parse(list->body, nullptr, false) : json();
  if (!j.is_array()) return;
  for (const auto& ctr : j) (void)c->Request("DELETE", "/containers/" + ctr.value("Id", "") + "?force=1");
}

json MeasureDaemon(const Daemon& d, const Options& o) {
  json out = MeasureOn(d, o);
  RemoveOurs(d);
  return out;
}

// Whether Docker's daemon answers at `socket` and has `image`; the reason when not.
std::optional<std::string> PeerUnavailable(const Options& o) {
  auto c = KeepAliveClient::Connect(o.peer_socket, 10);
  if (!c.ok()) return c.status().message();
  auto v = c->Request("GET", "/version");
  if (!v.ok() || v->status != 200) return "GET /version failed at " + o.peer_socket;
  auto image = c->Request("GET", "/images/" + o.peer_image + "/json");
  if (!image.ok() || image->status != 200) {
    return "the peer lacks the image " + o.peer_image + " (docker pull " + o.peer_image + ")";
  }
  return std::nullopt;
}

std::string Cell(const json& row, const char* key) {
  char buf[32];
  if (!row.contains(key)) return "–";
  std::snprintf(buf, sizeof buf, "%.2f", row[key].get<double>());
  return buf;
}

void PrintMarkdown(const json& report) {
  std::printf("# hulld API latency and container cycles (api_bench)\n\n");
  for (const auto& [k, v] : report["environment"].items()) std::printf("- %s: %s\n", k.c_str(), v.get<std::string>().c_str());
  std::printf("- peer: %s\n\n", report["peer"].get<std::string>().c_str());
  std::printf("| request | daemon | n | p50 ms | p99 ms | mean ms | max ms | p99 ≤ %.0f ms |\n|---|---|---|---|---|---|---|---|\n",
              kTargetP99Ms);
  for (const auto& d : report["daemons"]) {
    if (d.contains("error")) std::printf("| – | %s | failed: %s |||||\n", d["daemon"].get<std::string>().c_str(), d["error"].get<std::string>().c_str());
    for (const char* kind : {"list", "inspect"}) {
      if (!d.contains(kind)) continue;
      const json& r = d[kind];
      bool met = r["p99_ms"].get<double>() <= kTargetP99Ms;
      std::printf("| %s | %s | %d | %s | %s | %s | %s | %s |\n",
                  kind == std::string("list") ? "GET /containers/json?all=1" : "GET /containers/{id}/json",
                  d["daemon"].get<std::string>().c_str(), r["n"].get<int>(), Cell(r, "p50_ms").c_str(),
                  Cell(r, "p99_ms").c_str(), Cell(r, "mean_ms").c_str(), Cell(r, "max_ms").c_str(),
                  d["daemon"] == "hulld" ? (met ? "met" : "**not met**") : "");
    }
  }
  std::printf("\n| cycle create→start→wait→rm | daemon | n | cycles/s | p50 ms | max ms | note |\n|---|---|---|---|---|---|---|\n");
  for (const auto& d : report["daemons"]) {
    for (const auto& c : d.value("cycles", json::array())) {
      std::string note = c.value("error", "") + c.value("note", "");
      std::printf("| runtime %s | %s | %d | %s | %s | %s | %s |\n", c["runtime"].get<std::string>().c_str(),
                  d["daemon"].get<std::string>().c_str(), c.value("n", 0), Cell(c, "cycles_per_s").c_str(),
                  Cell(c, "p50_ms").c_str(), Cell(c, "max_ms").c_str(), note.c_str());
    }
  }
}

int Main(int argc, char** argv) {
  Options o;
  po::options_description desc("api_bench options");
  desc.add_options()
      ("hulld", po::value(&o.hulld)->default_value(HULLD_PATH), "the hulld binary to start")
      ("containers", po::value(&o.containers)->default_value(100), "containers present while timing list/inspect")
      ("running", po::value(&o.running)->default_value(10), "of them running")
      ("exited", po::value(&o.exited)->default_value(10), "of them exited")
      ("requests,n", po::value(&o.requests)->default_value(2000), "timed requests per endpoint")
      ("cycles", po::value(&o.cycles)->default_value(20), "create→start→wait→rm cycles, runtime ns")
      ("vm-cycles", po::value(&o.vm_cycles)->default_value(2), "cycles with runtime vm (0: none)")
      ("vm-timeout", po::value(&o.vm_timeout_s)->default_value(240), "seconds one VM request may take")
      ("peer-socket", po::value(&o.peer_socket)->default_value(o.peer_socket), "Docker's daemon, the peer")
      ("peer-image", po::value(&o.peer_image)->default_value(o.peer_image), "image the peer's containers run")
      ("environment", po::value(&o.environment)->composing(), "KEY=VALUE line for the report")
      ("json", po::value(&o.json_path), "also write the report as JSON here")
      ("help,h", "this help");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) return std::printf("%s", (std::ostringstream() << desc).str().c_str()), 0;
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "api_bench: %s\n", e.what());
    return 2;
  }
  if (o.containers < 1 || o.running + o.exited > o.containers || o.requests < 1) {
    std::fprintf(stderr, "api_bench: need containers >= 1, running + exited <= containers, requests >= 1\n");
    return 2;
  }
  struct sigaction sa{};
  sa.sa_handler = [](int) { g_stop = true; };
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);

  json report{{"environment", json::object()}, {"daemons", json::array()}, {"target_p99_ms", kTargetP99Ms}};
  for (const auto& e : o.environment) {
    size_t eq = e.find('=');
    report["environment"][e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
  }
  report["environment"]["population"] = std::to_string(o.containers) + " containers (" + std::to_string(o.running) +
                                        " running, " + std::to_string(o.exited) + " exited, the rest created), " +
                                        std::to_string(o.requests) + " timed requests each, one keep-alive connection";
  int status = 0;
  {
    auto hulld = PrivateHulld::Start(o.hulld);
    if (!hulld.ok()) {
      std::fprintf(stderr, "api_bench: %s\n", hulld.status().message().c_str());
      return 2;
    }
    std::vector<std::string> runtimes = {"ns"};
    if (o.vm_cycles > 0) runtimes.push_back("vm");
    json h = MeasureDaemon({"hulld", hulld->socket(), "hull/busybox", "hulld", runtimes}, o);
    if (h.contains("error") || h.contains("list_error") || h.contains("inspect_error")) {
      status = 1;
      std::fprintf(stderr, "api_bench: hulld's log ends:\n%s\n", hulld->LogTail().c_str());
    }
    report["daemons"].push_back(h);
  }  // hulld stopped, its containers and directory removed
  if (auto why = PeerUnavailable(o)) {
    report["peer"] = "Docker's daemon not available (" + *why + "): no side-by-side numbers in this run";
  } else if (!g_stop) {
    report["peer"] = "Docker's daemon at " + o.peer_socket + ", image " + o.peer_image;
    json p = MeasureDaemon({"dockerd", o.peer_socket, o.peer_image, "api-bench-" + std::to_string(::getpid()), {""}}, o);
    report["daemons"].push_back(p);
  }
  if (g_stop) status = 130;
  PrintMarkdown(report);
  if (!o.json_path.empty()) std::ofstream(o.json_path) << report.dump(2) << "\n";
  return status;
}

}  // namespace
}  // namespace hull::bench

int main(int argc, char** argv) { return hull::bench::Main(argc, argv); }
