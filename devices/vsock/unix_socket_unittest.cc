// The host-side socket helpers on their own: the CONNECT line as Firecracker reads it,
// binding the VM's socket (stale files, live listeners, other files), and unlinking
// only our own socket file.
#include "devices/vsock/unix_socket.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "devices/vsock/vsock_test_harness.h"

namespace hull::devices::vsock {
namespace {

using testing::TempDir;

TEST(ConnectLine, AcceptsFirecrackersFormsOnly) {
  EXPECT_EQ(ParseConnectLine("CONNECT 52"), 52u);
  EXPECT_EQ(ParseConnectLine("connect 52"), 52u);
  EXPECT_EQ(ParseConnectLine("  CONNECT\t4294967295 "), 4294967295u);
  EXPECT_EQ(ParseConnectLine("CONNECT 0"), 0u);
  EXPECT_EQ(ParseConnectLine("CONNECT 1 extra"), 1u);
  EXPECT_FALSE(ParseConnectLine("CONNECT"));
  EXPECT_FALSE(ParseConnectLine("CONNECT "));
  EXPECT_FALSE(ParseConnectLine("CONNECT 4294967296"));
  EXPECT_FALSE(ParseConnectLine("CONNECT -1"));
  EXPECT_FALSE(ParseConnectLine("CONNECT 0x10"));
  EXPECT_FALSE(ParseConnectLine("CONNECTX 1"));
  EXPECT_FALSE(ParseConnectLine("BIND 1"));
  EXPECT_FALSE(ParseConnectLine(""));
}

TEST(VsockListener, ReplacesAStaleSocketFileButNotALiveOne) {
  TempDir dir;
  std::string path = dir.path() + "/v.sock";
  {
    base::UniqueFd dead = testing::HostListen(path);  // closed at the end of the scope
    ASSERT_TRUE(dead.valid());
  }
  base::Result<Listener> listener = Listen(path);
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  base::Result<Listener> second = Listen(path);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status().message();
  UnlinkListener(path, *listener);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(VsockListener, RefusesAFileThatIsNotASocketAndOverlongPaths) {
  TempDir dir;
  std::string path = dir.path() + "/file";
  std::ofstream(path) << "data";
  base::Result<Listener> listener = Listen(path);
  ASSERT_FALSE(listener.ok());
  EXPECT_NE(listener.status().message().find("not a socket"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(Listen(dir.path() + "/" + std::string(100, 'x')).ok());
  EXPECT_FALSE(Listen("").ok());
}

TEST(VsockListener, UnlinksOnlyItsOwnSocketFile) {
  TempDir dir;
  std::string path = dir.path() + "/v.sock";
  base::Result<Listener> listener = Listen(path);
  ASSERT_TRUE(listener.ok());
  ASSERT_EQ(::unlink(path.c_str()), 0);
  base::UniqueFd other = testing::HostListen(path);  // someone else's socket now
  ASSERT_TRUE(other.valid());
  UnlinkListener(path, *listener);
  EXPECT_TRUE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace hull::devices::vsock
