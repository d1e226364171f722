// hulld: serves the Docker Engine API (api/) over the container engine (engine/).
//   hulld [--root DIR] [--host unix:///run/hull/hull.sock] [--tcp 127.0.0.1:PORT --token-file F]
//         [--default-runtime ns|vm] [--log-level debug|info|warning|error]
//         [--bridge hull0|none] [--subnet 172.30.0.0/16]
//   hulld monitor DIR      (internal: the monitor of one container, engine/monitor.h)
//   hulld exec-process     (internal: one exec into a container, engine/exec_process.h)
// SIGINT/SIGTERM stop serving and exit; containers keep running under their monitors and
// are found again by the next hulld.
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>

#include "api/http_server.h"
#include "api/routes.h"
#include "base/logging.h"
#include "engine/engine.h"
#include "engine/exec_process.h"
#include "engine/monitor.h"

namespace po = boost::program_options;
using namespace hull;

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "hulld: %s\n", message.c_str());
  return 1;
}

std::string SelfExe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : p.string();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "monitor") return engine::RunMonitor(argv[2]);
  if (argc == 2 && std::string(argv[1]) == "exec-process") return engine::RunExecProcess();

  std::string root, host, tcp, token_file, runtime_name, log_level, bridge, subnet;
  po::options_description options("hulld options");
  options.add_options()
      ("root", po::value(&root)->default_value("/var/lib/hull"), "state and image store root")
      ("host,H", po::value(&host)->default_value("unix:///run/hull/hull.sock"), "Unix socket to listen on")
      ("tcp", po::value(&tcp), "also listen on this loopback address (127.0.0.1:PORT); needs --token-file")
      ("token-file", po::value(&token_file), "file holding the bearer token TCP clients must send")
      ("default-runtime", po::value(&runtime_name)->default_value("ns"), "runtime for containers that name none: ns or vm")
      ("cgroup-parent", po::value<std::string>()->default_value("hull"), "cgroup under which containers are placed")
      ("log-level", po::value(&log_level)->default_value("info"), "debug, info, warning or error")
      ("bridge", po::value(&bridge)->default_value("hull0"), "bridge of the default network; none: containers get loopback only")
      ("subnet", po::value(&subnet)->default_value("172.30.0.0/16"), "IPv4 subnet of the bridge (its first address is the bridge's)")
      ("no-jail", po::bool_switch(), "start every micro-VM's hull-vmm without its jail (debugging only)")
      ("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("help")) {
      std::cout << "Usage: hulld [OPTIONS]\n\n" << options;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hulld: " << e.what() << "\n";
    return 2;
  }
  base::SetLogProgramName("hulld");
  base::LogLevel level;
  if (!base::ParseLogLevel(log_level, &level)) return Fail("unknown --log-level " + log_level);
  base::SetLogLevel(level);
  base::InitLoggingFromEnv();
  if (runtime_name != "ns" && runtime_name != "vm") return Fail("--default-runtime must be ns or vm");
  // The VM runtime (runtime/vm/vmm_jail.h) reads it in every container's monitor, which
  // inherits our environment; each VM start then warns in the container's log.
  if (vm["no-jail"].as<bool>()) {
    ::setenv("HULL_NO_JAIL", "1", 1);
    LOG_WARNING << "--no-jail: every micro-VM's hull-vmm runs without its jail";
  }

  api::ServerOptions server_options;
  const std::string unix_prefix = "unix://";
  if (host.compare(0, unix_prefix.size(), unix_prefix) == 0) host = host.substr(unix_prefix.size());
  if (host.empty() || host[0] != '/') return Fail("--host must be unix:///absolute/path");
  server_options.unix_path = host;
  if (const group* g = ::getgrnam("hull")) {
    server_options.unix_mode = 0660;
    server_options.unix_gid = static_cast<int>(g->gr_gid);
  }
  if (!tcp.empty()) {
    if (token_file.empty()) return Fail("--tcp needs --token-file");
    auto token = base::ReadFileToString(token_file, 4096);
    if (!token.ok()) return Fail(token.status().message());
    while (!token->empty() && std::isspace(static_cast<unsigned char>(token->back()))) token->pop_back();
    if (token->size() < 16) return Fail("the token in " + token_file + " must be at least 16 characters");
    server_options.tcp_address = tcp;
    server_options.token = *token;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(host).parent_path(), ec);

  engine::EngineOptions engine_options;
  engine_options.root = root;
  engine_options.monitor_exe = SelfExe();
  engine_options.default_runtime = runtime_name;
  engine_options.cgroup_parent = vm["cgroup-parent"].as<std::string>();
  if (const char* cg = std::getenv("HULL_CGROUP_ROOT")) engine_options.cgroup_root = cg;
  if (bridge != "none") engine_options.network = engine::network::NetworkOptions{bridge, subnet, root + "/network/endpoints.json"};

  // Signals are taken by sigwait below; blocked before any thread starts.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto eng = engine::Engine::Open(engine_options);
  if (!eng.ok()) return Fail(eng.status().message());
  api::ApiContext ctx{**eng};
  auto server = api::HttpServer::Start(server_options, [&ctx](const api::HttpRequest& req, api::ResponseWriter& w) {
    api::Route(ctx, req, w);
  });
  if (!server.ok()) return Fail(server.status().message());
  HULL_LOG(kInfo) << "serving the Docker API on " << host
                  << (tcp.empty() ? "" : " and " + tcp + " (bearer token)") << ", root " << root;
  int sig = 0;
  ::sigwait(&stop, &sig);
  HULL_LOG(kInfo) << "signal " << sig << ": stopping (containers keep running)";
  (*server)->Stop();
  std::fflush(nullptr);
  std::_Exit(0);  // connection threads may still be blocked in the engine
}
