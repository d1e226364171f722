#include "runtime/namespace/container_state.h"

#include <gtest/gtest.h>

namespace hull::runtime::ns {
namespace {

TEST(BridgeResolvConf, DropsLoopbackNameserversAndFallsBackToPublicOnes) {
  EXPECT_EQ(BridgeResolvConf("search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.1\noptions edns0\n"),
            "search example.org\nnameserver 10.0.0.1\noptions edns0\n");
  EXPECT_EQ(BridgeResolvConf("nameserver 127.0.0.53\nnameserver ::1\n"),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  EXPECT_EQ(BridgeResolvConf(""), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

}  // namespace
}  // namespace hull::runtime::ns
