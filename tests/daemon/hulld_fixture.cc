#include "tests/daemon/hulld_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {

using hull::rootfs::testing::RunTool;

base::UniqueFd ConnectUnix(const std::string& path) {
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return base::UniqueFd();
  return fd;
}

void HulldTest::SetUp() {
  char tmpl[] = "/tmp/hulld-test-XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  root_ = dir_ + "/root";
  socket_ = dir_ + "/hull.sock";
  ASSERT_TRUE(StartHulld());
}

bool HulldTest::StartHulld(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {HULLD_PATH, "--root", root_, "-H", "unix://" + socket_};
  args.insert(args.end(), extra.begin(), extra.end());
  // Outside a network namespace of its own, a test must not create hull0 or NAT rules on
  // the host: the bridge only where the test asks for it (tests/network).
  if (std::find(extra.begin(), extra.end(), "--bridge") == extra.end()) {
    args.insert(args.end(), {"--bridge", "none"});
  }
  hulld_ = ::fork();
  if (hulld_ == 0) ExecLogging(std::move(args));
  if (WaitForPing()) return true;
  ADD_FAILURE() << "hulld did not answer on " << socket_;
  return false;
}

void HulldTest::ExecLogging(std::vector<std::string> args) const {
  int log = ::open((dir_ + "/hulld.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ::dup2(log, 1);
  ::dup2(log, 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

bool HulldTest::WaitForPing() {
  for (int i = 0; i < 200; ++i) {
    if (Http("GET", "/_ping").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void HulldTest::StopHulld(int signal) {
  if (hulld_ <= 0) return;
  ::kill(hulld_, signal);
  ::waitpid(hulld_, nullptr, 0);
  hulld_ = -1;
}

void HulldTest::TearDown() {
  if (hulld_ > 0) {
    auto list = Http("GET", "/containers/json?all=1");
    auto j = nlohmann::json::parse(list.body, nullptr, false);
    if (j.is_array()) {
      for (const auto& c : j) Http("DELETE", "/containers/" + c["Id"].get<std::string>() + "?force=1");
    }
    StopHulld(SIGTERM);
  }
  for (pid_t pid : LiveMonitors()) {  // a failed test's leftovers; the test has failed already
    ADD_FAILURE() << "monitor " << pid << " outlived the test";
    ::kill(pid, SIGKILL);
  }
  std::ifstream log(dir_ + "/hulld.log");
  std::stringstream text;
  text << log.rdbuf();
  if (HasFailure()) std::fprintf(stderr, "hulld.log:\n%s\n", text.str().c_str());
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

hull::testing::ProcessResult HulldTest::Docker(std::vector<std::string> args, double timeout) {
  args.insert(args.begin(), {"env", "DOCKER_HOST=unix://" + socket_, "DOCKER_CONFIG=" + dir_ + "/docker-config",
                             "docker"});
  return RunTool(args, timeout);
}

HulldTest::HttpResult HulldTest::Http(const std::string& method, const std::string& path,
                                      const std::string& body, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method,
                                   "--max-time", "30"};
  if (extra.empty()) args.insert(args.end(), {"--unix-socket", socket_});
  args.insert(args.end(), extra.begin(), extra.end());
  if (!body.empty()) args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
  if (path.rfind("http", 0) == 0) {
    args.push_back(path);
  } else {
    args.push_back("http://hull" + path);
  }
  auto r = RunTool(args, 40);
  HttpResult out;
  size_t nl = r.out.rfind('\n');
  if (nl == std::string::npos) return out;
  out.status = std::atoi(r.out.c_str() + nl + 1);
  out.body = r.out.substr(0, nl);
  return out;
}

hull::testing::ProcessResult HulldTest::Python(const std::string& flow, std::vector<std::string> args) {
  args.insert(args.begin(), {"python3", HULL_SDK_FLOWS_PY, "unix://" + socket_, flow});
  return RunTool(args, 120);
}

std::vector<pid_t> HulldTest::LiveMonitors() const {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (cmdline.find("monitor") != std::string::npos && cmdline.find(root_ + "/") != std::string::npos) {
      out.push_back(std::stoi(name));
    }
  }
  return out;
}

}  // namespace hull::daemon_testing
