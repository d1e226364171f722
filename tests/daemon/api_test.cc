// hulld's API over plain HTTP (curl): Docker's status codes and {"message"} bodies for
// bad input, the version prefix, HEAD /_ping, the TCP listener's bearer token, and
// containers that outlive a hulld killed with SIGKILL.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using nlohmann::json;

class HulldApi : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"curl"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HulldTest::SetUp();
  }
  std::string Message(const HttpResult& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("message") ? j["message"].get<std::string>() : "<no message: " + r.body + ">";
  }
  std::string CreateSleeper(const std::string& name) {
    auto r = Http("POST", "/v1.41/containers/create?name=" + name,
                  R"({"Image":"hull/busybox","Cmd":["sleep","100"]})");
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("Id", "") : "";
  }
};

TEST_F(HulldApi, PingAnswersGetAndHeadWithTheApiVersion) {
  auto get = Http("GET", "/_ping");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "OK");
  auto head = Http("HEAD", "/v1.41/_ping", "", {"--unix-socket", socket_, "-I"});
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.body.find("Api-Version: 1.41"), std::string::npos) << head.body;
}

TEST_F(HulldApi, UnknownRoutesAre404WithAMessage) {
  for (std::string path : {"/nope", "/v1.41/containers/x/frobnicate", "/v1.41/images/a/b/c/push"}) {
    auto r = Http("POST", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(Message(r), "page not found") << path;
  }
}

TEST_F(HulldApi, MalformedJsonIs400) {
  auto r = Http("POST", "/containers/create", "{\"Image\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Message(r).find("invalid JSON"), std::string::npos);
  r = Http("POST", "/containers/create", R"({"Image":"hull/busybox","Cmd":7})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Http("POST", "/containers/create?name=../../etc", R"({"Image":"hull/busybox"})");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(HulldApi, UnknownImageAndContainerAre404) {
  auto r = Http("POST", "/containers/create", R"({"Image":"no/such:image"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Message(r), "No such image: no/such:image");
  EXPECT_EQ(Http("GET", "/images/no/such:image/json").status, 404);
  EXPECT_EQ(Http("DELETE", "/images/no/such:image").status, 404);
  r = Http("GET", "/containers/deadbeef/json");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Message(r), "No such container: deadbeef");
}

TEST_F(HulldApi, NameConflictIs409AndRunningRemovalIs409) {
  std::string id = CreateSleeper("one");
  ASSERT_FALSE(id.empty());
  auto dup = Http("POST", "/containers/create?name=one", R"({"Image":"hull/busybox"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_NE(Message(dup).find("already in use"), std::string::npos);
  EXPECT_EQ(Http("POST", "/containers/one/start").status, 204);
  EXPECT_EQ(Http("POST", "/containers/one/start").status, 304);
  auto rm = Http("DELETE", "/containers/one");
  EXPECT_EQ(rm.status, 409);
  EXPECT_NE(Message(rm).find("cannot remove a running container"), std::string::npos);
  auto image_rm = Http("DELETE", "/images/hull/busybox");
  EXPECT_EQ(image_rm.status, 409) << image_rm.body;
  EXPECT_EQ(Http("POST", "/containers/one/kill?signal=NOPE").status, 400);
  EXPECT_EQ(Http("POST", "/containers/one/kill?signal=KILL").status, 204);
  auto wait = Http("POST", "/containers/one/wait");
  EXPECT_EQ(wait.status, 200);
  EXPECT_EQ(json::parse(wait.body, nullptr, false).value("StatusCode", -1), 137) << wait.body;
  EXPECT_EQ(Http("POST", "/containers/one/kill").status, 409);
  EXPECT_EQ(Http("DELETE", "/containers/one").status, 204);
}

TEST_F(HulldApi, UnknownRuntimeIs400) {  // runtime vm itself: vm_runtime_test.cc
  auto bad = Http("POST", "/containers/create", R"({"Image":"hull/busybox","HostConfig":{"Runtime":"kata"}})");
  EXPECT_EQ(bad.status, 400);
}

TEST_F(HulldApi, TcpListenerWantsTheBearerToken) {
  StopHulld(SIGTERM);
  int port = hull::rootfs::testing::FreePort();
  std::string token = "0123456789abcdef0123";
  std::ofstream(dir_ + "/token") << token << "\n";
  ASSERT_TRUE(StartHulld({"--tcp", "127.0.0.1:" + std::to_string(port), "--token-file", dir_ + "/token"}));
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/version";
  auto anonymous = Http("GET", url, "", {"--noproxy", "*"});
  EXPECT_EQ(anonymous.status, 401);
  auto wrong = Http("GET", url, "", {"--noproxy", "*", "-H", "Authorization: Bearer nope"});
  EXPECT_EQ(wrong.status, 401);
  auto right = Http("GET", url, "", {"--noproxy", "*", "-H", "Authorization: Bearer " + token});
  EXPECT_EQ(right.status, 200) << right.body;
}

TEST_F(HulldApi, RefusesNonLoopbackTcp) {
  auto r = hull::rootfs::testing::RunTool({HULLD_PATH, "--root", root_, "-H", "unix://" + dir_ + "/other.sock",
                                           "--tcp", "0.0.0.0:2375", "--token-file", "/dev/null"});
  EXPECT_NE(r.exit_status, 0);
}

TEST_F(HulldApi, ContainersOutliveAKilledHulldAndAreFoundAgain) {
  ASSERT_EQ(Http("POST", "/containers/create?name=survivor",
                 R"({"Image":"hull/busybox","Cmd":["sh","-c","echo up; sleep 100"]})").status, 201);
  ASSERT_EQ(Http("POST", "/containers/create?name=quick",
                 R"({"Image":"hull/busybox","Cmd":["sh","-c","sleep 1; exit 5"]})").status, 201);
  ASSERT_EQ(Http("POST", "/containers/survivor/start").status, 204);
  ASSERT_EQ(Http("POST", "/containers/quick/start").status, 204);
  StopHulld(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));  // quick exits meanwhile
  ASSERT_TRUE(StartHulld());
  auto survivor = json::parse(Http("GET", "/containers/survivor/json").body, nullptr, false);
  ASSERT_TRUE(survivor.is_object());
  EXPECT_EQ(survivor["State"]["Status"], "running");
  auto quick = json::parse(Http("GET", "/containers/quick/json").body, nullptr, false);
  ASSERT_TRUE(quick.is_object());
  EXPECT_EQ(quick["State"]["Status"], "exited");
  EXPECT_EQ(quick["State"]["ExitCode"], 5);
  // The new hulld watches the survivor: stop works and the exit is recorded.
  EXPECT_EQ(Http("POST", "/containers/survivor/stop?t=1").status, 204);
  survivor = json::parse(Http("GET", "/containers/survivor/json").body, nullptr, false);
  EXPECT_EQ(survivor["State"]["ExitCode"], 137);
  auto logs = Http("GET", "/containers/survivor/logs?stdout=1");
  EXPECT_EQ(logs.body, std::string("\x01\0\0\0\0\0\0\x03up\n", 11));
}

TEST_F(HulldApi, HugeBodiesAre413AndTraversalInNamesFindsNothing) {
  std::string big(5 << 20, ' ');
  std::ofstream(dir_ + "/big.json") << "{" << big << "}";
  auto r = Http("POST", "/containers/create", "", {"--unix-socket", socket_, "-H", "Content-Type: application/json",
                                                   "--data-binary", "@" + dir_ + "/big.json"});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(Message(r), "request body too large");
  EXPECT_EQ(Http("GET", "/_ping").status, 200);  // still serving
  EXPECT_EQ(Http("GET", "/images/..%2F..%2Fetc%2Fpasswd/json").status, 404);
  EXPECT_EQ(Http("GET", "/containers/..%2F..%2Fetc/json").status, 404);
  EXPECT_EQ(Http("DELETE", "/containers/..").status, 404);
}

}  // namespace
}  // namespace hull::daemon_testing
