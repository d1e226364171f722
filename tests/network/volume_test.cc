// Volumes of namespace containers through hulld and the docker CLI (issue 7, item 6):
// writes through a bind land on the host, :ro refuses writes, nosuid/nodev, a missing
// host path is created, named volumes persist, and a symlink a container leaves in its
// own file system cannot aim its volume at the host on the next start.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class Volumes : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker", "curl"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mount namespaces)";
    HulldTest::SetUp();
    host_ = dir_ + "/host";
    std::filesystem::create_directories(host_);
  }
  std::string host_;
};

TEST_F(Volumes, WritesLandOnTheHostAndTheMountIsNosuidNodev) {
  std::ofstream(host_ + "/from-host") << "hello\n";
  auto r = Docker({"run", "--rm", "-v", host_ + ":/data", "hull/busybox", "sh", "-c",
                   "cat /data/from-host; echo written > /data/from-container; grep ' /data ' /proc/self/mountinfo"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("hello\n", 0), 0u) << r.out;
  EXPECT_EQ(ReadFile(host_ + "/from-container"), "written\n");
  EXPECT_NE(r.out.find(" rw,nosuid,nodev"), std::string::npos) << r.out;
}

TEST_F(Volumes, ReadOnlyRefusesWritesAndAFileCanBeMounted) {
  std::ofstream(host_ + "/config") << "setting=1\n";
  auto r = Docker({"run", "--rm", "-v", host_ + ":/data:ro", "-v", host_ + "/config:/etc/app.conf:ro",
                   "hull/busybox", "sh", "-c", "cat /etc/app.conf; touch /data/nope"});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_EQ(r.out, "setting=1\n");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(host_ + "/nope"));
}

TEST_F(Volumes, MissingHostPathIsCreatedAndNamedVolumesPersist) {
  auto r = Docker({"run", "--rm", "-v", host_ + "/new/sub:/made", "-v", "cache:/cache", "hull/busybox", "sh", "-c",
                   "echo kept > /cache/f && touch /made/x"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(host_ + "/new/sub/x"));
  EXPECT_EQ(ReadFile(root_ + "/volumes/cache/_data/f"), "kept\n");
  auto again = Docker({"run", "--name", "again", "-v", "cache:/other", "-v", host_ + ":/h:ro", "hull/busybox", "cat", "/other/f"});
  EXPECT_EQ(again.out, "kept\n") << again.err;
  auto mounts = Docker({"inspect", "-f", "{{range .Mounts}}{{.Type}} {{.Source}} {{.Destination}} {{.RW}};{{end}}", "again"});
  EXPECT_EQ(mounts.out, "volume " + root_ + "/volumes/cache/_data /other true;bind " + host_ + " /h false;\n") << mounts.err;
}

TEST_F(Volumes, ASymlinkLeftInTheContainerCannotAimTheVolumeAtTheHost) {
  std::string victim = dir_ + "/victim";
  std::filesystem::create_directories(victim);
  // First run: the volume is at /link/sub; the container moves /link away and leaves a
  // symlink that, resolved on the host, would name `victim`.
  std::string script = "if [ -L /link ]; then echo second; else mv /link /old && ln -s /../../../../../../.." +
                       victim + " /link && echo first; fi";
  auto create = Docker({"create", "--name", "esc", "-v", host_ + ":/link/sub", "hull/busybox", "sh", "-c", script});
  ASSERT_EQ(create.exit_status, 0) << create.err;
  auto first = Docker({"start", "-a", "esc"});
  ASSERT_EQ(first.out, "first\n") << first.err;
  // Second start: the mount point resolves inside the container (where victim does not
  // exist: the start is refused) — never to the host's directory.
  auto second = Docker({"start", "-a", "esc"});
  EXPECT_TRUE(std::filesystem::is_empty(victim)) << second.out << second.err;
  EXPECT_NE(second.out, "second\n") << "the volume was mounted through the symlink";
}

TEST_F(Volumes, BadSpecificationsAre400) {
  for (const char* binds : {R"(["relative/path:/x"])", R"(["/a:/"])", R"(["/a:/b:bogus"])"}) {
    auto r = Http("POST", "/containers/create",
                  std::string(R"({"Image": "hull/busybox", "Cmd": ["true"], "HostConfig": {"Binds": )") + binds + "}}");
    EXPECT_EQ(r.status, 400) << binds << " " << r.body;
  }
}

}  // namespace
}  // namespace hull::daemon_testing
