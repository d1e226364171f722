// For the tests that drive hull-vmm's per-VM API (docs/hull-vmm.md, "Per-VM API"):
// hull-vmm started in the background with --api-sock, and a small HTTP client on the
// Unix socket (Boost.Beast, as hull-vmm's own server), so the tests need no curl —
// also inside the nested-KVM harness.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls `done` until it holds or `limit` passes (a generous bound, not a timing test).
inline bool PollUntil(const std::function<bool()>& done, double limit_seconds = 60) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(limit_seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// A private temporary directory, removed (with what is in it) at the end.
class TempDir {
 public:
  TempDir() {
    char dir[] = "/tmp/hull-vmm-api.XXXXXX";
    if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = dir;
  }
  ~TempDir() { [[maybe_unused]] int r = system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// hull-vmm ARGS... running in the background, stdout and stderr going to files.
class VmmProcess {
 public:
  VmmProcess(std::vector<std::string> args, const std::string& dir) {
    args.insert(args.begin(), VmmPath());
    out_path_ = dir + "/vmm.out";
    err_path_ = dir + "/vmm.err";
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int null = open("/dev/null", O_RDONLY);
      dup2(null, 0);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
      _exit(127);
    }
  }
  ~VmmProcess() {
    if (!status_) {
      kill(pid_, SIGKILL);
      Wait(10);
    }
  }

  void Signal(int signal) { kill(pid_, signal); }
  pid_t pid() const { return pid_; }
  bool Alive() { return !Wait(0).has_value(); }
  // The exit status (128 + N for signal N), or none if still running after `seconds`.
  std::optional<int> Wait(double seconds) {
    PollUntil([&] {
      if (status_) return true;
      int raw = 0;
      if (waitpid(pid_, &raw, WNOHANG) == pid_) {
        status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
      }
      return status_.has_value();
    }, seconds);
    return status_;
  }
  // User + system CPU time the process used so far, in seconds.
  double CpuSeconds() const {
    std::string stat = ReadWholeFile("/proc/" + std::to_string(pid_) + "/stat");
    size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close_paren + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::string Out() const { return ReadWholeFile(out_path_); }
  std::string Err() const { return ReadWholeFile(err_path_); }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_, err_path_;
};

struct ApiResponse {
  int status = 0;  // 0: could not connect or the connection failed
  std::string body;
  nlohmann::json Json() const {
    return body.empty() ? nlohmann::json() : nlohmann::json::parse(body, nullptr, false);
  }
  std::string Fault() const {
    nlohmann::json j = Json();
    return j.is_object() && j.contains("fault_message") ? j["fault_message"].get<std::string>()
                                                        : "(no fault_message in: " + body + ")";
  }
};

// One request on a fresh connection, as `curl --unix-socket SOCK -X METHOD ...` makes.
inline ApiResponse CallApi(const std::string& socket_path, const std::string& method,
                           const std::string& target, const std::string& body = "") {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  try {
    asio::io_context io;
    asio::local::stream_protocol::socket socket(io);
    socket.connect(asio::local::stream_protocol::endpoint(socket_path));
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, "localhost");
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    request.prepare_payload();
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return {static_cast<int>(response.result_int()), response.body()};
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

// Waits until the API answers GET /.
inline bool WaitForApi(const std::string& socket_path, double seconds = 30) {
  return PollUntil([&] { return CallApi(socket_path, "GET", "/").status == 200; }, seconds);
}

inline std::string InstanceState(const std::string& socket_path) {
  nlohmann::json info = CallApi(socket_path, "GET", "/").Json();
  return info.is_object() ? info.value("state", "?") : "?";
}

inline bool PathExists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace hull::testing
