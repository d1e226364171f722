#include "tests/rootfs/local_registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "base/unique_fd.h"
#include "rootfs-builder/http_client.h"
#include "rootfs-builder/safe_path.h"

extern char** environ;

namespace hull::rootfs::testing {

using hull::testing::ProcessResult;
using hull::testing::RunProcess;

std::string MissingTools(const std::vector<std::string>& programs) {
  std::string missing;
  for (const auto& p : programs) {
    if (RunProcess({"/bin/sh", "-c", "command -v " + p}, 10).exit_status != 0) {
      missing += (missing.empty() ? "" : ", ") + p;
    }
  }
  return missing.empty() ? "" : "not installed: " + missing + " (./dev.sh installs them)";
}

hull::testing::ProcessResult RunTool(std::vector<std::string> argv, double timeout_seconds) {
  if (argv[0].find('/') == std::string::npos) {
    auto where = RunProcess({"/bin/sh", "-c", "command -v " + argv[0]}, 10);
    if (where.exit_status == 0) argv[0] = where.out.substr(0, where.out.find('\n'));
  }
  return RunProcess(argv, timeout_seconds);
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  return mkdtemp(tmpl.data());
}

int FreePort() {
  base::UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

Background::Background(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
}

Background::~Background() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

bool Background::running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

std::unique_ptr<LocalRegistry> LocalRegistry::Start(Auth auth, std::string* error) {
  std::unique_ptr<LocalRegistry> r(new LocalRegistry());
  r->auth_ = auth;
  r->dir_ = MakeTempDir("hull-registry");
  r->host_ = "127.0.0.1:" + std::to_string(FreePort());
  std::string auth_config;
  if (auth == Auth::kBasic) {
    auto p = RunTool({"htpasswd", "-Bbn", kUser, kPassword});
    std::ofstream(r->dir_ + "/htpasswd") << p.out;
    auth_config = "auth:\n  htpasswd:\n    realm: hull-basic\n    path: " + r->dir_ + "/htpasswd\n";
  } else if (auth == Auth::kToken) {
    auto cert = RunTool({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                            r->dir_ + "/key.pem", "-out", r->dir_ + "/cert.pem", "-days", "2",
                            "-subj", "/CN=hull-test-token"});
    if (cert.exit_status != 0) {
      *error = "openssl req failed: " + cert.err;
      return nullptr;
    }
    std::string port_file = r->dir_ + "/token-port";
    r->token_server_ = std::make_unique<Background>(
        std::vector<std::string>{"python3", HULL_TOKEN_SERVER_PY, "--port-file", port_file,
                                 "--key", r->dir_ + "/key.pem", "--cert", r->dir_ + "/cert.pem",
                                 "--issuer", "hull-test-issuer", "--service", "hull-test",
                                 "--user", kUser, "--password", kPassword},
        r->dir_ + "/token.log");
    std::string port;
    for (int i = 0; i < 200 && port.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      if (auto s = base::ReadFileToString(port_file); s.ok()) port = *s;
    }
    if (port.empty()) {
      *error = "token server did not start (see " + r->dir_ + "/token.log)";
      return nullptr;
    }
    auth_config = "auth:\n  token:\n    realm: http://127.0.0.1:" + port +
                  "/token\n    service: hull-test\n    issuer: hull-test-issuer\n"
                  "    rootcertbundle: " + r->dir_ + "/cert.pem\n";
  }
  std::ofstream(r->dir_ + "/config.yml")
      << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
      << r->dir_ << "/data\n  delete:\n    enabled: true\nhttp:\n  addr: " << r->host_ << "\n"
      << auth_config;
  r->registry_ = std::make_unique<Background>(
      std::vector<std::string>{"docker-registry", "serve", r->dir_ + "/config.yml"},
      r->dir_ + "/registry.log");
  HttpClient http(HttpOptions{2, 2, false});
  for (int i = 0; i < 200; ++i) {
    auto resp = http.Fetch({"http://" + r->host_ + "/v2/", {}, false});
    if (resp.ok() && resp->status > 0) return r;
    if (!r->registry_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto log = base::ReadFileToString(r->dir_ + "/registry.log");
  *error = "docker-registry did not come up: " + (log.ok() ? *log : "");
  return nullptr;
}

LocalRegistry::~LocalRegistry() {
  registry_.reset();
  token_server_.reset();
  (void)RemoveTree(dir_);
}

std::string LocalRegistry::CredsFlag(const char* which) const {
  if (auth_ == Auth::kNone) return "";
  return std::string("--") + which + "-creds=" + kUser + ":" + kPassword;
}

ProcessResult LocalRegistry::Push(const std::string& layout, const std::string& tag,
                                  const std::string& repo_tag) {
  std::vector<std::string> argv = {"skopeo", "copy", "--all", "--dest-tls-verify=false",
                                   "oci:" + layout + ":" + tag, "docker://" + host_ + "/" + repo_tag};
  if (auth_ != Auth::kNone) argv.insert(argv.begin() + 2, CredsFlag("dest"));
  return RunTool(argv, 120);
}

std::string LocalRegistry::UmociUnpack(const std::string& repo_tag, std::string* error) {
  std::string oci = dir_ + "/umoci-oci-" + std::to_string(FreePort());
    // umoci 0.4 reads no zstd: have skopeo recompress such layers to gzip (same diff IDs).
  std::vector<std::string> copy = {"skopeo", "copy", "--src-tls-verify=false",
                                   "--dest-compress-format=gzip",
                                   "docker://" + host_ + "/" + repo_tag, "oci:" + oci + ":x"};
  if (auth_ != Auth::kNone) copy.insert(copy.begin() + 2, CredsFlag("src"));
  auto c = RunTool(copy, 120);
  if (c.exit_status != 0) {
    *error = "skopeo copy: " + c.err;
    return "";
  }
  std::string bundle = oci + "-bundle";
  auto u = RunTool({"umoci", "unpack", "--image", oci + ":x", bundle}, 120);
  if (u.exit_status != 0) {
    *error = "umoci unpack: " + u.err;
    return "";
  }
  return bundle + "/rootfs";
}

}  // namespace hull::rootfs::testing
