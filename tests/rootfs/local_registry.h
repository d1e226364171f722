// A real docker-registry (distribution 2.8) on 127.0.0.1 for the integration tests,
// with a temporary config and storage: anonymous, basic auth (htpasswd, bcrypt) or
// token auth (token_server.py with a self-signed certificate). Plus the tools the tests
// compare against: skopeo and umoci. Everything is stopped and removed on destruction.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace hull::rootfs::testing {

// RunProcess with argv[0] looked up in PATH (RunProcess itself does not search).
hull::testing::ProcessResult RunTool(std::vector<std::string> argv, double timeout_seconds = 120);

// Empty when every program is on PATH; otherwise why the test cannot run.
std::string MissingTools(const std::vector<std::string>& programs);

// A program started in the background, killed on destruction.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::string& log);
  ~Background();
  bool running() const;

 private:
  pid_t pid_ = -1;
};

class LocalRegistry {
 public:
  enum class Auth { kNone, kBasic, kToken };
  static constexpr const char* kUser = "hulluser";
  static constexpr const char* kPassword = "hullpass";

  // Starts it; on failure returns nullptr and says why in *error.
  static std::unique_ptr<LocalRegistry> Start(Auth auth, std::string* error);
  ~LocalRegistry();

  const std::string& host() const { return host_; }  // "127.0.0.1:PORT"
  const std::string& dir() const { return dir_; }   // private scratch directory

  // skopeo copy --all from an OCI layout into this registry as REPO:TAG.
  hull::testing::ProcessResult Push(const std::string& layout, const std::string& tag,
                                    const std::string& repo_tag);
  // skopeo copy from this registry into an OCI layout, then umoci unpack: the rootfs path.
  std::string UmociUnpack(const std::string& repo_tag, std::string* error);

 private:
  LocalRegistry() = default;
  std::string CredsFlag(const char* which) const;
  Auth auth_ = Auth::kNone;
  std::string dir_;
  std::string host_;
  std::unique_ptr<Background> token_server_;
  std::unique_ptr<Background> registry_;
};

int FreePort();
std::string MakeTempDir(const std::string& prefix);

}  // namespace hull::rootfs::testing
