#include "vmm/cpu/vm_end.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace hull::vmm {
namespace {

TEST(VmEnd, ExitPortStatusPassesThroughAndClampsAt127) {
  EXPECT_EQ(ExitStatusFor({VmEndKind::kExitPort, 0, ""}), 0);
  EXPECT_EQ(ExitStatusFor({VmEndKind::kExitPort, 42, ""}), 42);
  EXPECT_EQ(ExitStatusFor({VmEndKind::kExitPort, 1000, ""}), 127);
  EXPECT_NE(DescribeVmEnd({VmEndKind::kExitPort, 1000, ""}).find("reported as 127"),
            std::string::npos);
}

TEST(VmEnd, EachEndHasItsOwnStatus) {
  EXPECT_EQ(ExitStatusFor({VmEndKind::kReset}), 200);
  EXPECT_EQ(ExitStatusFor({VmEndKind::kTripleFault}), 202);
  EXPECT_EQ(ExitStatusFor({VmEndKind::kInternalError}), 203);
  EXPECT_EQ(ExitStatusFor({VmEndKind::kTimeout}), 205);
  EXPECT_EQ(ExitStatusFor({VmEndKind::kSignal, SIGTERM, ""}), 143);
  EXPECT_EQ(DescribeVmEnd({VmEndKind::kSignal, SIGINT, ""}), "stopped by signal SIGINT");
}

}  // namespace
}  // namespace hull::vmm
