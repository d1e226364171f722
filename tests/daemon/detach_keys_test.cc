// Detach keys (Docker's ctrl-p ctrl-q, or ?detachKeys= / --detach-keys): typed into an
// attached stdin they end the attach and leave the container — or an exec's process —
// running, with its stdin still open for the next attach. Raw over the socket (python3).
#include <unistd.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "tests/daemon/hull_cli_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

// python3 -c: sends a hijacking POST, then `data` (\x escapes allowed), and prints what
// came back until the server closed the connection, or TIMEOUT after 10 s.
constexpr char kRawStream[] = R"(
import socket, sys
path, target, body, data = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].encode().decode('unicode_escape').encode('latin1')
s = socket.socket(socket.AF_UNIX); s.connect(path)
s.sendall(('POST %s HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' % (target, len(body), body)).encode())
got = b''
while b'\r\n\r\n' not in got: got += s.recv(1)
s.sendall(data); s.settimeout(10)
try:
    while True:
        chunk = s.recv(4096)
        if not chunk: break
        got += chunk
    print('CLOSED')
except socket.timeout:
    print('TIMEOUT')
)";

class DetachKeys : public HullCliTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker", "python3"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HullCliTest::SetUp();
  }
  std::string Raw(const std::string& target, const std::string& data, const std::string& body = "") {
    auto r = hull::testing::RunProcess({"/usr/bin/python3", "-c", kRawStream, socket_, target, body, data}, 30);
    return r.out + r.err;
  }
  std::string Inspect(const std::string& name, const std::string& format) {
    return Docker({"inspect", "-f", format, name}).out;
  }
  std::string WaitForLog(const std::string& name, const std::string& text) {
    std::string logs;
    for (int i = 0; i < 50 && logs.find(text) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      logs = Docker({"logs", name}).out;
    }
    return logs;
  }
};

constexpr char kEcho[] = "while read l; do echo got $l; done";

TEST_F(DetachKeys, AttachEndsOnTheKeysAndTheContainerKeepsItsStdin) {
  ASSERT_EQ(Docker({"run", "-d", "-i", "--name", "reader", "hull/busybox", "sh", "-c", kEcho}).exit_status, 0);
  std::string first = Raw("/containers/reader/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,x", "one\\n\\x01x");
  EXPECT_NE(first.find("CLOSED"), std::string::npos) << first;
  EXPECT_NE(WaitForLog("reader", "got one").find("got one"), std::string::npos);
  EXPECT_EQ(Inspect("reader", "{{.State.Running}}"), "true\n");
  // The default keys, ctrl-p ctrl-q; a broken prefix (ctrl-p a) reaches the container.
  std::string second = Raw("/containers/reader/attach?stream=1&stdin=1&stdout=1", "two\\x10a\\n\\x10\\x11");
  EXPECT_NE(second.find("CLOSED"), std::string::npos) << second;
  EXPECT_NE(WaitForLog("reader", "got two\x10" "a").find("got two\x10" "a"), std::string::npos);
  EXPECT_EQ(Inspect("reader", "{{.State.Running}}"), "true\n");
  auto bad = Http("POST", "/containers/reader/attach?stream=1&stdin=1&detachKeys=alt-x");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("Invalid detach keys (alt-x) provided"), std::string::npos) << bad.body;
}

TEST_F(DetachKeys, ExecDetachLeavesItsProcessRunning) {
  ASSERT_EQ(Docker({"run", "-d", "--name", "box", "hull/busybox", "sleep", "300"}).exit_status, 0);
  auto create = Http("POST", "/containers/box/exec",
                     R"({"Cmd": ["sh", "-c", "read l; echo $l > /got; sleep 300"], "AttachStdin": true, "AttachStdout": true, "DetachKeys": "ctrl-a,x"})");
  ASSERT_EQ(create.status, 201) << create.body;
  std::string id = nlohmann::json::parse(create.body).value("Id", "");
  std::string out = Raw("/exec/" + id + "/start", "line\\n\\x01x", "{}");
  EXPECT_NE(out.find("CLOSED"), std::string::npos) << out;
  auto inspect = Http("GET", "/exec/" + id + "/json");
  EXPECT_TRUE(nlohmann::json::parse(inspect.body).value("Running", false)) << inspect.body;
  auto got = Docker({"exec", "box", "cat", "/got"});
  EXPECT_EQ(got.out, "line\n") << got.err;
}

}  // namespace
}  // namespace hull::daemon_testing
