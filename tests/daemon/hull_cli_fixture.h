// The hull CLI against this test's hulld: HULL_HOST points at the fixture's socket while
// a test runs (unset afterwards), so hull finds hulld as a user's shell would.
#pragma once

#include <stdlib.h>

#include "tests/daemon/hulld_fixture.h"
#include "tests/support/process.h"

namespace hull::daemon_testing {

class HullCliTest : public HulldTest {
 protected:
  void SetUp() override {
    HulldTest::SetUp();
    ::setenv("HULL_HOST", ("unix://" + socket_).c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("HULL_HOST");
    HulldTest::TearDown();
  }
  hull::testing::ProcessResult Hull(std::vector<std::string> args, double timeout = 60,
                                    const std::string& stdin_data = "") {
    args.insert(args.begin(), HULL_CLI_PATH);
    return hull::testing::RunProcess(args, timeout, stdin_data);
  }
};

}  // namespace hull::daemon_testing
