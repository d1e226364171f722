// `hull version` and `hull info` say whether hull talks to a hulld or works directly.
#include <signal.h>

#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using hull::rootfs::testing::RunTool;

TEST_F(HulldTest, HullVersionAndInfoSayDaemonModeWhileHulldAnswers) {
  std::string host = "HULL_HOST=unix://" + socket_;
  auto version = RunTool({"env", host, HULL_CLI_PATH, "version"});
  ASSERT_EQ(version.exit_status, 0) << version.err;
  EXPECT_NE(version.out.find("Server: hulld (at " + socket_ + ")"), std::string::npos) << version.out;
  EXPECT_NE(version.out.find("API version: 1.41 (minimum 1.24)"), std::string::npos) << version.out;
  auto info = RunTool({"env", host, HULL_CLI_PATH, "info"});
  EXPECT_EQ(info.out.rfind("Mode: daemon (hulld at " + socket_ + ")\n", 0), 0u) << info.out;
  EXPECT_NE(info.out.find("Root: " + root_ + "\n"), std::string::npos) << info.out;

  StopHulld(SIGTERM);
  version = RunTool({"env", host, HULL_CLI_PATH, "version"});
  EXPECT_NE(version.out.find("Server: none (direct mode"), std::string::npos) << version.out;
  info = RunTool({"env", host, HULL_CLI_PATH, "info", "--root", root_});
  EXPECT_EQ(info.out.rfind("Mode: direct (no hulld answers at " + socket_ + ")\n", 0), 0u) << info.out;
}

}  // namespace
}  // namespace hull::daemon_testing
