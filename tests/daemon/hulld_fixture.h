// A hulld for one test: its own temporary root and Unix socket, started before the test
// and stopped after it (every container force-removed first, so no monitor, supervisor
// or container process outlives the test). Helpers run the docker CLI, curl and the
// Python SDK against it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "tests/support/process.h"

namespace hull::daemon_testing {

// A connected Unix stream socket to `path`; invalid if it cannot connect.
base::UniqueFd ConnectUnix(const std::string& path);

class HulldTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts hulld with extra flags; false (and a test failure) if it does not answer.
  bool StartHulld(const std::vector<std::string>& extra = {});
  // SIGKILL (crash) or SIGTERM; waits for it to exit.
  void StopHulld(int signal);
  // In a forked child: stdout and stderr to dir_/hulld.log, then execv(args). Never returns.
  [[noreturn]] void ExecLogging(std::vector<std::string> args) const;
  // Polls GET /_ping for up to 10 s; true once hulld answers 200.
  bool WaitForPing();

  // docker CLI with DOCKER_HOST pointing at our socket.
  hull::testing::ProcessResult Docker(std::vector<std::string> args, double timeout = 60);
  // curl --unix-socket: returns the HTTP status in exit_status-independent `status`.
  struct HttpResult {
    int status = 0;
    std::string body;
  };
  HttpResult Http(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::vector<std::string>& extra = {});
  // python3 tests/daemon/sdk_flows.py FLOW [ARGS...] against our socket.
  hull::testing::ProcessResult Python(const std::string& flow, std::vector<std::string> args = {});

  // Monitor processes (hulld monitor ...) of this test's root still alive.
  std::vector<pid_t> LiveMonitors() const;

  std::string dir_;     // private scratch directory
  std::string root_;    // hulld --root
  std::string socket_;  // hulld's Unix socket
  pid_t hulld_ = -1;
};

}  // namespace hull::daemon_testing
