// Exec into namespace containers through hulld: the docker CLI (docker exec with and
// without -i, -t through a pseudo-terminal made by script(1), -u -e -w --privileged,
// -d, a missing program), raw API checks (bad exec IDs, a stopped container, inspect
// while it runs and after), the Python SDK's exec_run, and nothing left behind — no
// helper process survives its exec or the container.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using nlohmann::json;

// Processes whose command line contains `needle`.
std::vector<pid_t> ProcessesMentioning(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    for (auto& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

class Exec : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker", "curl"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HulldTest::SetUp();
  }
  // Exec helpers are hulld's children: checked while this test's hulld still runs, after
  // its containers are gone (other tests' helpers, running in parallel, are not ours).
  void TearDown() override {
    if (!IsSkipped()) {
      for (auto& id : ContainerIds()) Http("DELETE", "/containers/" + id + "?force=1");
      std::vector<pid_t> helpers = ExecHelpers();
      for (int i = 0; i < 60 && !helpers.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        helpers = ExecHelpers();
      }
      EXPECT_TRUE(helpers.empty()) << "an exec helper outlived its container";
      HulldTest::TearDown();
    }
  }
  std::vector<std::string> ContainerIds() {
    std::vector<std::string> ids;
    auto j = json::parse(Http("GET", "/containers/json?all=1").body, nullptr, false);
    if (j.is_array()) for (const auto& c : j) ids.push_back(c["Id"].get<std::string>());
    return ids;
  }
  // `hulld exec-process` children of this test's hulld.
  std::vector<pid_t> ExecHelpers() {
    std::vector<pid_t> out;
    for (pid_t pid : ProcessesMentioning(HULLD_PATH " exec-process")) {
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      size_t paren = text.rfind(')');
      if (paren == std::string::npos) continue;
      std::istringstream fields(text.substr(paren + 2));
      std::string state;
      pid_t parent = 0;
      fields >> state >> parent;
      if (parent == hulld_) out.push_back(pid);
    }
    return out;
  }
  // docker with DOCKER_HOST set, `input` on its stdin.
  hull::testing::ProcessResult DockerIn(std::vector<std::string> args, const std::string& input) {
    args.insert(args.begin(), {"/usr/bin/env", "DOCKER_HOST=unix://" + socket_, "DOCKER_CONFIG=" + dir_ + "/docker-config",
                               "docker"});
    return hull::testing::RunProcess(args, 60, input);
  }
  void RunBox(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "-d", "--name", "box", "--hostname", "boxhost"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"hull/busybox", "sleep", "1000"});
    auto run = Docker(args);
    ASSERT_EQ(run.exit_status, 0) << run.err;
  }
  std::string Message(const HttpResult& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("message") ? j["message"].get<std::string>() : "<no message: " + r.body + ">";
  }
};

TEST_F(Exec, RunsInTheContainersNamespacesCgroupAndConfinement) {
  RunBox();
  auto r = Docker({"exec", "box", "sh", "-c",
                   "hostname; cat /proc/1/comm; echo $$; "
                   "for f in self 1; do grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/$f/status; "
                   "cat /proc/$f/cgroup | sort; for n in mnt net ipc uts pid; do readlink /proc/$f/ns/$n; done; done"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string hostname, comm, pid;
  std::getline(lines, hostname);
  std::getline(lines, comm);
  std::getline(lines, pid);
  EXPECT_EQ(hostname, "boxhost");
  EXPECT_EQ(comm, "sleep");  // PID 1 of the namespace we joined is the container's
  EXPECT_GT(std::stoi(pid), 1);
  EXPECT_LT(std::stoi(pid), 100) << "not in the container's PID namespace";
  std::string rest((std::istreambuf_iterator<char>(lines)), std::istreambuf_iterator<char>());
  std::string self = rest.substr(0, rest.size() / 2), one = rest.substr(rest.size() / 2);
  EXPECT_EQ(self, one) << "the exec's confinement, cgroup or namespaces differ from PID 1's:\n" << rest;
  EXPECT_NE(self.find("NoNewPrivs:\t1"), std::string::npos) << self;
  EXPECT_NE(self.find("Seccomp:\t2"), std::string::npos) << self;
}

TEST_F(Exec, ExitCodesUserEnvWorkdirAndPrivileged) {
  RunBox({"-e", "KEEP=container"});
  EXPECT_EQ(Docker({"exec", "box", "sh", "-c", "exit 5"}).exit_status, 5);
  auto id = Docker({"exec", "-u", "nobody", "box", "id"});
  EXPECT_EQ(id.out.rfind("uid=65534(nobody) gid=65534(nogroup)", 0), 0u) << id.out << id.err;
  auto env = Docker({"exec", "-e", "FOO=bar", "-w", "/tmp", "box", "sh", "-c", "echo $FOO $KEEP; pwd"});
  EXPECT_EQ(env.out, "bar container\n/tmp\n") << env.err;
  auto plain = Docker({"exec", "box", "grep", "CapEff", "/proc/self/status"});
  auto privileged = Docker({"exec", "--privileged", "box", "grep", "-E", "CapEff|Seccomp:", "/proc/self/status"});
  EXPECT_NE(plain.out, "") << plain.err;
  EXPECT_EQ(privileged.out.find(plain.out), std::string::npos) << privileged.out;
  EXPECT_NE(privileged.out.find("Seccomp:\t0"), std::string::npos) << privileged.out;
  auto missing = Docker({"exec", "box", "no-such-program"});
  EXPECT_EQ(missing.exit_status, 127);
  EXPECT_NE((missing.out + missing.err).find("executable file not found"), std::string::npos)
      << missing.out << missing.err;
}

TEST_F(Exec, InteractiveStdinAndDetached) {
  RunBox();
  auto cat = DockerIn({"exec", "-i", "box", "sh", "-c", "cat; echo done >&2"}, "line one\nline two\n");
  EXPECT_EQ(cat.exit_status, 0) << cat.err;
  EXPECT_EQ(cat.out, "line one\nline two\n");
  EXPECT_EQ(cat.err, "done\n");
  auto detached = Docker({"exec", "-d", "box", "sh", "-c", "echo ran > /tmp/detached"});
  EXPECT_EQ(detached.exit_status, 0) << detached.err;
  std::string seen;
  for (int i = 0; i < 50 && seen != "ran\n"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen = Docker({"exec", "box", "cat", "/tmp/detached"}).out;
  }
  EXPECT_EQ(seen, "ran\n");
}

TEST_F(Exec, TtyThroughAPseudoTerminal) {
  if (!hull::rootfs::testing::MissingTools({"script"}).empty()) GTEST_SKIP() << "script(1) is not installed";
  RunBox();
  std::string docker = "env DOCKER_HOST=unix://" + socket_ + " DOCKER_CONFIG=" + dir_ + "/docker-config docker";
  auto r = hull::testing::RunProcess(
      {"/usr/bin/script", "-qec", docker + " exec -t box sh -c 'tty; echo TERM=$TERM; exit 4'", "/dev/null"}, 60);
  EXPECT_EQ(r.exit_status, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TERM=xterm"), std::string::npos) << r.out;
}

TEST_F(Exec, EndsWithTheContainer) {
  RunBox();
  hull::testing::ProcessResult exec;
  std::thread t([&] { exec = Docker({"exec", "box", "sleep", "999"}); });
  std::vector<pid_t> sleepers;
  for (int i = 0; i < 100 && sleepers.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    sleepers = ProcessesMentioning("sleep 999");
  }
  EXPECT_EQ(sleepers.size(), 1u);
  EXPECT_EQ(Docker({"stop", "-t", "1", "box"}).exit_status, 0);
  t.join();
  EXPECT_EQ(exec.exit_status, 137) << exec.err;
  EXPECT_TRUE(ProcessesMentioning("sleep 999").empty());
}

TEST_F(HulldTest, ExecApiStatusCodesAndInspect) {
  if (!hull::rootfs::testing::MissingTools({"curl"}).empty()) GTEST_SKIP() << "curl is not installed";
  for (std::string path : {"/exec/nope/json"}) EXPECT_EQ(Http("GET", path).status, 404);
  EXPECT_EQ(Http("POST", "/v1.41/exec/nope/start", "{}").status, 404);
  EXPECT_EQ(Http("POST", "/exec/nope/resize?h=10&w=10").status, 404);
  EXPECT_EQ(Http("POST", "/containers/nope/exec", R"({"Cmd":["true"]})").status, 404);
  auto create = Http("POST", "/containers/create?name=idle", R"({"Image":"hull/busybox","Cmd":["sleep","100"]})");
  ASSERT_EQ(create.status, 201) << create.body;
  auto stopped = Http("POST", "/containers/idle/exec", R"({"Cmd":["true"]})");
  EXPECT_EQ(stopped.status, 409) << stopped.body;
  EXPECT_NE(stopped.body.find("is not running"), std::string::npos) << stopped.body;
  ASSERT_EQ(Http("POST", "/containers/idle/start").status, 204);
  EXPECT_EQ(Http("POST", "/containers/idle/exec", R"({"Cmd":[]})").status, 400);
  EXPECT_EQ(Http("POST", "/containers/idle/exec", "{not json").status, 400);
  auto exec = Http("POST", "/containers/idle/exec", R"({"Cmd":["sh","-c","sleep 1; exit 3"],"User":"daemon"})");
  ASSERT_EQ(exec.status, 201) << exec.body;
  std::string id = json::parse(exec.body)["Id"];
  auto before = json::parse(Http("GET", "/exec/" + id + "/json").body);
  EXPECT_EQ(before["Running"], false);
  EXPECT_TRUE(before["ExitCode"].is_null());
  EXPECT_EQ(Http("POST", "/exec/" + id + "/start", R"({"Detach":true})").status, 200);
  EXPECT_EQ(Http("POST", "/exec/" + id + "/start", R"({"Detach":true})").status, 409);
  auto running = json::parse(Http("GET", "/exec/" + id + "/json").body);
  EXPECT_EQ(running["Running"], true);
  EXPECT_GT(running["Pid"].get<int>(), 0);
  EXPECT_EQ(running["ProcessConfig"]["entrypoint"], "sh");
  EXPECT_EQ(running["ProcessConfig"]["user"], "daemon");
  json after;
  for (int i = 0; i < 100; ++i) {
    after = json::parse(Http("GET", "/exec/" + id + "/json").body);
    if (after["Running"] == false) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(after["Running"], false);
  EXPECT_EQ(after["ExitCode"], 3);
  EXPECT_EQ(after["ContainerID"], json::parse(create.body)["Id"]);
}

// The Python SDK reads a hijacked response's headers through a buffered reader and the
// stream from the raw socket after it: stream bytes that arrive together with the headers
// are lost (exec_run(demux=True) then returned None, None). hulld sends nothing after the
// headers until the client has read them, however late it reads.
TEST_F(HulldTest, HijackedStreamWaitsUntilTheClientHasReadTheHeaders) {
  auto create = Http("POST", "/containers/create?name=quick", R"({"Image":"hull/busybox","Cmd":["sleep","100"]})");
  ASSERT_EQ(create.status, 201) << create.body;
  ASSERT_EQ(Http("POST", "/containers/quick/start").status, 204);
  auto exec = Http("POST", "/containers/quick/exec",
                   R"({"Cmd":["echo","early output"],"AttachStdout":true,"AttachStderr":true})");
  ASSERT_EQ(exec.status, 201) << exec.body;
  std::string id = json::parse(exec.body)["Id"];
  base::UniqueFd fd = ConnectUnix(socket_);
  ASSERT_TRUE(fd.valid());
  std::string body = "{}";
  std::string request = "POST /exec/" + id + "/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\n"
                        "Upgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::write(fd.get(), request.data(), request.size()), static_cast<ssize_t>(request.size()));
  // Long enough for the echo to have run and written its output many times over.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  char buf[8192];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  std::string first(buf, static_cast<size_t>(n));
  EXPECT_EQ(first.rfind("HTTP/1.1 101 UPGRADED\r\n", 0), 0u) << first;
  EXPECT_EQ(first.size(), first.find("\r\n\r\n") + 4) << "stream bytes came with the headers: " << first;
  std::string stream;
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    stream.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(stream, std::string("\x01\0\0\0\0\0\0\x0d" "early output\n", 21));
}

TEST_F(HulldTest, PythonSdkExecRun) {
  auto probe = hull::rootfs::testing::RunTool({"python3", "-c", "import docker"});
  if (probe.exit_status != 0) GTEST_SKIP() << "python3 cannot import docker: " << probe.err;
  auto r = Python("exec");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out,
            "exit 3\n"
            "demux b'out\\n' b'err\\n'\n"
            "env b'bar /tmp nobody\\n'\n"
            "stdin b'from the socket'\n");
}

}  // namespace
}  // namespace hull::daemon_testing
