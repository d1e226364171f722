// The fixture every VM e2e test shares: one store with the built-in busybox image for
// the whole program, `hull run` command lines for the backend under test (qemu or hull,
// the test parameter), and the check that nothing was left behind after each test.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace hull::e2e {

inline constexpr double kTimeout = 180;  // one VM under TCG on a busy 2-core machine

struct Store {
  std::string root;
  std::string image_ext4;
};

// One store with the built-in image for the whole suite, removed when the program ends.
const Store& SharedStore();

// The backend notice ("hull: vm: qemu (TCG): ...") is hull's first stderr line.
std::string WithoutNotice(const std::string& err);

class VmE2e : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::vector<std::string> Argv(const std::vector<std::string>& options,
                                const std::vector<std::string>& command);
  testing::ProcessResult Run(const std::vector<std::string>& options,
                             const std::vector<std::string>& command, const std::string& in = "");
};

}  // namespace hull::e2e
